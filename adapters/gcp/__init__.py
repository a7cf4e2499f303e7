"""The Google Cloud backend: Cloud Storage, Pub/Sub and Firestore.

Imported only when MLPOC_BACKEND=gcp (adapters.factory), so the other backends never load
the Google SDKs. Against emulators set PUBSUB_EMULATOR_HOST, FIRESTORE_EMULATOR_HOST and
STORAGE_EMULATOR_HOST (the SDKs' own variables); otherwise Application Default Credentials
reach the real services.
"""

from __future__ import annotations

from collections.abc import Iterable

from adapters.errors import ConfigurationError
from adapters.gcp import clients
from adapters.gcp.firestore import FirestoreDocumentStore
from adapters.gcp.gcs import GcsBlobStore
from adapters.gcp.pubsub import PubSubJobQueue
from adapters.ports import Adapters, Collection
from adapters.settings import Settings

__all__ = ["FirestoreDocumentStore", "GcsBlobStore", "PubSubJobQueue", "build"]


def build(settings: Settings, collections: Iterable[Collection]) -> Adapters:
    # Settings validation guarantees every name below is set when backend == "gcp".
    project = _required(settings.gcp_project)
    return Adapters(
        backend="gcp",
        blobs=GcsBlobStore(clients.storage_client(project), _required(settings.bucket)),
        queue=PubSubJobQueue(
            clients.publisher_client(),
            clients.subscriber_client(),
            project=project,
            topic=_required(settings.queue),
            subscription=_required(settings.subscription),
            dead_letter_subscription=_required(settings.dead_letter_subscription),
            max_deliveries=settings.max_deliveries,
        ),
        documents=FirestoreDocumentStore(
            clients.firestore_client(project, settings.firestore_database),
            settings.table_prefix,
            collections,
            operator_client=(
                clients.firestore_client(project, settings.firestore_operator_database)
                if settings.firestore_operator_database
                else None
            ),
        ),
    )


def _required(value: str | None) -> str:
    if not value:  # unreachable through load_settings(); guards hand-built Settings
        raise ConfigurationError("incomplete gcp settings: build them with load_settings()")
    return value
