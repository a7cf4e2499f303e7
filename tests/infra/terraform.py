"""Run the `terraform` CLI on a synthesized stack: offline, provider from a local mirror.

Nothing here downloads anything: the CLI configuration written by `infra.mirror.cli_config` installs
hashicorp/aws from the filesystem mirror the machine image ships and forbids direct
registry access, so `init` fails loudly rather than reach the network. Every command runs
in its own process group with a hard timeout; on timeout the whole group (terraform and
its provider plugins) is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.mirror import MIRROR_CANDIDATES, MIRROR_ENV, Provider, cli_config, mirror_has

PROVIDER = Provider("registry.terraform.io/hashicorp/aws", "5.100.0")
PROVIDER_SOURCE, PROVIDER_VERSION = PROVIDER.source, PROVIDER.version
TERRAFORM_ENV = "MLPOC_TERRAFORM"


class TerraformUnavailable(RuntimeError):
    """The terraform binary or the provider mirror is missing; the message says what to do."""


class TerraformFailed(RuntimeError):
    """A terraform command exited non-zero or timed out; the message holds its output."""


def find_terraform() -> Path:
    """The terraform binary: `$MLPOC_TERRAFORM`, else `terraform` on PATH."""
    configured = os.environ.get(TERRAFORM_ENV)
    found = configured or shutil.which("terraform")
    if not found or not Path(found).is_file() or not os.access(found, os.X_OK):
        raise TerraformUnavailable(
            f"terraform binary not found ({TERRAFORM_ENV}={configured!r}, PATH has none): "
            f"install terraform >= 1.5 or set {TERRAFORM_ENV} to its path"
        )
    return Path(found)


def find_provider_mirror() -> Path:
    """An unpacked filesystem mirror holding hashicorp/aws PROVIDER_VERSION (the product's
    own search: infra.mirror)."""
    configured = os.environ.get(MIRROR_ENV)
    candidates = [Path(configured)] if configured else list(MIRROR_CANDIDATES)
    for candidate in candidates:
        if mirror_has(candidate, PROVIDER):
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise TerraformUnavailable(
        f"no filesystem mirror of {PROVIDER_SOURCE} {PROVIDER_VERSION} (looked in {looked}; "
        f"expected <mirror>/{PROVIDER_SOURCE}/{PROVIDER_VERSION}/<os_arch>/"
        f"terraform-provider-aws_*): set {MIRROR_ENV} to the mirror directory"
    )


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Terraform:
    """terraform in one working directory, with an offline CLI configuration of its own."""

    workdir: Path
    binary: Path
    mirror: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, workdir: Path, env: Mapping[str, str] | None = None) -> Terraform:
        """Locate terraform and the mirror (TerraformUnavailable if either is missing) and
        write the CLI configuration into `workdir`."""
        binary, mirror = find_terraform(), find_provider_mirror()
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "terraformrc"
        config.write_text(cli_config(mirror, [PROVIDER]))
        base = {
            "TF_CLI_CONFIG_FILE": str(config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            # No call to HashiCorp's version-check service.
            "CHECKPOINT_DISABLE": "1",
        }
        return cls(workdir, binary, mirror, {**base, **(env or {})})

    def write_config(self, stack: Mapping[str, Any], name: str = "main.tf.json") -> Path:
        path = self.workdir / name
        path.write_text(json.dumps(stack, indent=2))
        return path

    def run(self, *args: str, timeout: float, ok_codes: Sequence[int] = (0,)) -> Result:
        """Run `terraform <args>`; TerraformFailed unless it exits with one of `ok_codes`
        within `timeout` seconds."""
        argv = (str(self.binary), *args)
        # Drop any ambient TF_* / AWS_* settings: the test decides what terraform sees.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
        inherited.update(self.env)
        if "AWS_CA_BUNDLE" in os.environ:
            inherited.setdefault("AWS_CA_BUNDLE", os.environ["AWS_CA_BUNDLE"])
        started = time.monotonic()
        process = subprocess.Popen(
            argv,
            cwd=self.workdir,
            env=inherited,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            stdout, stderr = process.communicate()
            raise TerraformFailed(
                f"terraform {' '.join(args)} timed out after {timeout:.0f}s in "
                f"{self.workdir}\n{_tail(stdout)}\n{_tail(stderr)}"
            ) from None
        except BaseException:
            # Interrupted (Ctrl-C, the test's own timeout): leave no terraform behind.
            _kill_group(process)
            raise
        result = Result(args, process.returncode, stdout, stderr, time.monotonic() - started)
        if result.returncode not in ok_codes:
            raise TerraformFailed(
                f"terraform {' '.join(args)} exited {result.returncode} in {self.workdir}\n"
                f"{_tail(stdout)}\n{_tail(stderr)}"
            )
        return result

    # ------------------------------------------------------------------ commands

    def init(self, *, backend: bool = True, timeout: float = 120) -> Result:
        args = ["init", "-no-color", "-input=false"]
        if not backend:
            args.append("-backend=false")
        return self.run(*args, timeout=timeout)

    def validate(self, timeout: float = 120) -> dict[str, Any]:
        """`terraform validate -json`; TerraformFailed listing the diagnostics if invalid."""
        result = self.run("validate", "-json", "-no-color", timeout=timeout, ok_codes=(0, 1))
        report: dict[str, Any] = json.loads(result.stdout)
        if not report.get("valid"):
            problems = "\n".join(
                f"- {d.get('severity')}: {d.get('summary')}: {d.get('detail', '')} "
                f"at {d.get('range', {}).get('filename', '?')}"
                for d in report.get("diagnostics", [])
            )
            raise TerraformFailed(f"terraform validate found problems:\n{problems}")
        return report

    def apply(self, timeout: float = 300) -> Result:
        return self.run("apply", "-auto-approve", "-no-color", "-input=false", timeout=timeout)

    def output(self, timeout: float = 60) -> dict[str, Any]:
        """Every output's value, by name (`terraform output -json`, unwrapped)."""
        result = self.run("output", "-json", "-no-color", timeout=timeout)
        return {name: entry["value"] for name, entry in json.loads(result.stdout).items()}

    def plan_changes(self, timeout: float = 300) -> str | None:
        """None if a plan finds nothing to change, else the plan's text."""
        result = self.run(
            "plan",
            "-detailed-exitcode",
            "-no-color",
            "-input=false",
            timeout=timeout,
            ok_codes=(0, 2),
        )
        return None if result.returncode == 0 else result.stdout

    def destroy(self, timeout: float = 300) -> Result:
        return self.run("destroy", "-auto-approve", "-no-color", "-input=false", timeout=timeout)

    def state_addresses(self, timeout: float = 60) -> list[str]:
        result = self.run("state", "list", "-no-color", timeout=timeout, ok_codes=(0, 1))
        return result.stdout.split()


def _kill_group(process: subprocess.Popen[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(text: str | None, lines: int = 60) -> str:
    return "\n".join((text or "").splitlines()[-lines:])
