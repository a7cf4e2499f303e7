"""AWS backend: S3 (blobs), SQS with a dead-letter queue (jobs), DynamoDB (documents).

Imported by `adapters.factory` only when MLPOC_BACKEND=aws, so boto3 is never loaded for
another backend.
"""

from __future__ import annotations

from collections.abc import Iterable

from adapters.aws.clients import make_clients
from adapters.aws.dynamodb import DynamoDocumentStore
from adapters.aws.s3 import S3BlobStore
from adapters.aws.sqs import SqsJobQueue
from adapters.errors import ConfigurationError
from adapters.ports import Adapters, Collection
from adapters.settings import Settings, env_name

__all__ = ["DynamoDocumentStore", "S3BlobStore", "SqsJobQueue", "build"]


def build(settings: Settings, collections: Iterable[Collection]) -> Adapters:
    """The three AWS adapters for `settings`; resolves the queue URLs (one call each)."""
    bucket, queue, dead_letter_queue = settings.bucket, settings.queue, settings.dead_letter_queue
    if not (bucket and queue and dead_letter_queue and settings.table_prefix):
        missing = [name for name in Settings.required_for("aws") if not getattr(settings, name)]
        raise ConfigurationError(
            f"{', '.join(env_name(name) for name in missing)} must be set for the aws backend"
        )
    clients = make_clients(settings)
    return Adapters(
        backend="aws",
        blobs=S3BlobStore(clients.s3, bucket),
        queue=SqsJobQueue.connect(clients.sqs, queue, dead_letter_queue, settings.max_deliveries),
        documents=DynamoDocumentStore(clients.dynamodb, settings.table_prefix, collections),
    )
