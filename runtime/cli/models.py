"""`mlpoc models list|show|compare|promote|rollback|export`: versions, their model cards,
aliases moved by compare-and-swap, and a version's export."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Annotated, Any

import typer

from runtime.cli import cards
from runtime.cli.base import console, emit_json, metric_value, new_app, plain, table
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption

app = new_app(
    "Model versions and their cards (show, compare), aliases (promote, rollback), export."
)
JOB_PREFIX = 8  # enough to name the job to `mlpoc jobs show`
AliasOption = Annotated[str, typer.Option(help="The alias to move.")]
ExpectOption = Annotated[
    int | None,
    typer.Option(
        "--expect",
        help="The version the alias must hold now (default: whatever it holds when read; "
        "a move by someone else in between is refused).",
    ),
]


def _alias(api: Api, model: str, alias: str) -> dict[str, Any] | None:
    path = f"/models/{model}/aliases/{alias}"
    return api.get(path) if api.status(path) == 200 else None


@app.command("list")
def list_versions(
    model: Annotated[str, typer.Argument(help="Model name (by default a dataset's name).")],
    alias: Annotated[str, typer.Option(help="Alias to mark in the list.")] = "production",
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A model's versions, newest first, with their metrics and where the alias points."""
    with Api(url, api_key) as api:
        versions = api.pages(f"/models/{model}/versions", limit=1000)
        current = _alias(api, model, alias)
    if as_json:
        emit_json({"versions": versions, alias: current})
        return
    held = current["version"] if current else None
    # One column per metric, each value whole: a squeezed "accuracy=0…" tells nothing. The
    # trainer gets a column only when versions differ in it.
    metrics = sorted({name for v in versions for name in v["metrics"]})
    trainers = sorted({v["trainer"].rpartition(":")[2] for v in versions})
    by_trainer = len(trainers) > 1
    title = f"{model} ({alias}: {'v' + str(held) if held else 'not set'})"
    if len(trainers) == 1:
        title += f", trainer {trainers[0]}"
    console.print(
        table(
            title,
            ["version", *metrics, *(["trainer"] if by_trainer else []), "job", "created"],
            [
                (
                    f"{v['version']} ◀" if v["version"] == held else v["version"],
                    *(metric_value(v["metrics"].get(name)) for name in metrics),
                    *([v["trainer"].rpartition(":")[2]] if by_trainer else []),
                    (v.get("job_id") or "")[:JOB_PREFIX],
                    v["created_at"][:16].replace("T", " "),
                )
                for v in versions
            ],
        )
    )


def _moved(moved: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(moved)
    else:
        before = f"v{moved['previous']}" if moved["previous"] else "nothing"
        console.print(
            plain(f"{moved['model']}:{moved['alias']} -> v{moved['version']} (was {before})")
        )


@app.command()
def promote(
    model: str,
    version: int,
    alias: AliasOption = "production",
    expect: ExpectOption = None,
    reason: Annotated[str, typer.Option(help="Recorded in the alias history.")] = "",
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Point an alias at a version (compare-and-swap: a concurrent move makes this fail)."""
    with Api(url, api_key) as api:
        if expect is None:
            current = _alias(api, model, alias)
            expect = current["version"] if current else None
        moved = api.put(
            f"/models/{model}/aliases/{alias}",
            json={"version": version, "expected_version": expect, "reason": reason},
        )
    _moved(moved, as_json)


@app.command()
def rollback(
    model: str,
    alias: AliasOption = "production",
    to: Annotated[
        int | None,
        typer.Option("--to", help="Go straight back to this version (one the alias held)."),
    ] = None,
    expect: ExpectOption = None,
    reason: Annotated[str, typer.Option(help="Recorded in the alias history.")] = "rollback",
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Walk an alias back one step through its history: to the version it held before the
    move that brought the current one, so a second rollback goes further back (v2, v4, v5:
    v4, then v2), never forth again. --to names the version instead."""
    with Api(url, api_key) as api:
        if expect is None:
            current = api.get(f"/models/{model}/aliases/{alias}")
            expect = current["version"]
        body: dict[str, Any] = {"expected_version": expect, "reason": reason}
        if to is not None:
            body["to_version"] = to
        moved = api.post(f"/models/{model}/aliases/{alias}/rollback", json=body)
    _moved(moved, as_json)


@app.command()
def show(
    model: str,
    version: Annotated[int, typer.Argument(help="The version number.", min=1)],
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One version's model card: dataset snapshot, rows, params, metrics, per-class scores
    and confusion matrix (or residuals), feature importance."""
    with Api(url, api_key) as api:
        found = api.get(f"/models/{model}/versions/{version}")
    if as_json:
        emit_json(found)
        return
    console.print(cards.show(found))


@app.command()
def compare(
    model: str,
    first: Annotated[int, typer.Argument(help="One version.", min=1)],
    second: Annotated[int, typer.Argument(help="The version to compare it with.", min=1)],
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Two versions side by side: data, rows, metrics, per-class F1, confusion matrices,
    feature importance, and what changed."""
    with Api(url, api_key) as api:
        a = api.get(f"/models/{model}/versions/{first}")
        b = api.get(f"/models/{model}/versions/{second}")
    if as_json:
        emit_json({"first": a, "second": b})
        return
    console.print(cards.compare(a, b))


@app.command()
def export(
    model: str,
    version: int,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the zip (a file, or a directory; default: here)."),
    ] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download a version as a zip: its artifact(s), model card, record, SHA256SUMS."""
    target = out or Path.cwd()
    with Api(url, api_key, timeout=600) as api:
        response = api.download(f"/models/{model}/versions/{version}/export")
    path = target / f"{model}-v{version}.zip" if target.is_dir() else target
    path.write_bytes(response)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if as_json:
        emit_json({"path": str(path), "files": names, "bytes": len(response)})
    else:
        console.print(plain(f"wrote {path} ({len(response)} bytes): {', '.join(names)}"))
