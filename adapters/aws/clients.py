"""boto3 clients for S3, SQS and DynamoDB: one session, one botocore Config.

The endpoint is not a setting of ours: boto3 reads the standard `AWS_ENDPOINT_URL` (and
`AWS_ENDPOINT_URL_<SERVICE>`) itself, which is how tests point it at moto. Credentials come
from boto3's default chain (instance profile on Elastic Beanstalk, env vars in tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from adapters.aws.errors import translated
from adapters.settings import Settings

# SQS long polling holds a request open for up to 20 s, so reads must be allowed longer.
READ_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 5
# "standard" retries throttling and 5xx with exponential backoff and jitter; 4 attempts
# in all keeps a dead endpoint from stalling a request for minutes.
MAX_ATTEMPTS = 4

CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
    # Threads of the API and the worker's lease extender share the clients.
    max_pool_connections=20,
)


@dataclass(frozen=True)
class Clients:
    s3: Any
    sqs: Any
    dynamodb: Any


def make_clients(settings: Settings) -> Clients:
    """The three clients, in `settings.region` (else boto3's default region chain)."""
    with translated("creating AWS clients"):
        session = boto3.session.Session(region_name=settings.region)
        return Clients(
            s3=session.client("s3", config=CLIENT_CONFIG),
            sqs=session.client("sqs", config=CLIENT_CONFIG),
            dynamodb=session.client("dynamodb", config=CLIENT_CONFIG),
        )
