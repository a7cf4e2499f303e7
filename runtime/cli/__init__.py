"""The `mlpoc` command line (Typer + Rich): one module per command group.

Console script: `mlpoc = "runtime.cli:app"`; also `python -m runtime.cli`. Command modules
import their heavy dependencies (pandas, the adapters, cdktf) inside the commands, so
`mlpoc --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from runtime.cli import datasets, jobs, keys, models
from runtime.cli.base import STATE, new_app
from runtime.cli.bench import bench
from runtime.cli.cloud import deploy, destroy, synth
from runtime.cli.demo import demo
from runtime.cli.doctor import doctor
from runtime.cli.init import init
from runtime.cli.label import label
from runtime.cli.logs import logs
from runtime.cli.predict import predict
from runtime.cli.rehearse import rehearse
from runtime.cli.serve import serve
from runtime.cli.status import status
from runtime.cli.train import train
from runtime.cli.worker import worker

app = new_app(
    "mlpoc: take a machine-learning proof of concept to a running service, "
    "locally, on AWS or on Google Cloud."
)


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of errors.", envvar="MLPOC_DEBUG")
    ] = False,
) -> None:
    """Global options."""
    STATE.debug = STATE.debug or debug


app.command()(init)
app.command()(serve)
app.command()(worker)
app.command()(demo)
app.add_typer(datasets.app, name="datasets")
app.command()(label)
app.command()(train)
app.add_typer(jobs.app, name="jobs")
app.add_typer(models.app, name="models")
app.command()(predict)
app.add_typer(keys.app, name="keys")
app.command()(synth)
app.command()(deploy)
app.command()(status)
app.command()(logs)
app.command()(destroy)
app.command()(rehearse)
app.command()(doctor)
app.command()(bench)

__all__ = ["app"]
