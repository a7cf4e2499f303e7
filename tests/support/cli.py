"""Run the `mlpoc` CLI as a user does: the console script in a subprocess (or, until the
project is reinstalled with its entry point, `python -m runtime.cli`), with a clean
environment (no MLPOC_* of the caller's) unless a test sets some."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("mlpoc")


def mlpoc_argv() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "runtime.cli"]


def ctrl_c_reaches_it() -> None:
    """`preexec_fn` for a CLI process a test stops with SIGINT, as Ctrl-C does in a terminal.

    A shell that runs the suite in the background (`make test &`, nohup, a CI runner's
    script) starts it with SIGINT ignored, and every child inherits that; Python then
    installs no KeyboardInterrupt handler, so the test's SIGINT would do nothing and the
    process would run on until the test's deadline. Reset it to the default in the child
    before exec, so the CLI starts as from a terminal's foreground."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPOC_")}
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*mlpoc_argv(), *args],
        env=env if env is not None else clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pid_alive(pid: int) -> bool:
    """True if the pid runs and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def processes_with_env(name: str, value: str) -> list[int]:
    """Pids of this user's processes whose environment holds name=value."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found
