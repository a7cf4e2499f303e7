"""The README's CLI reference is the one the commands generate."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.cli import app
from runtime.cli.reference import reference

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_cli_reference_is_current() -> None:
    block = re.search(
        r"<!-- cli-reference:start -->\n(.*?)<!-- cli-reference:end -->", README.read_text(), re.S
    )
    assert block, "README lost its cli-reference markers"
    assert block.group(1).strip() == reference(app), (
        "README CLI reference is stale: regenerate it with `python -m runtime.cli.reference`"
    )


def test_every_command_is_documented() -> None:
    text = reference(app)
    for command in ("init", "serve", "worker", "demo", "datasets upload", "datasets list",
                    "label", "train", "jobs list", "models list", "models promote",
                    "models rollback", "predict", "keys create", "keys revoke", "keys list",
                    "synth", "deploy", "status", "logs", "destroy", "rehearse", "doctor",
                    "bench"):  # fmt: skip
        assert f"#### `mlpoc {command}`" in text
