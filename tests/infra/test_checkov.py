"""checkov's policies on both synthesized stacks: no failed check, except the ones skipped by
id in .checkov.yaml, each with its reason, and none of them stale.

checkov runs from its own virtual environment (scripts/checkov.sh makes it on first use,
about 45 s here), so its dependencies never constrain the project's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.infra.conftest import Synth


ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "checkov.sh"
CONFIG = ROOT / ".checkov.yaml"
INSTALL_TIMEOUT_SECONDS = 600
RUN_TIMEOUT_SECONDS = 300
_SKIP_LINE = re.compile(r"^\s*-\s*(CKV2?_[A-Z0-9]+_\d+)\s*(?:#\s*(.*))?$")


def skipped_checks() -> dict[str, str]:
    """Each check id under `skip-check:` in .checkov.yaml, with the comment that gives its
    reason ("" if none)."""
    skips: dict[str, str] = {}
    in_list = False
    for line in CONFIG.read_text().splitlines():
        if line.startswith("skip-check:"):
            in_list = True
            continue
        if in_list and line and not line.startswith((" ", "-")):
            in_list = False
        match = _SKIP_LINE.match(line) if in_list else None
        if match:
            skips[match.group(1)] = (match.group(2) or "").strip()
    return skips


@pytest.fixture(scope="module")
def checkov() -> Path:
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(SCRIPT), "--install"],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"installing checkov failed:\n{result.stderr[-3000:]}", pytrace=False)
    installed = [line for line in result.stderr.splitlines() if "installed in" in line]
    print(f"\ncheckov ready in {time.monotonic() - started:.1f} s", *installed)
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def stacks(aws_synth: Synth, gcp_synth: Synth) -> list[Path]:
    """Both synthesized stacks (tests/infra/conftest.py synthesizes each once a session)."""
    return [aws_synth.path, gcp_synth.path]


def run_checkov(checkov: Path, stacks: list[Path], *options: str) -> dict[str, Any]:
    """checkov's JSON report on `stacks`, with `options` (a config file, or none).

    Runs beside the stacks: from the repository root checkov would load .checkov.yaml
    by itself, even when a run is meant to be without it."""
    argv = [str(checkov), *options, "--framework", "terraform_json", "--skip-download"]
    for stack in stacks:
        argv += ["--file", str(stack)]
    argv += ["--output", "json", "--compact"]
    started = time.monotonic()
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
        cwd=stacks[0].parent,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    # checkov exits 1 when a check fails; anything else is checkov itself failing.
    if result.returncode not in (0, 1):
        pytest.fail(f"checkov exited {result.returncode}:\n{result.stderr[-3000:]}")
    print(f"\ncheckov run on {len(stacks)} stacks: {time.monotonic() - started:.1f} s")
    report = json.loads(result.stdout)
    # One framework gives one report (a dict); a list if checkov ever splits it.
    reports = report if isinstance(report, list) else [report]
    merged: dict[str, Any] = {"passed": [], "failed": [], "skipped": [], "parsing_errors": []}
    for part in reports:
        results = part.get("results", {})
        merged["passed"] += results.get("passed_checks", [])
        merged["failed"] += results.get("failed_checks", [])
        merged["skipped"] += results.get("skipped_checks", [])
        merged["parsing_errors"] += results.get("parsing_errors", [])
    return merged


def _describe(check: dict[str, Any]) -> str:
    return (
        f"{check['check_id']} {check.get('check_name', '')}: {check.get('resource')} "
        f"in the {Path(check.get('file_abs_path', '?/?')).parent.name} stack"
    )


def test_every_skip_has_a_reason() -> None:
    skips = skipped_checks()
    assert skips, "no skip-check list found in .checkov.yaml"
    unexplained = [check_id for check_id, reason in skips.items() if len(reason) < 20]
    assert not unexplained, f"skips without a written reason in .checkov.yaml: {unexplained}"


@pytest.mark.slow
def test_no_failed_checks_on_both_stacks(checkov: Path, stacks: list[Path]) -> None:
    report = run_checkov(checkov, stacks, "--config-file", str(CONFIG))
    assert not report["parsing_errors"], report["parsing_errors"]
    # checkov ran its policies on both clouds' resources.
    ids = {check["check_id"] for check in report["passed"]}
    assert any(i.startswith("CKV_AWS_") for i in ids) and any(i.startswith("CKV_GCP_") for i in ids)
    failed = sorted(_describe(check) for check in report["failed"])
    print(
        f"checkov: {len(report['passed'])} passed, {len(failed)} failed, "
        f"{len(skipped_checks())} check ids skipped by .checkov.yaml"
    )
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)


@pytest.mark.slow
def test_no_stale_skips(checkov: Path, stacks: list[Path]) -> None:
    """A skipped check that passes everywhere without its skip has nothing left to excuse."""
    report = run_checkov(checkov, stacks)
    failing = {check["check_id"] for check in report["failed"]}
    stale = sorted(set(skipped_checks()) - failing)
    assert not stale, f"skips in .checkov.yaml that no longer fail, remove them: {stale}"
