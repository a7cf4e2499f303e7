"""The README stays true: its settings table is the runtime settings model's, its test command is
the one CI runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from adapters.settings import Settings, settings_table
from runtime.api.settings import ApiSettings
from runtime.config import RuntimeSettings

# Every part's settings, in the README's order: backend, worker, API.
SETTINGS = (Settings, RuntimeSettings, ApiSettings)

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_settings_table_matches_the_settings_model() -> None:
    block = re.search(
        r"<!-- settings-table:start -->\n(.*?)<!-- settings-table:end -->", README, re.S
    )
    assert block, "README lost its settings-table markers"
    assert block.group(1).strip() == settings_table(*SETTINGS), (
        "README settings table is stale: regenerate it with "
        "`settings_table(Settings, RuntimeSettings, ApiSettings)`"
    )


def _opening_commands() -> list[str]:
    """The sh blocks before the README's first section: the demo's and the tests' commands."""
    top = README.split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.+?)\n```", top, re.S)]


def _make_recipe(target: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n?)+)", makefile, re.M)
    assert match, f"the Makefile has no {target!r} target"
    return [line.strip() for line in match.group(1).splitlines()]


def test_readme_opens_with_the_demo_and_test_commands() -> None:
    assert _opening_commands() == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in _opening_commands()
    assert "make test" in [line.strip() for line in ci.splitlines()]


def test_the_demo_test_runs_the_readme_demo_command() -> None:
    from tests.cli.test_demo import DEMO_ARGS

    assert "make demo" in _opening_commands()
    assert _make_recipe("demo") == [
        "$(BIN)/mlpoc " + " ".join(DEMO_ARGS) + " $(if $(PORT),--port $(PORT))"
    ]


def test_make_demo_passes_port_on() -> None:
    def dry_run(*args: str) -> list[str]:
        done = subprocess.run(
            ["make", "-n", "-o", "$(BIN)/.runtime", "-o", ".venv/bin/.runtime", "demo", *args],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        return [line for line in done.stdout.splitlines() if "mlpoc demo" in line]

    assert dry_run("PORT=9123") == [".venv/bin/mlpoc demo --port 9123"]
    assert [line.strip() for line in dry_run()] == [".venv/bin/mlpoc demo"]
