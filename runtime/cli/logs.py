"""`mlpoc logs`: the deployed API's and worker's recent log lines (Elastic Beanstalk streams
them to CloudWatch Logs; App Engine writes them to Cloud Logging)."""

from __future__ import annotations

from typing import Annotated

import typer

from runtime.cli.base import console, emit_json, fail, plain
from runtime.cli.client import JsonOption
from runtime.cli.operate import ops
from runtime.cli.project import load_project

PROCESSES = ("api", "worker")


def logs(
    process: Annotated[
        str | None, typer.Option("--process", help="Only this process: api or worker.")
    ] = None,
    minutes: Annotated[int, typer.Option(help="How far back to look.", min=1)] = 60,
    limit: Annotated[int, typer.Option(help="At most this many lines.", min=1)] = 200,
    as_json: JsonOption = False,
) -> None:
    """Recent log lines of the deployed API and worker, oldest first."""
    if process is not None and process not in PROCESSES:
        fail(f"--process must be api or worker, got {process!r}")
    project = load_project()
    cloud = ops(project.cloud)
    cloud.credentials()
    deployed = project.deployed()
    lines = cloud.logs(deployed, minutes=minutes, process=process, limit=limit)
    if as_json:
        emit_json([line.__dict__ for line in lines])
        return
    if not lines:
        console.print(f"no log lines in the last {minutes} minutes")
    for line in lines:
        # Log lines are data from the services: printed as plain text, never as markup.
        console.print(
            f"{plain(line.timestamp)} [dim]{plain(line.source)}[/dim] {plain(line.message)}",
            highlight=False,
            soft_wrap=True,
        )
