"""`mlpoc bench`: run every benchmark under bench/ and write one Markdown report (the same
as `make bench`, which runs bench/run_all.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from runtime.cli.base import fail


def bench(
    output: Annotated[Path, typer.Option(help="The report to write.")] = Path("bench/REPORT.md"),
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these benchmarks (file stems; repeatable).")
    ] = None,
) -> None:
    """Run the benchmarks (from a clone of the repository) into one Markdown report."""
    runner = Path("bench/run_all.py")
    if not runner.is_file():
        fail("no bench/run_all.py here: run this from the root of a clone of the mlpoc repository")
    argv = [sys.executable, str(runner), "--output", str(output)]
    for name in only or []:
        argv += ["--only", name]
    raise typer.Exit(subprocess.run(argv, check=False).returncode)
