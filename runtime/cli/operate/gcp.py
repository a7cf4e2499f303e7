"""Google Cloud operations for the CLI (google-auth and google-cloud-storage, from the `gcp`
extra; Cloud Logging and App Engine through their REST APIs, so no further SDK)."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from runtime.cli.base import fail
from runtime.cli.operate import LogLine

if TYPE_CHECKING:
    from adapters.settings import Settings
    from runtime.cli.cdktf import Cdktf
    from runtime.cli.project import Deployed

NO_CREDENTIALS = (
    "no Google Cloud credentials found (GOOGLE_APPLICATION_CREDENTIALS, application default "
    "credentials): run `gcloud auth application-default login`"
)
EMULATORS = ("PUBSUB_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")
# The KMS key and its ring: Cloud KMS never deletes them, and the stack protects the key
# (prevent_destroy), so a destroy first takes them out of Terraform's hands.
KEPT_ON_DESTROY = ("google_kms_crypto_key.key", "google_kms_key_ring.key_ring")
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


def _session() -> Any:
    try:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError
        from google.auth.transport.requests import AuthorizedSession
    except ImportError:
        fail("the Google Cloud SDK is not installed: pip install -e '.[gcp]'")
    try:
        credentials, _ = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError:
        fail(NO_CREDENTIALS)
    return AuthorizedSession(credentials)


def _call(session: Any, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    response = session.request(method, url, timeout=30, **kwargs)
    if response.status_code >= 400:
        fail(f"Google Cloud refused {url.split('?')[0]} (HTTP {response.status_code})", 1)
    found: dict[str, Any] = response.json()
    return found


class GcpOps:
    def credentials(self) -> str:
        if all(os.environ.get(name) for name in EMULATORS):
            return "Google's emulators (no credentials needed)"
        _session()
        return "Google Cloud application default credentials"

    def platform_status(self, deployed: Deployed) -> list[tuple[str, str]]:
        project, release = deployed.outputs.get("gcp_project"), deployed.outputs.get("release")
        if not project or not release:
            return [("App Engine", "not in this stack's outputs")]
        session = _session()
        rows = []
        for service in ("default", "worker"):
            url = (
                f"https://appengine.googleapis.com/v1/apps/{project}/services/{service}"
                f"/versions/{release}"
            )
            version = _call(session, "GET", url)
            rows.append((f"service {service}", f"{release}: {version.get('servingStatus')}"))
        return rows

    def logs(
        self, deployed: Deployed, *, minutes: int, process: str | None, limit: int
    ) -> list[LogLine]:
        project = deployed.outputs.get("gcp_project")
        if not project:
            fail("the deployed stack names no project (outputs: gcp_project)")
        since = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
        service = {"api": "default", "worker": "worker"}.get(process or "", "")
        where = f'resource.type="gae_app" AND timestamp>="{since}"'
        if service:
            where += f' AND resource.labels.module_id="{service}"'
        body = {
            "resourceNames": [f"projects/{project}"],
            "filter": where,
            "orderBy": "timestamp desc",
            "pageSize": limit,
        }
        found = _call(
            _session(), "POST", "https://logging.googleapis.com/v2/entries:list", json=body
        )
        lines = []
        for entry in found.get("entries", []):
            payload = entry.get("textPayload") or entry.get("jsonPayload", {}).get("message", "")
            module = entry.get("resource", {}).get("labels", {}).get("module_id", "")
            lines.append(LogLine(entry.get("timestamp", ""), module, str(payload).rstrip()))
        return sorted(lines, key=lambda line: line.timestamp)

    def empty_bucket(self, settings: Settings) -> int:
        from google.cloud import storage

        client = storage.Client(project=settings.gcp_project)
        deleted = 0
        for blob in client.list_blobs(settings.bucket, versions=True):
            blob.bucket.delete_blob(blob.name, generation=blob.generation)
            deleted += 1
        return deleted

    def before_destroy(self, cdktf: Cdktf) -> None:
        """Take the KMS key and ring out of the state (they stay in the project: Cloud KMS
        keeps them; an import brings them back for a later deploy)."""
        env = cdktf.env()
        stack_dir = cdktf.project.stack_dir
        for argv in (
            ["terraform", "init", "-input=false", "-no-color"],
            ["terraform", "state", "rm", "-no-color", *KEPT_ON_DESTROY],
        ):
            done = subprocess.run(
                argv, cwd=stack_dir, env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0 and "No matching objects" not in done.stderr:
                fail(f"{' '.join(argv[:3])} failed in {stack_dir}: {done.stderr.strip()[-300:]}")


OPS = GcpOps()
