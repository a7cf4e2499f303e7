"""AWS rig: one moto server for the session; fresh bucket, queues and tables per settings()."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import boto3

from adapters import Collection, Settings
from adapters.aws.provision import create_tables
from tests.rigs.base import Rig
from tests.servers.moto import DUMMY_AWS_ENV, start_moto
from tests.servers.process import Server

REGION = DUMMY_AWS_ENV["AWS_DEFAULT_REGION"]


class AwsRig(Rig):
    name = "aws"

    def __init__(self, server: Server) -> None:
        self.server = server
        self.endpoint = f"http://{server.host}"
        self._clients: dict[str, Any] = {}

    @classmethod
    def start(cls, tmp_dir: Path) -> AwsRig:
        rig = cls(start_moto(tmp_dir / "logs"))
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
        collections = tuple(collections)
        name = self.unique("mlpoc-")
        s3, sqs, dynamodb = (self.client(service) for service in ("s3", "sqs", "dynamodb"))
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
        self.server.stop()
        self.restore_environment()
