"""`mlpoc datasets upload|append|list|describe|preview|stats|delete|predictions`: datasets
through the API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from runtime.cli.base import console, emit_json, fail, new_app, plain, table
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption

app = new_app(
    "Upload, append to, list, describe, preview and delete datasets; column statistics; "
    "their stored predictions."
)


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
        # In label-set order ("2" before "10"); any other key (an old dataset's) after.
        order = {c: n for n, c in enumerate(dataset.get("classes") or [])}
        counts = ", ".join(
            f"{k}: {v}"
            for k, v in sorted(
                dataset["label_counts"].items(),
                key=lambda kv: (order.get(kv[0], len(order)), kv[0]),
            )
        )
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
    """Columns and their kinds, row count, label counts, task and label set."""
    with Api(url, api_key) as api:
        dataset = api.get(f"/datasets/{name}")
    if as_json:
        emit_json(dataset)
    else:
        _show(dataset)


@app.command()
def append(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    file: Annotated[Path, typer.Argument(help="The CSV file.", exists=True, dir_okay=False)],
    new_class: Annotated[
        bool,
        typer.Option(
            "--new-class", help="Labels outside the label set add classes (else refused)."
        ),
    ] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Append rows (the dataset's columns in any order; the target may be left out), checked
    like an upload; the dataset's revision goes up by one."""
    with (
        Api(url, api_key, timeout=600) as api,
        file.open("rb") as handle,
        console.status(f"appending {file}"),
    ):
        dataset = api.post(
            f"/datasets/{name}/rows",
            files={"file": (file.name, handle, "text/csv")},
            data={"new_class": "true"} if new_class else {},
        )
    if as_json:
        emit_json(dataset)
    else:
        _show(dataset)


@app.command()
def preview(
    name: str,
    rows: Annotated[int, typer.Option(min=1, max=100, help="How many rows.")] = 10,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The first rows, in file order, with their current labels."""
    with Api(url, api_key) as api:
        items = api.get(f"/datasets/{name}/preview", params={"rows": rows})["items"]
    if as_json:
        emit_json(items)
        return
    for part in _preview_tables(f"{name}: first {len(items)} rows", items):
        console.print(part)


def _preview_tables(title: str, items: list[dict[str, Any]]) -> list[Table]:
    """One table of records by columns; if that is wider than the terminal (30 features
    would squash every cell to nothing), turned round: a line per column, as many records
    side by side as fit, in as many tables as it takes."""
    columns = list(items[0]["values"]) if items else []
    wide = table(
        title,
        ["record", "label", *columns],
        [(r["record_id"], r["label"], *(r["values"].get(c) for c in columns)) for r in items],
    )
    # Its width unbounded: the narrowest it can be with every word whole.
    unbounded = console.options.update(max_width=1_000_000)
    if console.measure(wide, options=unbounded).minimum <= console.width:
        return [wide]
    names = ["label", *columns]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["label"], *(r["values"].get(c) for c in columns)]

    room = console.width - max(len(n) for n in ["column", *names]) - 4
    chunks: list[list[dict[str, Any]]] = [[]]
    used = 0
    for r in items:
        need = max(len(str(v)) for v in [r["record_id"], *cells(r)]) + 3
        if chunks[-1] and used + need > room:
            chunks.append([])
            used = 0
        chunks[-1].append(r)
        used += need
    return [
        table(
            title if n == 0 else None,
            ["column", *(r["record_id"] for r in chunk)],
            list(zip(names, *(cells(r) for r in chunk), strict=True)),
        )
        for n, chunk in enumerate(chunks)
    ]


@app.command()
def stats(
    name: str, url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """Per column: missing count; min, max and mean of numbers; most frequent values."""
    with Api(url, api_key) as api:
        answer = api.get(f"/datasets/{name}/stats")
    if as_json:
        emit_json(answer)
        return
    rows = []
    for c in answer["columns"]:
        if c["kind"] == "numeric":
            summary = f"min {_num(c['min'])}, max {_num(c['max'])}, mean {_num(c['mean'])}"
        elif c["kind"] == "categorical":
            top = ", ".join(f"{t['value']} ({t['count']})" for t in c["top"])
            distinct = c["distinct"] if c["distinct"] is not None else "> 10000"
            summary = f"{distinct} distinct; top: {top}"
        else:
            summary = ""
        rows.append((c["name"], c["kind"], c["missing"], summary))
    console.print(
        table(f"{name}: {answer['rows']} rows", ["column", "kind", "missing", "values"], rows)
    )
    target = answer["target"]
    if target["column"]:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted((target["label_counts"] or {}).items()))
        console.print(
            plain(f"target {target['column']} ({target['task']}): {target['labelled']} labelled")
            + (f"; {plain(counts)}" if counts else "")
        )


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


@app.command()
def delete(
    name: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete a dataset with its records, annotations, stored predictions and files (admin);
    model versions and their artifacts stay."""
    if not yes:
        if not sys.stdin.isatty():
            fail("no terminal to confirm on: pass --yes to delete")
        answer = typer.prompt(f"type the dataset's name ({name}) to delete it")
        if answer.strip() != name:
            fail("not confirmed: nothing was deleted", 1)
    with Api(url, api_key, timeout=600) as api, console.status(f"deleting {name}"):
        removed = api.delete(f"/datasets/{name}")
    if as_json:
        emit_json(removed)
        return
    console.print(
        plain(
            f"deleted {name}: {_count(removed['records'], 'record')}, "
            f"{_count(removed['annotations'], 'annotation')}, "
            f"{_count(removed['predictions'], 'stored prediction')}, "
            f"{_count(removed['files'], 'file')} "
            f"({_count(removed['snapshots_kept'], 'training snapshot')} kept for model versions)"
        )
    )


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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
