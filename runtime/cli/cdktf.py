"""Run the project's pinned cdktf CLI (`node_modules/.bin/cdktf`, from package.json: `make
install` runs `npm ci`) for a project, with the provider source decided by `infra.mirror`.

Every run gets: the project's own Python for the app (`MLPOC_PYTHON`, read by
scripts/cdktf-app), the mlpoc.toml in use, no call to HashiCorp's version-check service, no
Node end-of-life banner, and, when the providers come from a mirror, that mirror's CLI
configuration and `--skip-provider-lock` (cdktf's lock step asks the registry even then;
`terraform init` writes the lock file from the mirror instead).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.cli.base import fail
from runtime.cli.project import Project

if TYPE_CHECKING:
    from infra.mirror import ProviderSource

CDKTF_CLI = "cdktf-cli@0.21.0"
QUIET = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CHECKPOINT_DISABLE": "1",
    "CI": "1",  # plain output: no spinners or prompts redrawing the terminal
}


def find_cdktf(root: Path) -> Path:
    """The pinned CLI of the project, else one on PATH."""
    local = root / "node_modules" / ".bin" / "cdktf"
    if local.is_file():
        return local
    found = shutil.which("cdktf")
    if found:
        return Path(found)
    fail(f"the cdktf CLI is not installed: run `make install` (npm ci: {CDKTF_CLI}; Node.js >= 20)")


@dataclass(eq=False)
class Cdktf:
    project: Project
    extra_env: dict[str, str]

    @classmethod
    def for_project(cls, project: Project, extra_env: dict[str, str] | None = None) -> Cdktf:
        return cls(project, dict(extra_env or {}))

    @cached_property
    def provider_source(self) -> ProviderSource:
        """Where Terraform will get the stack's providers (writes a mirror's CLI config)."""
        from infra.clouds import section
        from infra.mirror import Provider, ProviderSourceError, provider_source

        pinned = section(self.project.cloud).TERRAFORM_PROVIDERS
        wanted = [Provider(source, version) for source, version in pinned.items()]
        try:
            return provider_source(wanted, self.project.outdir)
        except ProviderSourceError as exc:
            fail(str(exc))

    def env(self) -> dict[str, str]:
        source = self.provider_source
        env = {**os.environ, **QUIET, **source.env, **self.extra_env}
        env["MLPOC_PYTHON"] = sys.executable
        env["MLPOC_CONFIG"] = str(self.project.config_path)
        if not env.get("TF_CLI_CONFIG_FILE"):
            env.pop("TF_CLI_CONFIG_FILE", None)
        return env

    def argv(self, command: str, *args: str) -> list[str]:
        argv = [str(find_cdktf(self.project.root)), command]
        if command != "synth":
            argv.append(self.project.cloud)
        if command in ("deploy", "destroy", "diff") and self.provider_source.skip_provider_lock:
            argv.append("--skip-provider-lock")
        if self.project.outdir != self.project.root / "cdktf.out":
            argv += ["--output", str(self.project.outdir)]
        return [*argv, *args]

    def run(
        self, command: str, *args: str, capture: bool = False, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(command, *args),
            cwd=self.project.root,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=capture,
            text=True,
            timeout=timeout,
            check=False,
        )


def tail(text: str | None, lines: int = 25) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def last_error(result: subprocess.CompletedProcess[str], fallback: str) -> str:
    """The most telling line of a failed run's output, for a one-line message."""
    text = strip_ansi((result.stderr or "") + "\n" + (result.stdout or ""))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for marker in ("Error:", "ERROR", "error"):
        found = [line for line in lines if marker in line]
        if found:
            return found[-1][:300]
    return lines[-1][:300] if lines else fallback
