"""What the CLI prints from data is plain text: Rich markup in a column name, a record id or
a label is shown as written (never parsed: `[/oops]` used to crash `mlpoc datasets
describe`), and control characters from data never reach the terminal (no window title set,
no hyperlink made), even when Rich writes to a terminal (FORCE_COLOR)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx
from rich.console import Console

from adapters import Settings, build_adapters
from runtime import api_keys
from runtime.cli.base import clean, plain, table
from runtime.schema import COLLECTIONS
from tests.support.cli import clean_env, run_cli
from tests.support.live import api_process

SGR = re.compile("\x1b\\[[0-9;]*m")
HOSTILE_COLUMNS = [
    "[/oops]",
    "[link=https://evil.example]click[/link]",
    "\x1b]0;pwned\x07title",
    "[bold red]loud[/bold red]",
    ":warning:",
]


def _csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record_id", *HOSTILE_COLUMNS, "target"])
    for i in range(12):
        writer.writerow(
            [f"r{i}\x1b[2J", *(str(i) for _ in HOSTILE_COLUMNS), "[/x]" if i % 2 else ""]
        )
    return out.getvalue().encode()


def _no_escapes(text: str) -> None:
    """No escape sequence but Rich's own colours (SGR) in `text`."""
    assert "\x1b" not in SGR.sub("", text), "an escape sequence reached the terminal"
    assert "\x07" not in text


def test_data_commands_print_data_as_plain_text(tmp_path: Path) -> None:
    settings = Settings(backend="local", data_dir=tmp_path / "data")
    _, token = api_keys.create(build_adapters(COLLECTIONS, settings).documents, "t", ["admin"])
    with api_process(settings.to_env()) as (url, _):
        uploaded = httpx.post(
            url + "/datasets",
            files={"file": ("h.csv", _csv(), "text/csv")},
            data={"name": "hostile", "target": "target", "id_column": "record_id"},
            headers={"X-API-Key": token},
        )
        assert uploaded.status_code == 201, uploaded.text
        env = clean_env(MLPOC_API_URL=url, MLPOC_API_KEY=token, FORCE_COLOR="1", COLUMNS="400")
        described = run_cli("datasets", "describe", "hostile", env=env)
        assert described.returncode == 0, described.stderr
        out = described.stdout
        for shown in ("[/oops]", "[link=https://evil.example]click[/link]", "]0;pwnedtitle",
                      "[bold red]loud[/bold red]", ":warning:"):  # fmt: skip
            assert shown in SGR.sub("", out), shown
        _no_escapes(out)
        unlabelled = run_cli("label", "hostile", "--unlabelled", env=env)
        assert unlabelled.returncode == 0, unlabelled.stderr
        assert "r0[2J" in unlabelled.stdout
        _no_escapes(unlabelled.stdout)
        missing = run_cli("datasets", "describe", "no\x1b]0;x\x07pe", env=env)
        assert missing.returncode != 0
        _no_escapes(missing.stderr)


def test_one_helper_renders_every_table_as_plain_text() -> None:
    console = Console(record=True, force_terminal=True, width=300, emoji=False, highlight=False)
    console.print(table("t [/oops]", ["[/h]", "b"], [["[link=https://x.example]a[/link]", None]]))
    console.print(f"[bold]{plain('[/oops] ' + chr(27) + ']0;t' + chr(7))}[/bold]")
    styled = console.export_text(styles=True, clear=False)
    _no_escapes(styled)
    text = console.export_text()
    assert "t [/oops]" in text and "[/h]" in text and "[link=https://x.example]a[/link]" in text
    assert "]0;t" in text
    assert clean("a\tb\r\nc\x00d\u202ee\x9b") == "a b cde"
