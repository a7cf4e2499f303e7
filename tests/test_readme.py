"""The README stays true: its settings table is the runtime settings model's, its test command is
the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.settings import settings_table
from runtime.api.settings import ApiSettings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_settings_table_matches_the_settings_model() -> None:
    block = re.search(
        r"<!-- settings-table:start -->\n(.*?)<!-- settings-table:end -->", README, re.S
    )
    assert block, "README lost its settings-table markers"
    assert block.group(1).strip() == settings_table(ApiSettings), (
        "README settings table is stale: regenerate it with `settings_table(ApiSettings)`"
    )


def test_ci_runs_the_readme_test_command() -> None:
    first_command = re.search(r"```sh\n(.+?)\n```", README)
    assert first_command, "README must start with a sh code block holding the test command"
    ci = (ROOT / ".ci" / "run").read_text()
    assert first_command.group(1).strip() in ci.splitlines()
