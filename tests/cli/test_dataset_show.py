"""How `mlpoc datasets describe` and `preview` print (pure formatting, no server)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from runtime.cli import datasets


def test_label_counts_follow_the_label_set(capsys: pytest.CaptureFixture[str]) -> None:
    datasets._show(
        {
            "name": "scores",
            "rows": 6,
            "labelled": 6,
            "target": "y",
            "model": "scores",
            "status": "ready",
            "task": "classification",
            "task_source": "inferred",
            "classes": ["2", "10"],
            "columns": [{"name": "x", "kind": "numeric", "missing": 0}],
            "label_counts": {"10": 4, "2": 1, "stray": 1},
        }
    )
    out = capsys.readouterr().out
    assert "task: classification (inferred)" in out
    assert "classes: 2, 10" in out
    assert "labels: 2: 1, 10: 4, stray: 1" in out  # numbers by value, not as text


def _records(columns: int, rows: int) -> list[dict[str, Any]]:
    return [
        {
            "record_id": f"r{i}",
            "label": str(i % 2),
            "values": {f"feature number {c}": round(i + c / 7, 4) for c in range(columns)},
        }
        for i in range(rows)
    ]


def test_a_preview_too_wide_for_the_terminal_is_turned_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(datasets, "console", Console(width=80, file=io.StringIO()))
    narrow = datasets._preview_tables("few", _records(columns=3, rows=4))
    assert len(narrow) == 1
    assert [str(c.header) for c in narrow[0].columns][:2] == ["record", "label"]

    wide = datasets._preview_tables("many", _records(columns=30, rows=10))
    assert len(wide) > 1  # records side by side, as many tables as it takes
    assert str(wide[0].columns[0].header) == "column"
    ids = [str(c.header) for t in wide for c in t.columns[1:]]
    assert ids == [f"r{i}" for i in range(10)]  # every record once, in order
    unbounded = datasets.console.options.update(max_width=10_000)
    for part in wide:
        assert datasets.console.measure(part, options=unbounded).maximum <= 80
        # A line per column: the label, then the 30 features, each cell whole.
        assert part.row_count == 31


def test_counts_read_as_english() -> None:
    assert [datasets._count(n, "training snapshot") for n in (0, 1, 2)] == [
        "0 training snapshots",
        "1 training snapshot",
        "2 training snapshots",
    ]
