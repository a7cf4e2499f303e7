"""What every command shares: the app class that turns user errors into one line and exit
code 2, the global `--debug` switch, the consoles, `--json` output, and the one way data
reaches the terminal.

Data (dataset and column names, labels, record ids, API messages) is shown as plain text:
never read as Rich markup (a column named `[/oops]` or `[link=...]`), with control
characters removed (no terminal escape from a CSV cell sets the window title or moves the
cursor). Table cells go through `table()`; data inside a printed line through `plain()`.

A user error (bad configuration, unreachable service, port in use, unknown backend) is not a
bug: it gets one line saying what to do, never a traceback, unless `--debug` is given.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

USER_ERROR = 2  # what the caller must fix: configuration, service, port, input
INTERRUPTED = 130  # the shell's code for "stopped by Ctrl-C"

# No emoji codes (":warning:" in data stays text) and no highlighting of data.
console = Console(emoji=False, highlight=False)
err_console = Console(stderr=True, emoji=False, highlight=False)
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any) -> str:
    """`value` as text with control characters removed (tabs and line breaks: spaces)."""
    text = str(value).replace("\t", " ").replace("\r\n", " ").replace("\n", " ")
    return _CONTROLS.sub("", text.replace("\r", " "))


def plain(value: Any) -> str:
    """`value` cleaned and escaped, to put data inside a line printed with Rich markup."""
    return escape(clean(value))


@dataclass
class State:
    debug: bool = os.environ.get("MLPOC_DEBUG", "") not in ("", "0")


STATE = State()


class UserError(Exception):
    """Something the user must fix; the message says what to do."""

    def __init__(self, message: str, code: int = USER_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _user_error_types() -> tuple[type[BaseException], ...]:
    from adapters.errors import BackendUnavailable, ConfigurationError

    types: list[type[BaseException]] = [UserError, ConfigurationError, BackendUnavailable]
    if "infra.config" in sys.modules:  # only if a command loaded it: keep startup light
        types.append(sys.modules["infra.config"].ConfigError)
    return tuple(types)


def fail(message: str, code: int = USER_ERROR) -> NoReturn:
    raise UserError(message, code)


def one_line(text: str) -> str:
    """A message as one line: its lines joined with "; ", whitespace collapsed."""
    lines = (" ".join(clean(line).split()) for line in str(text).splitlines())
    return "; ".join(line for line in lines if line)


class CliApp(typer.Typer):
    """A Typer app whose known user errors end as one line on stderr and exit code 2."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return typer.main.get_command(self)(*args, **kwargs)
        except _user_error_types() as exc:
            if STATE.debug:
                traceback.print_exc()
            code = exc.code if isinstance(exc, UserError) else USER_ERROR
            print(f"mlpoc: {one_line(str(exc))}", file=sys.stderr, flush=True)
            sys.exit(code)


def new_app(help_text: str, **kwargs: Any) -> CliApp:
    return CliApp(
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        **kwargs,
    )


def emit_json(value: Any) -> None:
    """Machine-readable output: one JSON document on one line of stdout, nothing else."""
    sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> Table:
    """Every CLI table: title, headers and cells are plain text (see the module doc)."""
    out = Table(title=Text(clean(title)) if title is not None else None, title_justify="left")
    for column in columns:
        out.add_column(Text(clean(column)))
    for row in rows:
        out.add_row(*(Text("" if v is None else clean(v)) for v in row))
    return out


def metric_value(value: Any) -> str:
    """A metric as 4 significant digits (0.9667, 12.35, 1.2e+04)."""
    return f"{value:.4g}" if isinstance(value, float) else "" if value is None else str(value)


def format_metrics(metrics: dict[str, Any] | None) -> str:
    if not metrics:
        return ""
    return ", ".join(f"{k}={metric_value(v)}" for k, v in sorted(metrics.items()))
