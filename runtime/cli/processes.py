"""Child processes the CLI starts (API, workers): each in its own session so a terminal's
Ctrl-C reaches only the CLI, which then stops them in order; each asked by the kernel to
exit if the CLI itself dies (Linux's parent-death signal), so none is left orphaned.
Stopped by pid: SIGTERM, then SIGKILL of the process group after a grace period.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from runtime.cli.base import fail

PR_SET_PDEATHSIG = 1


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the one helper for it:
    the demo and every test server pick their ports here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_port(port: int, host: str = "127.0.0.1", flag: str = "--port") -> None:
    if port_in_use(port, host):
        fail(f"port {port} on {host} is in use: stop what holds it or pass {flag} <another port>")


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: SIGTERM it when the CLI process dies.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path | None

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None:
            return ""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def terminate(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)

    def stop(self, grace: float) -> None:
        """SIGTERM, wait `grace` seconds, then SIGKILL its whole process group."""
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # its own group: stragglers included
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def spawn(name: str, argv: Sequence[str], env: dict[str, str], log_path: Path | None) -> Child:
    """Start `argv` in its own session; output to `log_path`, or to this terminal if None."""
    log = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("ab")
    try:
        process = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    finally:
        if log is not None:
            log.close()
    return Child(name, process, log_path)


def python_module(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def stop_all(children: Sequence[Child], grace: float) -> None:
    """Ask all to stop at once, then wait for each (so their grace periods overlap)."""
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.stop(max(0.0, deadline - time.monotonic()))


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C inside the block, so the same cleanup runs for both."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def wait_until(
    check: Callable[[], bool], *, timeout: float, child: Child | None, what: str
) -> None:
    """Poll `check`; fail with the child's log if it exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if child is not None and not child.alive():
            fail(
                f"{what}: the {child.name} process exited with code {child.process.returncode}; "
                f"see {child.log_path} (last line: {_last_line(child)})"
            )
        time.sleep(0.1)
    fail(f"{what}: no answer within {timeout:.0f} s; see the logs")


def _last_line(child: Child) -> str:
    tail = child.log_tail(1).strip()
    return tail[-200:] if tail else "empty"
