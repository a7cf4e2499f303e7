"""Construction of the three Google clients, for the cloud or for the emulators.

The SDKs find emulators themselves through the standard variables PUBSUB_EMULATOR_HOST,
FIRESTORE_EMULATOR_HOST and STORAGE_EMULATOR_HOST. When one is set we also pass anonymous
credentials, so no Google account or credentials file is ever needed against an emulator
(and none is looked up). Otherwise the SDKs use Application Default Credentials.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from google.api_core import exceptions as gexc
from google.api_core import retry as retries
from google.auth.credentials import AnonymousCredentials, Credentials

from adapters.gcp.errors import translated

if TYPE_CHECKING:
    import google.cloud.storage as storage
    from google import pubsub_v1
    from google.cloud import firestore

PUBSUB_EMULATOR_HOST = "PUBSUB_EMULATOR_HOST"
FIRESTORE_EMULATOR_HOST = "FIRESTORE_EMULATOR_HOST"
STORAGE_EMULATOR_HOST = "STORAGE_EMULATOR_HOST"

# Every call gives up after this long (retries included) and raises BackendUnavailable.
# The SDK defaults go up to 600 s, which turns an unreachable backend into a hung worker.
CALL_TIMEOUT_SECONDS = 30.0

# Transient gRPC failures worth retrying, within CALL_TIMEOUT_SECONDS overall.
GRPC_RETRY = retries.Retry(
    predicate=retries.if_exception_type(
        gexc.ServiceUnavailable,
        gexc.InternalServerError,
        gexc.Unknown,
        gexc.ResourceExhausted,
    ),
    initial=0.1,
    maximum=5.0,
    multiplier=2.0,
    timeout=CALL_TIMEOUT_SECONDS,
)


def _credentials(emulator_variable: str) -> Credentials | None:
    """Anonymous credentials against an emulator; None (= ADC) against the cloud."""
    return AnonymousCredentials() if os.environ.get(emulator_variable) else None


def storage_client(project: str) -> storage.Client:
    import google.cloud.storage as storage

    with translated("connecting to Cloud Storage"):
        return storage.Client(project=project, credentials=_credentials(STORAGE_EMULATOR_HOST))


# Pub/Sub: the generated (GAPIC) clients, not google.cloud.pubsub_v1's wrappers. A job queue
# publishes one message at a time and pulls synchronously, so the wrapper's batching threads
# and streaming pull buy nothing, and its publish(**attributes) would collide with attribute
# names such as "timeout". The GAPIC clients honour PUBSUB_EMULATOR_HOST themselves.
def publisher_client() -> pubsub_v1.PublisherClient:
    from google import pubsub_v1

    with translated("connecting to Pub/Sub"):
        return pubsub_v1.PublisherClient(credentials=_credentials(PUBSUB_EMULATOR_HOST))


def subscriber_client() -> pubsub_v1.SubscriberClient:
    from google import pubsub_v1

    with translated("connecting to Pub/Sub"):
        return pubsub_v1.SubscriberClient(credentials=_credentials(PUBSUB_EMULATOR_HOST))


def firestore_client(project: str, database: str) -> firestore.Client:
    from google.cloud import firestore

    with translated("connecting to Firestore"):
        return firestore.Client(
            project=project,
            database=database,
            credentials=_credentials(FIRESTORE_EMULATOR_HOST),
        )
