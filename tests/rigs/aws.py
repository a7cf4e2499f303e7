"""AWS rig: one moto server for the session; fresh bucket, queues and tables per settings().

`identities()` uses a second moto server, started on first use, that enforces IAM (moto's
own policy evaluation, switched on through its /moto-api/reset-auth endpoint once two IAM
users exist): an owner allowed everything and a reader allowed only reads. It is a server of
its own because enforcement is global to a moto process and every other test signs with
dummy keys that IAM does not know.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from adapters import Collection, Settings
from adapters.aws.provision import create_tables
from tests.rigs.base import Identities, Rig
from tests.servers.moto import DUMMY_AWS_ENV, start_moto
from tests.servers.process import Server

REGION = DUMMY_AWS_ENV["AWS_DEFAULT_REGION"]


class AwsRig(Rig):
    name = "aws"

    def __init__(self, server: Server, log_dir: Path) -> None:
        self.server = server
        self.endpoint = f"http://{server.host}"
        self.log_dir = log_dir
        self._clients: dict[str, Any] = {}
        self._guarded: GuardedServer | None = None

    @classmethod
    def start(cls, tmp_dir: Path) -> AwsRig:
        rig = cls(start_moto(tmp_dir / "logs"), tmp_dir / "logs")
        rig.export_environment()  # boto3 reads AWS_ENDPOINT_URL itself
        return rig

    def environment(self) -> dict[str, str]:
        return {**DUMMY_AWS_ENV, "AWS_ENDPOINT_URL": self.endpoint}

    def client(self, service: str) -> Any:
        """A boto3 client on the moto server (for setting up and inspecting resources)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=REGION, endpoint_url=self.endpoint
            )
        return self._clients[service]

    def settings(self, collections: Iterable[Collection], *, max_deliveries: int = 5) -> Settings:
        return self._create(self.client, collections, max_deliveries)

    def identities(self, collections: Iterable[Collection]) -> Identities:
        if self._guarded is None:
            self._guarded = GuardedServer.start(self.log_dir / "guarded")
        guarded = self._guarded
        return Identities(
            settings=self._create(guarded.owner_client, collections, 5),
            owner=guarded.environment(guarded.owner),
            reader=guarded.environment(guarded.reader),
        )

    def _create(
        self, client: Callable[[str], Any], collections: Iterable[Collection], max_deliveries: int
    ) -> Settings:
        collections = tuple(collections)
        name = self.unique("mlpoc-")
        s3, sqs, dynamodb = (client(service) for service in ("s3", "sqs", "dynamodb"))
        s3.create_bucket(Bucket=name)
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_deliveries)}
        sqs.create_queue(
            QueueName=f"{name}-jobs", Attributes={"RedrivePolicy": json.dumps(redrive)}
        )
        table_prefix = f"{name}-"
        create_tables(dynamodb, table_prefix, collections)
        return Settings(
            backend="aws",
            bucket=name,
            queue=f"{name}-jobs",
            dead_letter_queue=f"{name}-dlq",
            table_prefix=table_prefix,
            max_deliveries=max_deliveries,
            region=REGION,
        )

    def stop(self) -> None:
        if self._guarded is not None:
            self._guarded.server.stop()
        self.server.stop()
        self.restore_environment()


# What the reader may do: read blobs and documents, find the queues and read their
# attributes (the adapters resolve queue URLs and check the redrive policy when built).
READER_ACTIONS = [
    "s3:GetObject",
    "s3:ListBucket",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTable",
]


@dataclass(frozen=True)
class GuardedServer:
    """A moto server enforcing IAM, with the access keys of its two users."""

    server: Server
    owner: tuple[str, str]
    reader: tuple[str, str]

    @property
    def endpoint(self) -> str:
        return f"http://{self.server.host}"

    @classmethod
    def start(cls, log_dir: Path) -> GuardedServer:
        server = start_moto(log_dir)
        try:
            iam = boto3.client("iam", region_name=REGION, endpoint_url=f"http://{server.host}")
            keys = {
                user: _user(iam, user, actions)
                for user, actions in (("owner", ["*"]), ("reader", READER_ACTIONS))
            }
            # From now on every request must be signed by one of these users' keys.
            enforce = urllib.request.Request(
                f"http://{server.host}/moto-api/reset-auth",
                data=b"0",  # no request is free of authentication from now on
                headers={"Content-Type": "text/plain"},
            )
            urllib.request.urlopen(enforce, timeout=30).close()
        except BaseException:
            server.stop()
            raise
        return cls(server, keys["owner"], keys["reader"])

    def environment(self, keys: tuple[str, str]) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": keys[0],
            "AWS_SECRET_ACCESS_KEY": keys[1],
            "AWS_SESSION_TOKEN": "",  # IAM users' keys come without one
        }

    def owner_client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.owner[0],
            aws_secret_access_key=self.owner[1],
            aws_session_token=None,
        )


def _user(iam: Any, name: str, actions: list[str]) -> tuple[str, str]:
    """Create IAM user `name` allowed `actions` on every resource; its access key."""
    iam.create_user(UserName=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
