"""JobQueue on an SQS standard queue with a redrive policy to a dead-letter queue.

The lease is the visibility timeout; the delivery count is SQS's ApproximateReceiveCount;
dead-lettering is SQS's own: a message received `maxReceiveCount` times without a delete is
moved to the dead-letter queue by SQS when it comes due again. The infra stack sets
`maxReceiveCount` to MLPOC_MAX_DELIVERIES; `connect` checks that both agree.
"""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from adapters import limits
from adapters.aws.errors import error_code, error_message, is_denied, translate_error, translated
from adapters.aws.sqs_attributes import from_sqs, to_sqs
from adapters.errors import ConfigurationError, NotFound
from adapters.ports import JobQueue, Message

log = logging.getLogger(__name__)

MAX_WAIT_PER_CALL = 20  # SQS's long-polling ceiling per call
# The receipt handle no longer designates a leased message (deleted, lease lost...).
_LEASE_LOST_CODES = (
    "ReceiptHandleIsInvalid",
    "MessageNotInflight",
    "AWS.SimpleQueueService.MessageNotInflight",
)
_PURGE_IN_PROGRESS_CODES = (
    "AWS.SimpleQueueService.PurgeQueueInProgress",
    "PurgeQueueInProgress",
)
_COUNT_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
# Real SQS answers InvalidParameterValue with these reasons for an expired receipt handle.
_LEASE_LOST_REASONS = ("not available for visibility timeout change", "receipt handle has expired")


