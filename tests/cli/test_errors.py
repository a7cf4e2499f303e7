"""User errors end with exit code 2 and one line saying what to do, never a traceback
(`--debug` shows it)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.process import free_port
from tests.support.cli import clean_env, run_cli


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _one_line_error(done: subprocess.CompletedProcess[str], *, says: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mlpoc: ") and says in lines[0], lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def test_unknown_backend() -> None:
    done = run_cli("keys", "list", env=clean_env(MLPOC_BACKEND="azure"))
    _one_line_error(done, says="MLPOC_BACKEND: must be one of local, aws, gcp")


def test_missing_backend_configuration() -> None:
    done = run_cli("keys", "list", env=clean_env(MLPOC_BACKEND="aws"))
    _one_line_error(done, says="MLPOC_BUCKET")


def test_missing_project_file(tmp_path: Path) -> None:
    done = run_cli("synth", cwd=tmp_path)
    _one_line_error(done, says="mlpoc init")


def test_invalid_project_file(tmp_path: Path) -> None:
    (tmp_path / "mlpoc.toml").write_text(
        '[project]\nname = "ok-name"\ncloud = "aws"\nregion = "eu-west-1"\n'
        '[budget]\namount = 0\nalert_email = "a@b.co"\n'
    )
    done = run_cli("deploy", cwd=tmp_path)
    _one_line_error(done, says="[budget].amount must be > 0")


def test_unreachable_service() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = run_cli("datasets", "list", "--url", url, "--api-key", "mlpoc_x")
    _one_line_error(done, says=f"cannot reach the mlpoc API at {url}")


def test_missing_api_key() -> None:
    done = run_cli("models", "list", "wine")
    _one_line_error(done, says="MLPOC_API_KEY")


@pytest.mark.parametrize("command", [("serve",), ("demo",)])
def test_port_in_use(command: tuple[str, ...], busy_port: int, tmp_path: Path) -> None:
    env = clean_env(MLPOC_DATA_DIR=str(tmp_path))
    done = run_cli(*command, "--port", str(busy_port), env=env)
    _one_line_error(done, says=f"port {busy_port} on 127.0.0.1 is in use")
    assert not any(tmp_path.iterdir()), "nothing may be written before the port check"


def test_debug_shows_the_traceback() -> None:
    done = run_cli("--debug", "keys", "list", env=clean_env(MLPOC_BACKEND="azure"))
    assert done.returncode == 2
    assert "Traceback" in done.stderr and "ConfigurationError" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("mlpoc: ")
