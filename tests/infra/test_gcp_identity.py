"""The GCP identities, one service account per process: every role each holds, on what, under
which IAM condition, named here in full. Any widening (a role, a target, a dropped condition)
fails a test; so does letting either write the API keys' database."""

from __future__ import annotations

import pytest

from infra.logical import PROCESSES
from tests.infra.conftest import Synth

PROJECT = "mlpoc-test-123456"
BUCKET = "${google_storage_bucket.bucket.name}"
OBJECTS = f"projects/_/buckets/{BUCKET}/objects/"
DOCS = (
    f'resource.name == "projects/{PROJECT}/databases/${{google_firestore_database.documents.name}}"'
)
KEYS = (
    f'resource.name == "projects/{PROJECT}/databases/'
    '${google_firestore_database.documents_operators.name}"'
)
JOBS_TOPIC = "${google_pubsub_topic.jobs_queue.name}"
JOBS_SUB = "${google_pubsub_subscription.jobs_queue_subscription.name}"
DEAD_SUB = "${google_pubsub_subscription.dead_letter_queue_subscription.name}"

Grant = tuple[str, str, str, str | None]  # (role, kind of target, target, condition)

PLATFORM: set[Grant] = {
    ("roles/logging.logWriter", "project", PROJECT, None),
    ("roles/monitoring.metricWriter", "project", PROJECT, None),
}


def objects(role: str, key: str) -> Grant:
    """A Cloud Storage role on the bucket, conditioned on a prefix or one exact key."""
    name = f"{OBJECTS}{key}"
    condition = (
        f'resource.name.startsWith("{name}")' if key.endswith("/") else f'resource.name == "{name}"'
    )
    return (role, "bucket", BUCKET, condition)


VIEWER, USER = "roles/storage.objectViewer", "roles/storage.objectUser"
LISTED = 'api.getAttribute("storage.googleapis.com/objectListPrefix", "")'
LIST_PROBE = f'{LISTED} == "readyz-probe"'
LIST_DATASETS = f'{LISTED}.startsWith("datasets/")'
EXPECTED: dict[str, set[Grant]] = {
    "api": {
        objects(USER, "datasets/"),
        objects(VIEWER, "artifacts/"),
        # /readyz lists this prefix; deleting a dataset lists its files. Nothing else.
        (VIEWER, "bucket", BUCKET, LIST_PROBE),
        (VIEWER, "bucket", BUCKET, LIST_DATASETS),
        ("roles/datastore.user", "project", PROJECT, DOCS),
        ("roles/datastore.viewer", "project", PROJECT, KEYS),
        ("roles/pubsub.publisher", "topic", JOBS_TOPIC, None),
        *PLATFORM,
    },
    "worker": {
        objects(VIEWER, "datasets/"),
        objects(USER, "artifacts/"),
        ("roles/datastore.user", "project", PROJECT, DOCS),
        ("roles/pubsub.publisher", "topic", JOBS_TOPIC, None),
        ("roles/pubsub.subscriber", "subscription", JOBS_SUB, None),
        ("roles/pubsub.subscriber", "subscription", DEAD_SUB, None),
        *PLATFORM,
    },
}

TARGETS = (
    ("google_storage_bucket_iam_member", "bucket"),
    ("google_pubsub_topic_iam_member", "topic"),
    ("google_pubsub_subscription_iam_member", "subscription"),
    ("google_project_iam_member", "project"),
    ("google_artifact_registry_repository_iam_member", "repository"),
    ("google_kms_crypto_key_iam_member", "crypto_key_id"),
    ("google_service_account_iam_member", "service_account_id"),
)


def grants(tf: Synth, process: str) -> set[Grant]:
    member = f"${{google_service_account.runtime_identity_{process}.member}}"
    found: set[Grant] = set()
    for kind, target in TARGETS:
        for grant in tf.resources(kind).values():
            if grant["member"] == member:
                condition = grant.get("condition", {}).get("expression")
                found.add((grant["role"], target, grant[target], condition))
    return found


@pytest.mark.parametrize("process", [p.name for p in PROCESSES])
def test_each_service_account_holds_exactly_this(gcp_synth: Synth, process: str) -> None:
    assert grants(gcp_synth, process) == EXPECTED[process]


def test_one_account_per_service(gcp_synth: Synth) -> None:
    accounts = gcp_synth.resources("google_service_account")
    assert {a["account_id"] for a in accounts.values()} == {"mlpoc-test-api", "mlpoc-test-worker"}
    versions = gcp_synth.resources("google_app_engine_flexible_app_version").values()
    assert {v["service"]: v["service_account"] for v in versions} == {
        "default": "${google_service_account.runtime_identity_api.email}",
        "worker": "${google_service_account.runtime_identity_worker.email}",
    }


def test_nobody_at_runtime_writes_api_keys_and_nothing_is_project_wide(gcp_synth: Synth) -> None:
    for process in ("api", "worker"):
        for role, _kind, _target, condition in grants(gcp_synth, process):
            if condition == KEYS:
                assert role == "roles/datastore.viewer", "API keys are read-only at runtime"
            if role.startswith(("roles/datastore.", "roles/storage.")):
                assert condition, f"{process}: {role} without a condition"
    for grant in gcp_synth.resources("google_project_iam_member").values():
        assert grant["role"] not in ("roles/owner", "roles/editor")
    roles = {g["role"] for g in gcp_synth.resources("google_storage_bucket_iam_member").values()}
    assert roles <= {"roles/storage.objectViewer", "roles/storage.objectUser"}
