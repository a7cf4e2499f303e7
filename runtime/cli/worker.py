"""`mlpoc worker`: run N worker processes and supervise them.

Each is `python -m runtime.worker` with this environment. A worker that dies is restarted
(after a pause that grows while they keep dying); one that refuses its configuration (exit
code 2) ends the whole command with that message. Ctrl-C or SIGTERM: every worker gets
SIGTERM (finishing or releasing its job within MLPOC_SHUTDOWN_GRACE_SECONDS), then is
killed if it lingers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from runtime.cli.base import INTERRUPTED, console, fail
from runtime.cli.processes import Child, python_module, sigterm_as_interrupt, spawn, stop_all

RESTART_PAUSE_MAX = 30.0


def worker(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Worker processes.")] = 1,
    log_dir: Annotated[
        Path | None, typer.Option(help="Write each worker's log here (default: this terminal).")
    ] = None,
) -> None:
    """Run worker processes that train and score jobs from the queue (Ctrl-C stops them)."""
    from adapters.settings import load_settings
    from runtime.config import load_runtime_settings

    # Refuse a bad configuration before starting anything.
    backend = load_settings()
    settings = load_runtime_settings()
    grace = settings.shutdown_grace_seconds + 10
    children: list[Child] = []
    pauses = [1.0] * count
    try:
        with sigterm_as_interrupt():
            for index in range(count):
                children.append(_start(index, log_dir))
            console.print(
                f"{count} worker(s) on the {backend.backend} backend: "
                f"pids {', '.join(str(c.pid) for c in children)}; Ctrl-C stops them"
            )
            while True:
                time.sleep(0.5)
                for index, child in enumerate(children):
                    if child.alive():
                        continue
                    code = child.process.returncode
                    if code == 2:
                        fail(
                            f"worker {index} refused to start: {child.log_tail(1) or 'see its log'}"
                        )
                    console.print(
                        f"worker {index} (pid {child.pid}) exited with {code}; restarting"
                    )
                    time.sleep(pauses[index])
                    pauses[index] = min(pauses[index] * 2, RESTART_PAUSE_MAX)
                    children[index] = _start(index, log_dir)
    except KeyboardInterrupt:
        console.print("stopping the workers (each finishes or releases its job)")
        stop_all(children, grace)
        raise typer.Exit(INTERRUPTED) from None
    finally:
        stop_all(children, grace)


def _start(index: int, log_dir: Path | None) -> Child:
    name = f"worker-{index}"
    log = log_dir / f"{name}.log" if log_dir else None
    return spawn(name, python_module("runtime.worker"), dict(os.environ), log)
