"""`mlpoc init`: write the project file, mlpoc.toml, for a chosen cloud.

Asks nothing when the flags are given (or when stdin is not a terminal: a missing value
without a default is then an error naming its flag). What it writes is validated by the
infra's own model (`infra.config`, which does not import cdktf) before the file is written,
and the file is written whole or not at all.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from runtime.cli.base import console, emit_json, fail
from runtime.cli.client import JsonOption


def _default_name() -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", Path.cwd().name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:20].rstrip("-")
    return name if len(name) >= 3 else "mlpoc-project"


def _value(given: Any, flag: str, prompt: str, default: Any = None) -> Any:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return typer.prompt(prompt, default=default)
    if default is not None:
        return default
    fail(f"{flag} is required (no terminal to ask on)")


def render(data: dict[str, dict[str, Any]]) -> str:
    """A flat two-level TOML document (the only shape mlpoc.toml has)."""
    lines = ["# mlpoc project file: see the README's Deploy section for every field.", ""]
    for section, values in data.items():
        if not values:
            continue
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int | float):
                text = repr(int(value) if float(value).is_integer() else value)
            else:
                text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            lines.append(f"{key} = {text}")
        lines.append("")
    return "\n".join(lines)


def init(
    cloud: Annotated[str | None, typer.Option(help="aws or gcp.")] = None,
    name: Annotated[
        str | None, typer.Option(help="Project name, prefix of every resource (3-20, a-z0-9-).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region or GCP region.")] = None,
    budget: Annotated[float | None, typer.Option(help="Monthly budget (USD).")] = None,
    alert_email: Annotated[str | None, typer.Option(help="Who gets budget and DLQ alerts.")] = None,
    gcp_project: Annotated[str | None, typer.Option(help="gcp: the project id.")] = None,
    billing_account: Annotated[
        str | None, typer.Option(help="gcp: billing account (XXXXXX-XXXXXX-XXXXXX).")
    ] = None,
    image_tag: Annotated[str, typer.Option(help="The image tag to deploy.")] = "0.1.0",
    path: Annotated[
        Path | None, typer.Option(help="Where to write (default: $MLPOC_CONFIG or ./mlpoc.toml).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write mlpoc.toml for a cloud (asks for what the flags leave out, on a terminal)."""
    from infra.clouds import CLOUDS, section
    from infra.config import CONFIG_ENV, DEFAULT_PATH, parse_config

    target = path or Path(os.environ.get(CONFIG_ENV) or DEFAULT_PATH)
    if target.exists() and not force:
        fail(f"{target} exists: pass --force to overwrite it, or --path for another file")
    cloud = _value(cloud, "--cloud", f"Cloud ({' or '.join(CLOUDS)})", None)
    if cloud not in CLOUDS:
        fail(f"--cloud must be {' or '.join(CLOUDS)}, got {cloud!r}")
    data: dict[str, dict[str, Any]] = {
        "project": {
            "name": _value(name, "--name", "Project name", _default_name()),
            "cloud": cloud,
            "region": _value(region, "--region", "Region", section(cloud).DEFAULT_REGION),
            "image_tag": image_tag,
        },
        "budget": {
            "amount": _value(budget, "--budget", "Monthly budget (USD)", 50),
            "alert_email": _value(alert_email, "--alert-email", "Alert e-mail"),
        },
    }
    if cloud == "gcp":
        data["gcp"] = {
            "project_id": _value(gcp_project, "--gcp-project", "GCP project id"),
            "billing_account": _value(billing_account, "--billing-account", "Billing account"),
        }
    config = parse_config(data, target.name)  # ConfigError names the bad field: exit 2
    text = render(data)
    import tomllib

    assert parse_config(tomllib.loads(text), target.name) == config
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    if as_json:
        emit_json({"path": str(target), "config": config.model_dump(mode="json")})
        return
    console.print(
        f"wrote {target} ({cloud}, project {config.name}, region {config.project.region})"
    )
    console.print(
        f"next: `mlpoc doctor`, `mlpoc rehearse {cloud}` (no account needed), then `mlpoc deploy`"
    )
