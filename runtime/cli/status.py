"""`mlpoc status`: the deployed stack of this project, as its outputs and its platform say.

The outputs (URL, release, resource names, the settings the services run with) come from the
local Terraform state; the platform's view (environment health, serving versions) needs the
cloud's credentials, and so does the command: without them it stops with one line.
"""

from __future__ import annotations

from typing import Any

import httpx

from runtime.cli.base import console, emit_json, table
from runtime.cli.client import JsonOption
from runtime.cli.operate import ops
from runtime.cli.project import load_project

HEALTH_TIMEOUT = 5.0


def _health(url: str | None) -> str:
    if not url:
        return "no service URL"
    try:
        response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=HEALTH_TIMEOUT)
    except httpx.TransportError as exc:
        return f"unreachable ({type(exc).__name__})"
    return f"HTTP {response.status_code}"


def status(as_json: JsonOption = False) -> None:
    """The deployed stack: URL, release, resource names, settings, the platform's view."""
    project = load_project()
    cloud = ops(project.cloud)
    credentials = cloud.credentials()
    deployed = project.deployed()
    report: dict[str, Any] = {
        "cloud": project.cloud,
        "project": project.config.name,
        "service_url": deployed.url,
        "health": _health(deployed.url),
        "release": deployed.outputs.get("release"),
        "outputs": {k: v for k, v in deployed.outputs.items() if k != "settings"},
        "settings": deployed.environment,
        "platform": dict(cloud.platform_status(deployed)),
        "credentials": credentials,
    }
    if as_json:
        emit_json(report)
        return
    console.print(
        table(
            f"{project.config.name} on {project.cloud}",
            ["", ""],
            [
                ("service URL", report["service_url"]),
                ("GET /healthz", report["health"]),
                ("release", report["release"]),
                *report["platform"].items(),
            ],
        )
    )
    console.print(table("outputs", ["name", "value"], sorted(report["outputs"].items())))
    console.print(table("settings of the services", ["variable", "value"],
                        sorted(report["settings"].items())))  # fmt: skip
