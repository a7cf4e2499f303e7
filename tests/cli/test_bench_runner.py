"""bench/run_all.py runs every benchmark beside it, one after the other, into one Markdown
report headed by the machine; a failing benchmark is reported and the others still run."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

RUNNER = Path(__file__).resolve().parents[2] / "bench" / "run_all.py"


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_all", RUNNER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_of_every_benchmark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _runner()
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "fast.py").write_text("print('| figure | value |\\n| --- | --- |\\n| x | 42 |')\n")
    (bench / "broken.py").write_text("import sys\nprint('half')\nsys.exit('it broke')\n")
    monkeypatch.setattr(run_all, "BENCH", bench)
    monkeypatch.setattr(run_all, "__file__", str(bench / "run_all.py"))
    report = tmp_path / "REPORT.md"

    assert run_all.main(["--output", str(report)]) == 1
    text = report.read_text()
    assert text.startswith("# mlpoc benchmarks")
    for key in ("CPU", "memory", "Python", "commit"):
        assert f"| {key} |" in text
    assert "## fast" in text and "| x | 42 |" in text
    assert "## broken" in text and "FAILED (exit 1)" in text and "it broke" in text

    assert run_all.main(["--output", str(report), "--only", "fast"]) == 0
    assert "## broken" not in report.read_text()
