"""`mlpoc serve`: the API on this machine (uvicorn, settings from `MLPOC_*`)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from runtime.cli.base import fail
from runtime.cli.processes import check_port


def serve(
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8080,
    host: Annotated[
        str, typer.Option(envvar="MLPOC_API_HOST", help="Address to bind (0.0.0.0: every one).")
    ] = "127.0.0.1",
) -> None:
    """Serve the API (health, datasets, labels, jobs, models, predict, /metrics, /docs)."""
    check_port(port, host, flag="--port")
    os.environ["PORT"] = str(port)
    os.environ["MLPOC_API_HOST"] = host
    from adapters.settings import load_settings
    from runtime.api.__main__ import main
    from runtime.api.settings import load_api_settings

    # A bad configuration is one line and exit 2, before uvicorn starts.
    load_settings()
    load_api_settings()

    code = main()
    if code == 2:
        fail("the API could not start: see the message above", 2)
    raise typer.Exit(code)
