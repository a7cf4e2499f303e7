"""`mlpoc models list|show|compare|promote|rollback`: versions, their model cards, and
aliases moved by compare-and-swap."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from runtime.cli import cards
from runtime.cli.base import console, emit_json, format_metrics, new_app, plain, table
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption

app = new_app("Model versions and aliases (promote, rollback).")
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
    console.print(
        table(
            f"{model} ({alias}: {'v' + str(held) if held else 'not set'})",
            ["version", alias, "metrics", "trainer", "job", "created"],
            [
                (
                    v["version"],
                    "◀" if v["version"] == held else "",
                    format_metrics(v["metrics"]),
                    v["trainer"].rpartition(":")[2],
                    v.get("job_id"),
                    v["created_at"],
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
    expect: ExpectOption = None,
    reason: Annotated[str, typer.Option(help="Recorded in the alias history.")] = "rollback",
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move an alias back to the version it held before its last move."""
    with Api(url, api_key) as api:
        if expect is None:
            current = api.get(f"/models/{model}/aliases/{alias}")
            expect = current["version"]
        moved = api.post(
            f"/models/{model}/aliases/{alias}/rollback",
            json={"expected_version": expect, "reason": reason},
        )
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
