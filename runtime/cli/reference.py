"""The CLI reference as Markdown, generated from the commands themselves (the README embeds
it between markers; a test keeps the two equal). `python -m runtime.cli.reference` prints it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

# Every data command takes these; the reference says so once instead of in every table.
COMMON = ("--url", "--api-key", "--help")


# Typer bundles its own click: its classes are reached through the objects, not imported.
Command = Any


def _commands(
    command: Command, ctx: Any, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Command, Any]]:
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                sub_ctx = sub.context_class(sub, parent=ctx, info_name=name)
                yield from _commands(sub, sub_ctx, (*path, name))
    else:
        yield path, command, ctx


def _default(param: Any) -> str:
    value = param.default
    if value is None or value is False or value == () or callable(value):
        return ""
    return f"`{value}`"


def _option(param: Any) -> str:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    envvar = param.envvar if isinstance(param.envvar, str) else None
    return names + (f" (env `{envvar}`)" if envvar else "")


def _is_argument(param: Any) -> bool:
    return bool(param.param_type_name == "argument")


def _usage(param: Any) -> str:
    name = param.name.upper() + ("..." if param.nargs == -1 else "")
    return name if param.required else f"[{name}]"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    lines = [
        "Data commands (`datasets`, `label`, `train`, `jobs`, `models`, `predict`) talk to the "
        "API: `--url` (env `MLPOC_API_URL`; default: the stack deployed from this directory, "
        "else `http://127.0.0.1:8080`) and `--api-key` "
        "(env `MLPOC_API_KEY`). Every command takes `--help`; `mlpoc --debug ...` shows "
        "tracebacks. Exit codes: 0 done, 1 refused or failed (the API's message), 2 a user "
        "error (configuration, unreachable service, port in use), 130 interrupted.",
    ]
    ctx = root.context_class(root, info_name="mlpoc")
    for path, command, _ in _commands(root, ctx, ()):
        pieces = " ".join(["[OPTIONS]", *(_usage(p) for p in command.params if _is_argument(p))])
        help_text = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
        lines += [
            "",
            f"#### `mlpoc {' '.join(path)}`",
            "",
            help_text,
            "",
            f"`mlpoc {' '.join(path)} {pieces}`",
        ]
        rows = []
        for param in command.params:
            if _is_argument(param):
                rows.append((f"`{param.name.upper()}`", "", getattr(param, "help", "") or ""))
            elif param.opts[0] not in COMMON:
                rows.append((_option(param), _default(param), getattr(param, "help", "") or ""))
        if rows:
            lines += ["", "| argument / option | default | meaning |", "| --- | --- | --- |"]
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    from runtime.cli import app

    print(reference(app))
