"""How `mlpoc datasets describe` prints a dataset (pure formatting, no server)."""

from __future__ import annotations

import pytest

from runtime.cli.datasets import _show


def test_label_counts_follow_the_label_set(capsys: pytest.CaptureFixture[str]) -> None:
    _show(
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
