"""`mlpoc datasets upload|list|describe|predictions`: datasets through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from runtime.cli.base import console, emit_json, fail, new_app, plain, table
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption

app = new_app("Upload, list and describe datasets; read their stored predictions.")


def _show(dataset: dict[str, Any]) -> None:
    console.print(
        f"[bold]{plain(dataset['name'])}[/bold]: {plain(dataset['rows'])} rows, "
        f"{plain(dataset['labelled'])} labelled, target {plain(repr(dataset['target']))}, "
        f"model {plain(repr(dataset['model']))}, {plain(dataset['status'])}"
    )
    if dataset.get("task"):
        console.print(f"task: {plain(dataset['task'])} ({plain(dataset.get('task_source'))})")
    if dataset.get("classes") is not None:
        classes = ", ".join(dataset["classes"]) or "none yet (label with --new-class)"
        console.print(f"classes: {plain(classes)}")
    console.print(
        table(
            None,
            ["column", "kind", "missing"],
            [(c["name"], c["kind"], c["missing"]) for c in dataset["columns"]],
        )
    )
    if dataset.get("label_counts"):
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(dataset["label_counts"].items()))
        console.print(f"labels: {plain(counts)}")


@app.command()
def upload(
    file: Annotated[Path, typer.Argument(help="The CSV file.", exists=True, dir_okay=False)],
    name: Annotated[
        str | None, typer.Option(help="Dataset name (default: the file's stem).")
    ] = None,
    target: Annotated[str | None, typer.Option(help="The label column.")] = None,
    id_column: Annotated[str | None, typer.Option(help="The record id column.")] = None,
    unlabelled: Annotated[
        bool, typer.Option("--unlabelled", help="The file may lack the target column.")
    ] = False,
    model: Annotated[str | None, typer.Option(help="Model name (default: the dataset's).")] = None,
    task: Annotated[
        str | None,
        typer.Option(
            help="classification or regression (default: inferred: integral with few "
            "distinct values, or text, is classification; other numbers regression)."
        ),
    ] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload a CSV as a new dataset (validated in full before anything is stored)."""
    from runtime.datasets.task import TASKS

    if task is not None and task not in TASKS:
        fail(f"--task must be {' or '.join(TASKS)}, got {task!r}")
    form = {
        "name": name or file.stem,
        "target": target,
        "id_column": id_column,
        "unlabelled": "true" if unlabelled else None,
        "model": model,
        "task": task,
    }
    with (
        Api(url, api_key, timeout=600) as api,
        file.open("rb") as handle,
        console.status(f"uploading {file}"),
    ):
        dataset = api.post(
            "/datasets",
            files={"file": (file.name, handle, "text/csv")},
            data={k: v for k, v in form.items() if v is not None},
        )
    if as_json:
        emit_json(dataset)
    else:
        _show(dataset)


@app.command("list")
def list_datasets(
    url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """List datasets with their row and label counts."""
    with Api(url, api_key) as api:
        items = api.pages("/datasets", limit=1000)
    if as_json:
        emit_json(items)
        return
    console.print(
        table(
            "datasets",
            ["name", "rows", "labelled", "target", "model", "status", "created"],
            [
                (
                    d["name"],
                    d["rows"],
                    d["labelled"],
                    d["target"],
                    d["model"],
                    d["status"],
                    d["created_at"],
                )
                for d in items
            ],
        )
    )


@app.command()
def describe(
    name: str, url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Columns and their kinds, row count, label counts."""
    with Api(url, api_key) as api:
        dataset = api.get(f"/datasets/{name}")
    if as_json:
        emit_json(dataset)
    else:
        _show(dataset)


@app.command()
def predictions(
    name: str,
    record_id: Annotated[
        list[str] | None, typer.Argument(help="Record ids (default: every stored prediction).")
    ] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pre-computed predictions of a dataset (written by batch-predict jobs)."""
    with Api(url, api_key) as api:
        if record_id:
            answer = api.post(
                f"/datasets/{name}/predictions/lookup", json={"record_ids": record_id}
            )
            found, missing = answer["found"], answer["missing"]
        else:
            found, missing = api.pages(f"/datasets/{name}/predictions", limit=1000), []
    if as_json:
        emit_json({"found": found, "missing": missing})
        return
    console.print(
        table(
            f"stored predictions of {name}",
            ["record", "value", "model", "version", "predicted"],
            [
                (p["record_id"], p["value"], p["model"], p["version"], p["predicted_at"])
                for p in found
            ],
        )
    )
    if missing:
        fail(f"no stored prediction for {', '.join(missing)}", 1)
