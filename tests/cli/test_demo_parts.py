"""The demo's small promises, without running it: the CSV the README's walk-through
uploads is the one the demo uploads, and a taken default port is swapped for a free one
the user is told about (an asked-for port must be free)."""

from __future__ import annotations

import importlib
import io
import socket
from pathlib import Path

import pytest
from rich.console import Console

from runtime.cli.base import UserError
from runtime.cli.loop import wine_csv

ROOT = Path(__file__).resolve().parents[2]
# The module (runtime.cli's own `demo` is the command function).
demo = importlib.import_module("runtime.cli.demo")


def test_the_shipped_wine_csv_is_the_one_the_demo_uploads() -> None:
    shipped = ROOT / "examples" / "wine.csv"
    assert shipped.read_bytes() == wine_csv(), (
        "examples/wine.csv is stale: rewrite it from runtime.cli.loop.wine_csv()"
    )
    assert "examples/wine.csv" in (ROOT / "README.md").read_text()


def test_a_taken_default_port_is_swapped_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        monkeypatch.setattr(demo, "DEFAULT_PORT", taken)
        said = io.StringIO()
        chosen = demo._pick_port(None, Console(file=said))
        assert chosen != taken and chosen > 0
        assert f"port {taken} is in use: the API will listen on port {chosen}" in said.getvalue()
        with pytest.raises(UserError, match=f"port {taken} on 127.0.0.1 is in use"):
            demo._pick_port(taken, Console(file=io.StringIO()))
    assert demo._pick_port(taken, Console(file=io.StringIO())) == taken  # free again
