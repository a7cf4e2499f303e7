"""`mlpoc predict`: online predictions through the API, from JSON rows or a CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from runtime.cli.base import console, emit_json, fail, table
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption
from runtime.cli.label import parse_label


def predict(
    model: Annotated[str, typer.Argument(help="Model name.")],
    row: Annotated[
        list[str] | None,
        typer.Option(help="A row as JSON, e.g. '{\"alcohol\": 13.2}' (repeatable)."),
    ] = None,
    from_csv: Annotated[
        Path | None, typer.Option(help="CSV of rows (header = feature names).", exists=True)
    ] = None,
    record_id: Annotated[
        list[str] | None,
        typer.Option(
            "--id",
            help="A record id: predict from its stored values (repeatable; the dataset "
            "is the feature store).",
        ),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="With --id: whose records (default: the model's training data)."),
    ] = None,
    alias: Annotated[str | None, typer.Option(help="Alias to ask (default: production).")] = None,
    version: Annotated[int | None, typer.Option(help="A version instead of an alias.")] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Predict rows, or stored records by id, with the model at an alias (one request for
    many)."""
    params = {k: v for k, v in {"alias": alias, "version": version}.items() if v is not None}
    if record_id:
        if row or from_csv is not None:
            fail("give --id, or --row / --from-csv, not both")
        _predict_ids(model, record_id, dataset, params, url, api_key, as_json)
        return
    rows = [_json_row(text) for text in row or []]
    if from_csv is not None:
        with from_csv.open(newline="", encoding="utf-8") as handle:
            rows.extend(
                {k: None if v == "" else parse_label(v) for k, v in r.items()}
                for r in csv.DictReader(handle)
            )
    if not rows:
        fail("give --row JSON (repeatable), --from-csv FILE or --id RECORD (repeatable)")
    with Api(url, api_key) as api:
        answer = api.post(f"/models/{model}/predict/batch", params=params, json={"rows": rows})
    if as_json:
        emit_json(answer)
        return
    console.print(
        table(
            f"{answer['model']} v{answer['version']}",
            ["row", "prediction", "probability"],
            [
                (
                    i,
                    p["value"],
                    _probability(p["probabilities"]),
                )
                for i, p in enumerate(answer["predictions"])
            ],
        )
    )


def _json_row(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        fail(f"--row must be a JSON object: {exc}")
    if not isinstance(value, dict):
        fail("--row must be a JSON object of feature names to values")
    return value


def _predict_ids(
    model: str,
    record_ids: list[str],
    dataset: str | None,
    params: dict[str, Any],
    url: str | None,
    api_key: str | None,
    as_json: bool,
) -> None:
    body: dict[str, Any] = {"record_ids": record_ids}
    if dataset:
        body["dataset"] = dataset
    with Api(url, api_key) as api:
        answer = api.post(f"/models/{model}/predict/by-id", params=params, json=body)
    if as_json:
        emit_json(answer)
    else:
        console.print(
            table(
                f"{answer['model']} v{answer['version']} on {answer['dataset']}",
                ["record", "prediction", "probability"],
                [
                    (p["record_id"], p["value"], _probability(p["probabilities"]))
                    for p in answer["predictions"]
                ],
            )
        )
    if answer["missing"]:
        fail(f"no record {', '.join(answer['missing'])} in {answer['dataset']}", 1)


def _probability(probabilities: dict[str, float] | None) -> str:
    return f"{max(probabilities.values()):.3f}" if probabilities else ""
