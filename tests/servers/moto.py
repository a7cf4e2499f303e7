"""moto in server mode: one process per test session, on a free loopback port."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.servers.process import Server, free_port, start_server

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
        raise RuntimeError(
            "moto_server not found beside this Python; install the dev extra: "
            "pip install -e '.[aws,dev]'"
        )
    port = free_port()
    return start_server(
        "moto",
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        port,
        log_dir,
        env=DUMMY_AWS_ENV,
        timeout=60,
    )
