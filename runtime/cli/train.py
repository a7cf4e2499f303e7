"""`mlpoc train`: enqueue a training job on a dataset's current labels."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from runtime.cli.base import console, err_console, fail
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption
from runtime.cli.jobs import show_job, wait_for_job


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`key=value` pairs; values read as JSON when they parse (numbers, true, lists)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            fail(f"--param takes key=value, got {pair!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def train(
    dataset: Annotated[str, typer.Argument(help="Dataset to train on.")],
    model: Annotated[str | None, typer.Option(help="Model name (default: the dataset's).")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="Trainer parameter key=value (repeatable), checked against the trainer's "
            "declared parameters before the job is queued."
        ),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the job to end.")] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train a new model version through the queue (a worker must be running)."""
    body: dict[str, Any] = {
        "type": "train",
        "dataset": dataset,
        "params": parse_params(param or []),
    }
    if model:
        body["model"] = model
    with Api(url, api_key) as api:
        job = api.post("/jobs", json=body)
        if wait:
            job = wait_for_job(api, job["id"], err_console if as_json else console, "training")
    show_job(job, as_json)
