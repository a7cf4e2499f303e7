"""Known emulator gaps: the one place a backend may skip a contract test.

{backend: {test function name: reason}}. A gap skips that test on that backend only; the
assertion stays as strict for every other backend. Each entry names the emulator and what
it lacks, so it can be removed when the emulator catches up.
"""

from __future__ import annotations

# Tests that need an identity the backend refuses (Rig.identities).
DENIED_IDENTITY_TESTS = (
    "test_a_denied_identity_gets_configuration_errors_and_writes_nothing",
    "test_a_denied_backend_is_a_503_misconfigured_not_a_500",
    "test_a_worker_denied_by_its_backend_reports_unhealthy",
)
NO_LOCAL_ACCESS_CONTROL = (
    "the embedded backend has no access control of its own: only the data directory's file "
    "permissions, which root (as the tests and CI run) passes"
)
NO_GCP_EMULATOR_IAM = (
    "no GCP emulator enforces IAM: fake-gcs-server and the Pub/Sub emulator have none, and "
    "the Firestore emulator skips its security rules for the server SDK, which always signs "
    "as 'owner'; the mapping of 403/PERMISSION_DENIED is unit-tested in "
    "tests/adapters/test_gcp_errors.py"
)

NO_LOCAL_RESOURCES = (
    "the embedded backend keeps blobs and messages in its data directory, which it makes on "
    "first use: there is no bucket or queue to be missing"
)

KNOWN_GAPS: dict[str, dict[str, str]] = {
    "local": {
        **dict.fromkeys(DENIED_IDENTITY_TESTS, NO_LOCAL_ACCESS_CONTROL),
        "test_a_bucket_that_does_not_exist_is_a_configuration_error": NO_LOCAL_RESOURCES,
        "test_a_queue_that_does_not_exist_is_a_configuration_error": NO_LOCAL_RESOURCES,
    },
    "aws": {},
    "gcp": dict.fromkeys(DENIED_IDENTITY_TESTS, NO_GCP_EMULATOR_IAM),
}
