"""`mlpoc label`: set labels through the API (one record, or many from a CSV), or list the
records still waiting for one."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer

from runtime.cli.base import console, emit_json, fail, plain, table
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption

# The CLI's spelling of each order, and the API's.
ORDERS = {"record-id": "record_id", "uncertainty": "uncertainty"}


def parse_label(text: str) -> str | int | float:
    """`3` is the number 3, `3.5` a float, anything else the text itself (--text keeps
    digits as text)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def label(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    record_id: Annotated[str | None, typer.Argument(help="Record to label.")] = None,
    value: Annotated[str | None, typer.Argument(help="Its label.")] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option(help="CSV with record_id,label columns: label them all at once.", exists=True),
    ] = None,
    unlabelled: Annotated[
        bool, typer.Option("--unlabelled", help="List the records still waiting for a label.")
    ] = False,
    order: Annotated[
        str,
        typer.Option(
            help="With --unlabelled: 'record-id', or 'uncertainty' (least confident stored "
            "prediction first, then the records without one).",
        ),
    ] = "record-id",
    text: Annotated[bool, typer.Option("--text", help="Keep labels as text (no numbers).")] = False,
    new_class: Annotated[
        bool,
        typer.Option(
            "--new-class",
            help="Classification: a label outside the dataset's label set adds a class "
            "(without it, such a label is refused).",
        ),
    ] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Label records of a dataset (each annotation records the key's name and the time)."""
    convert = str if text else parse_label
    with Api(url, api_key) as api:
        if unlabelled:
            if order not in ORDERS:
                fail(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")
            records = api.pages(
                f"/datasets/{dataset}/records",
                unlabelled="true",
                order=ORDERS[order],
                limit=1000,
            )
            title = f"unlabelled records of {dataset}"
            _print_records(
                records,
                as_json,
                title + (", least confident first" if order == "uncertainty" else ""),
            )
            return
        if from_csv is not None:
            labels = _read_labels(from_csv, convert)
            done = api.post(
                f"/datasets/{dataset}/labels", json={"labels": labels, "new_class": new_class}
            )
            records, job = done["records"], done.get("retrain_job")
        elif record_id is not None and value is not None:
            record = api.put(
                f"/datasets/{dataset}/records/{record_id}/label",
                json={"label": convert(value), "new_class": new_class},
            )
            records, job = [record], None
        else:
            fail("give RECORD_ID and VALUE, or --from-csv FILE, or --unlabelled")
    if as_json:
        emit_json({"records": records, "retrain_job": job})
        return
    console.print(f"labelled {len(records)} record(s) of {plain(dataset)}")
    if job:
        console.print(f"retrain enqueued: job {plain(job['id'])}")


def _read_labels(path: Path, convert: Any) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"record_id", "label"} <= set(reader.fieldnames):
            fail(f"{path}: needs a header with record_id and label columns")
        return [{"record_id": row["record_id"], "label": convert(row["label"])} for row in reader]


def _print_records(records: list[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        emit_json(records)
        return
    columns = list(records[0]["values"]) if records else []
    shown = columns[:3]
    console.print(
        table(
            f"{title} ({len(records)})",
            ["record", "suggested", "confidence", *shown],
            [
                (r["record_id"], *_suggested(r), *(r["values"].get(c) for c in shown))
                for r in records
            ],
        )
    )


def _suggested(record: dict[str, Any]) -> tuple[Any, str]:
    """The stored prediction's value and confidence, blank if the record has none."""
    suggestion = record.get("suggestion")
    if not suggestion:
        return "", ""
    confidence = suggestion.get("confidence")
    return suggestion["value"], "" if confidence is None else f"{confidence:.3f}"