class SqsJobQueue(JobQueue):
    def __init__(
        self, client: Any, queue_url: str, dead_letter_url: str, max_deliveries: int
    ) -> None:
        self.client = client
        self.queue_url = queue_url
        self.dead_letter_url = dead_letter_url
        self.max_deliveries = max_deliveries

    @classmethod
    def connect(
        cls, client: Any, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> SqsJobQueue:
        """Resolve both queue URLs once, and check the redrive policy matches the settings."""
        urls = []
        for name in (queue, dead_letter_queue):
            with translated(f"resolve SQS queue {name!r}"):
                urls.append(client.get_queue_url(QueueName=name)["QueueUrl"])
        job_queue = cls(client, urls[0], urls[1], max_deliveries)
        job_queue._check_redrive_policy(dead_letter_queue)
        return job_queue

    def _check_redrive_policy(self, dead_letter_queue: str) -> None:
        try:
            attributes = self.client.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"]
            ).get("Attributes", {})
        except ClientError as exc:
            if is_denied(exc):
                log.warning("cannot read the redrive policy of %s: %s", self.queue_url, exc)
                return
            raise translate_error(exc, "read the SQS redrive policy") from exc
        except BotoCoreError as exc:
            raise translate_error(exc, "read the SQS redrive policy") from exc
        if "RedrivePolicy" not in attributes:
            raise ConfigurationError(
                f"SQS queue {self.queue_url} has no redrive policy: messages would never be "
                "dead-lettered (the infra stack sets one)"
            )
        policy = json.loads(attributes["RedrivePolicy"])
        if int(policy["maxReceiveCount"]) != self.max_deliveries:
            raise ConfigurationError(
                f"SQS queue {self.queue_url} dead-letters after {policy['maxReceiveCount']} "
                f"receives but MLPOC_MAX_DELIVERIES={self.max_deliveries}"
            )
        if not str(policy.get("deadLetterTargetArn", "")).endswith(f":{dead_letter_queue}"):
            raise ConfigurationError(
                f"SQS queue {self.queue_url} dead-letters to {policy.get('deadLetterTargetArn')} "
                f"but MLPOC_DEAD_LETTER_QUEUE={dead_letter_queue}"
            )

    # ------------------------------------------------------------------ send / receive

    def _send(self, body: str, attributes: dict[str, str]) -> str:
        request: dict[str, Any] = {"QueueUrl": self.queue_url, "MessageBody": body}
        if attributes:
            request["MessageAttributes"] = to_sqs(attributes)
        with translated("send an SQS message"):
            return str(self.client.send_message(**request)["MessageId"])

    def _receive(
        self, max_messages: int, lease_seconds: float, wait_seconds: float
    ) -> list[Message]:
        return self._pull(
            self.queue_url, max_messages, lease_seconds, wait_seconds, dead_letter=False
        )

    def _receive_dead_letters(self, max_messages: int, lease_seconds: float) -> list[Message]:
        return self._pull(self.dead_letter_url, max_messages, lease_seconds, 0, dead_letter=True)

    def _pull(
        self,
        url: str,
        max_messages: int,
        lease_seconds: float,
        wait_seconds: float,
        *,
        dead_letter: bool,
    ) -> list[Message]:
        # Long polls of at most 20 s each until a message arrives or the wait is over.
        deadline = time.monotonic() + wait_seconds
        while True:
            remaining = deadline - time.monotonic()
            wait = min(MAX_WAIT_PER_CALL, math.ceil(remaining)) if remaining > 0 else 0
            with translated("receive SQS messages"):
                response = self.client.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=max_messages,
                    VisibilityTimeout=math.ceil(lease_seconds),
                    WaitTimeSeconds=wait,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                    MessageAttributeNames=["All"],
                )
            raw = response.get("Messages", [])
            if raw or remaining <= wait:
                return [_message(item, dead_letter=dead_letter) for item in raw]

    # ------------------------------------------------------------------ lease

    def _extend(self, message: Message, lease_seconds: float) -> None:
        self._change_visibility(message, math.ceil(lease_seconds), "extend the lease")

    def _release(self, message: Message, delay_seconds: float) -> None:
        self._change_visibility(message, math.ceil(delay_seconds), "release")

    def ack(self, message: Message) -> None:
        # DeleteMessage succeeds on an already deleted message; only a handle SQS never
        # issued is an error (NotFound).
        with translated(f"ack message {message.id}", not_found=_LEASE_LOST_CODES):
            self.client.delete_message(QueueUrl=self._url(message), ReceiptHandle=message.receipt)

    def _change_visibility(self, message: Message, seconds: int, action: str) -> None:
        action = f"{action} of message {message.id}"
        try:
            self.client.change_message_visibility(
                QueueUrl=self._url(message),
                ReceiptHandle=message.receipt,
                VisibilityTimeout=seconds,
            )
        except ClientError as exc:
            reason = error_message(exc).lower()
            lost = any(text in reason for text in _LEASE_LOST_REASONS)
            if lost or error_code(exc) in _LEASE_LOST_CODES:
                raise NotFound(f"{action}: the lease was lost ({error_code(exc)})") from exc
            raise translate_error(exc, action) from exc
        except BotoCoreError as exc:
            raise translate_error(exc, action) from exc

    def _url(self, message: Message) -> str:
        return self.dead_letter_url if message.dead_letter else self.queue_url

    # ------------------------------------------------------------------ dead letters

    def ping(self) -> None:
        self._visible_count(self.queue_url)

    def purge_dead_letters(self) -> int:
        """PurgeQueue on the dead-letter queue, which drops leased messages too; returns the
        queue's message count read just before (exact on moto, approximate on SQS, whose
        counts lag by up to a minute).

        SQS allows one PurgeQueue per queue every 60 s. Within that window (or where IAM
        denies sqs:PurgeQueue) the queue is drained instead (receive + delete, counted
        exactly), which cannot drop messages another consumer holds leased.
        """
        with translated("count SQS dead letters"):
            attributes = self.client.get_queue_attributes(
                QueueUrl=self.dead_letter_url, AttributeNames=list(_COUNT_ATTRIBUTES)
            )["Attributes"]
        count = sum(int(attributes.get(name, 0)) for name in _COUNT_ATTRIBUTES)
        try:
            self.client.purge_queue(QueueUrl=self.dead_letter_url)
        except ClientError as exc:
            if is_denied(exc):
                log.warning("sqs:PurgeQueue denied on %s; draining instead", self.dead_letter_url)
            elif error_code(exc) not in _PURGE_IN_PROGRESS_CODES:
                raise translate_error(exc, "purge the SQS dead-letter queue") from exc
            return self._drain(self.dead_letter_url)
        except BotoCoreError as exc:
            raise translate_error(exc, "purge the SQS dead-letter queue") from exc
        return count

    def _drain(self, url: str) -> int:
        """Receive and delete until the queue looks empty; how many were deleted."""
        dropped = 0
        empty_rounds = 0
        while True:
            with translated("drain the SQS dead-letter queue"):
                batch = self.client.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=limits.MAX_RECEIVE_MESSAGES,
                    VisibilityTimeout=60,
                    WaitTimeSeconds=1 if empty_rounds else 0,
                ).get("Messages", [])
            if not batch:
                # A short poll samples a subset of SQS's servers and may come back empty
                # early; trust the queue's visible count, with a bounded number of re-polls.
                if empty_rounds >= 2 or self._visible_count(url) == 0:
                    return dropped
                empty_rounds += 1
                continue
            empty_rounds = 0
            entries = [
                {"Id": str(i), "ReceiptHandle": item["ReceiptHandle"]}
                for i, item in enumerate(batch)
            ]
            with translated("drain the SQS dead-letter queue"):
                response = self.client.delete_message_batch(QueueUrl=url, Entries=entries)
            dropped += len(response.get("Successful", []))

    def _visible_count(self, url: str) -> int:
        with translated("count SQS messages"):
            attributes = self.client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))


def _message(item: dict[str, Any], *, dead_letter: bool) -> Message:
    return Message(
        id=item["MessageId"],
        body=item["Body"],
        attributes=from_sqs(item.get("MessageAttributes", {})),
        delivery_count=int(item.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
        receipt=item["ReceiptHandle"],
        dead_letter=dead_letter,
    )
