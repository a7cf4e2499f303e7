"""JobQueue on a Pub/Sub topic, its subscription and a dead-letter topic (synchronous pull).

- The lease is the ack deadline. A subscription has one default deadline (10..600 s), so a
  receive asking for another lease sets it per message with ModifyAckDeadline right after
  the pull; extend does the same later, release sets it to the delay (0: redeliver at once).
- delivery_count is ReceivedMessage.delivery_attempt, which Pub/Sub fills in only when the
  subscription has a dead-letter policy (the infra stack and the test rig always set one,
  with max_delivery_attempts = MLPOC_MAX_DELIVERIES).
- Dead-lettering is Pub/Sub's own: after max_delivery_attempts the server republishes the
  message to the dead-letter topic, with the original data and attributes plus
  CloudPubSubDeadLetter* attributes, which we strip so a dead letter reads as it was sent.
  The emulator (measured: cloud-pubsub-emulator 0.8.20) implements this too, so the adapter
  never forwards messages itself; doing so would double-forward on real Pub/Sub. Like SQS's
  redrive, the move happens lazily, when the exhausted message next comes due on a pull.
- A dead letter is a new Pub/Sub message: its id differs from the original's.
- Every 404 means the topic or subscription the settings name does not exist (a lapsed
  ack id is not one): a `ConfigurationError`, as SQS's missing queue.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from google.api_core import exceptions as gexc

from adapters.errors import ConfigurationError
from adapters.gcp.clients import CALL_TIMEOUT_SECONDS, GRPC_RETRY
from adapters.gcp.errors import translated
from adapters.ports import JobQueue, Message
from adapters.settings import env_name

if TYPE_CHECKING:
    from google import pubsub_v1

# Attributes Pub/Sub adds when it dead-letters a message.
DEAD_LETTER_ATTRIBUTE_PREFIX = "CloudPubSubDeadLetter"
# The shortest client deadline on a pull. A pull cut short by the client while the server
# is handing out messages leaves them leased to nobody until their ack deadline (and
# counts a delivery), so pulls are never given a hair-trigger deadline; wait_seconds=0 is
# "one pull of at most this long" (the deprecated return_immediately flag is not used).
PULL_TIMEOUT_FLOOR_SECONDS = 1.0


class PubSubJobQueue(JobQueue):
    def __init__(
        self,
        publisher: pubsub_v1.PublisherClient,
        subscriber: pubsub_v1.SubscriberClient,
        *,
        project: str,
        topic: str,
        subscription: str,
        dead_letter_subscription: str,
        max_deliveries: int,
    ) -> None:
        self.max_deliveries = max_deliveries
        self._publisher = publisher
        self._topic = publisher.topic_path(project, topic)
        self._jobs = _Subscription(
            subscriber, subscriber.subscription_path(project, subscription), dead_letter=False
        )
        self._dead = _Subscription(
            subscriber,
            subscriber.subscription_path(project, dead_letter_subscription),
            dead_letter=True,
        )

    def _send(self, body: str, attributes: dict[str, str]) -> str:
        with translated(f"publishing to {self._topic}", only_the_resource_can_be_missing=True):
            response = self._publisher.publish(
                request={
                    "topic": self._topic,
                    "messages": [{"data": body.encode("utf-8"), "attributes": attributes}],
                },
                retry=GRPC_RETRY,
                timeout=CALL_TIMEOUT_SECONDS,
            )
        return str(response.message_ids[0])

    def _receive(
        self, max_messages: int, lease_seconds: float, wait_seconds: float
    ) -> list[Message]:
        self._check_dead_letter_policy()
        return self._jobs.pull(max_messages, lease_seconds, wait_seconds)

    def _extend(self, message: Message, lease_seconds: float) -> None:
        # Pub/Sub accepts an extension of a lapsed ack id silently: nothing to report.
        self._subscription(message).modify([message.receipt], _whole_seconds(lease_seconds))

    def ack(self, message: Message) -> None:
        self._subscription(message).ack([message.receipt])

    def _release(self, message: Message, delay_seconds: float) -> None:
        self._subscription(message).modify([message.receipt], math.ceil(delay_seconds))

    def _receive_dead_letters(self, max_messages: int, lease_seconds: float) -> list[Message]:
        return self._dead.pull(max_messages, lease_seconds, 0)

    def ping(self) -> None:
        subscription = self._jobs
        # PermissionDenied: reached, though this identity may not read the settings.
        with (
            translated(
                f"reading subscription {subscription.path}", only_the_resource_can_be_missing=True
            ),
            contextlib.suppress(gexc.PermissionDenied),
        ):
            subscription._subscriber.get_subscription(
                request={"subscription": subscription.path}, timeout=CALL_TIMEOUT_SECONDS
            )

    def purge_dead_letters(self) -> int:
        # Seeking to "now" acknowledges everything published before it, including messages
        # leased to someone right now, which draining by pull could not see. Pub/Sub does
        # not say how many that was.
        self._dead.seek(datetime.now(UTC))
        return -1

    def _subscription(self, message: Message) -> _Subscription:
        return self._dead if message.dead_letter else self._jobs

    def _check_dead_letter_policy(self) -> None:
        """The subscription's policy is what dead-letters; it must match max_deliveries.
        (The subscription is read once; later checks cost nothing.)"""
        config = self._jobs.config()
        if config is None:
            return  # not allowed to read the subscription: trust the deployment
        attempts = config.dead_letter_policy.max_delivery_attempts
        if not config.dead_letter_policy.dead_letter_topic or attempts != self.max_deliveries:
            raise ConfigurationError(
                f"subscription {config.name} dead-letters after {attempts or 'no'} delivery "
                f"attempts, but {env_name('max_deliveries')}={self.max_deliveries}; deploy a "
                "dead-letter policy with the same max_delivery_attempts"
            )


class _Subscription:
    """Pull, ack and lease operations on one subscription."""

    def __init__(
        self, subscriber: pubsub_v1.SubscriberClient, path: str, *, dead_letter: bool
    ) -> None:
        self._subscriber = subscriber
        self.path = path
        self.dead_letter = dead_letter
        self._config: pubsub_v1.Subscription | None = None
        self._config_read = False

    def config(self) -> pubsub_v1.Subscription | None:
        """The subscription's settings, read once; None if we may not read them."""
        if not self._config_read:
            with translated(
                f"reading subscription {self.path}", only_the_resource_can_be_missing=True
            ):
                try:
                    self._config = self._subscriber.get_subscription(
                        request={"subscription": self.path},
                        retry=GRPC_RETRY,
                        timeout=CALL_TIMEOUT_SECONDS,
                    )
                except gexc.PermissionDenied:
                    self._config = None
            self._config_read = True
        return self._config

    def pull(self, max_messages: int, lease_seconds: float, wait_seconds: float) -> list[Message]:
        deadline = time.monotonic() + wait_seconds
        received: Sequence[pubsub_v1.ReceivedMessage] = ()
        with translated(f"pulling from {self.path}", only_the_resource_can_be_missing=True):
            while not received:
                remaining = deadline - time.monotonic()
                try:
                    response = self._subscriber.pull(
                        request={"subscription": self.path, "max_messages": max_messages},
                        retry=GRPC_RETRY,
                        timeout=max(remaining, PULL_TIMEOUT_FLOOR_SECONDS),
                    )
                    received = response.received_messages
                except gexc.DeadlineExceeded:
                    received = ()
                if deadline - time.monotonic() <= 0:
                    break
        if not received:
            return []
        lease = _whole_seconds(lease_seconds)
        config = self.config()
        if config is None or config.ack_deadline_seconds != lease:
            self.modify([r.ack_id for r in received], lease)
        return [self._message(r) for r in received]

    def _message(self, received: pubsub_v1.ReceivedMessage) -> Message:
        attributes = dict(received.message.attributes)
        if self.dead_letter:
            attributes = {
                name: value
                for name, value in attributes.items()
                if not name.startswith(DEAD_LETTER_ATTRIBUTE_PREFIX)
            }
        return Message(
            id=received.message.message_id,
            body=received.message.data.decode("utf-8"),
            attributes=attributes,
            # 0 where the subscription has no dead-letter policy (the dead-letter one).
            delivery_count=received.delivery_attempt or 1,
            receipt=received.ack_id,
            dead_letter=self.dead_letter,
        )

    def modify(self, ack_ids: list[str], deadline_seconds: int) -> None:
        with translated(
            f"setting the ack deadline on {self.path}", only_the_resource_can_be_missing=True
        ):
            self._subscriber.modify_ack_deadline(
                request={
                    "subscription": self.path,
                    "ack_ids": ack_ids,
                    "ack_deadline_seconds": deadline_seconds,
                },
                retry=GRPC_RETRY,
                timeout=CALL_TIMEOUT_SECONDS,
            )

    def ack(self, ack_ids: list[str]) -> None:
        with translated(f"acknowledging on {self.path}", only_the_resource_can_be_missing=True):
            self._subscriber.acknowledge(
                request={"subscription": self.path, "ack_ids": ack_ids},
                retry=GRPC_RETRY,
                timeout=CALL_TIMEOUT_SECONDS,
            )

    def seek(self, to: datetime) -> None:
        with translated(f"purging {self.path}", only_the_resource_can_be_missing=True):
            self._subscriber.seek(
                request={"subscription": self.path, "time": to},
                retry=GRPC_RETRY,
                timeout=CALL_TIMEOUT_SECONDS,
            )


def _whole_seconds(seconds: float) -> int:
    """Ack deadlines are whole seconds; round up so a lease is never shorter than asked."""
    return max(1, math.ceil(seconds))
