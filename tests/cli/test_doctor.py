"""`mlpoc doctor` reports what the chosen cloud's deploy needs: the project file, the pinned
cdktf CLI, the providers' source (the mirror here) and that cloud's credentials only."""

from __future__ import annotations

import json
from pathlib import Path

from tests.infra.conftest import AWS_TOML, GCP_TOML, REPO
from tests.support.cli import clean_env, run_cli


def _doctor(tmp_path: Path, toml: str | None, **extra: str) -> tuple[int, dict[str, dict]]:
    env = {k: v for k, v in clean_env().items() if not k.startswith(("AWS_", "GOOGLE_"))}
    env.update(HOME=str(tmp_path), AWS_EC2_METADATA_DISABLED="true", NO_GCE_CHECK="true")
    env.pop("TF_CLI_CONFIG_FILE", None)
    if toml is not None:
        (tmp_path / "mlpoc.toml").write_text(toml)
        env["MLPOC_CONFIG"] = str(tmp_path / "mlpoc.toml")
    else:
        env["MLPOC_CONFIG"] = str(tmp_path / "absent.toml")
    env["MLPOC_CDKTF_OUTDIR"] = str(tmp_path / "cdktf.out")
    env.update(extra)
    done = run_cli("doctor", "--json", env=env, cwd=REPO, timeout=120)
    return done.returncode, {c["name"]: c for c in json.loads(done.stdout)}


def test_aws_project_checks_only_aws_credentials_and_finds_the_mirror(tmp_path: Path) -> None:
    code, checks = _doctor(tmp_path, AWS_TOML)
    assert checks["mlpoc.toml"]["ok"] and "mlpoc-test on aws" in checks["mlpoc.toml"]["found"]
    assert checks["cdktf CLI 0.21.0 (pinned)"]["ok"], checks["cdktf CLI 0.21.0 (pinned)"]
    providers = checks["Terraform providers"]
    assert providers["ok"] and providers["found"].startswith("mirror ")
    assert "hashicorp/aws 5.100.0" in providers["found"]
    assert not checks["aws credentials"]["ok"]
    assert "aws configure" in checks["aws credentials"]["fix"]
    assert not any("gcp" in name or "Google" in name for name in checks)
    assert code == 1, "missing credentials fail the doctor"
    # Docker and the emulators are reported, never required.
    assert not checks["Docker (optional)"]["required"]


def test_gcp_project_with_credentials_but_no_provider_mirror(tmp_path: Path) -> None:
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps({
        "type": "authorized_user", "client_id": "x", "client_secret": "y", "refresh_token": "z",
    }))  # fmt: skip
    code, checks = _doctor(tmp_path, GCP_TOML, GOOGLE_APPLICATION_CREDENTIALS=str(adc))
    assert code == 0, [c for c in checks.values() if c["required"] and not c["ok"]]
    assert checks["gcp credentials"]["ok"]
    assert "aws credentials" not in checks
    providers = checks["Terraform providers"]
    assert providers["found"].startswith("the Terraform registry")
    assert "hashicorp/google 6.50.0" in providers["found"]


def test_missing_project_file_is_reported(tmp_path: Path) -> None:
    code, checks = _doctor(tmp_path, None)
    assert code == 1
    assert not checks["mlpoc.toml"]["ok"] and "mlpoc init" in checks["mlpoc.toml"]["found"]


def test_the_table_is_plain_text(tmp_path: Path) -> None:
    (tmp_path / "mlpoc.toml").write_text(AWS_TOML)
    env = {**clean_env(), "MLPOC_CONFIG": str(tmp_path / "mlpoc.toml"), "HOME": str(tmp_path)}
    env["MLPOC_CDKTF_OUTDIR"] = str(tmp_path / "cdktf.out")
    done = run_cli("doctor", env=env, cwd=REPO, timeout=120)
    assert (
        "Terraform" in done.stdout and "[green]" not in done.stdout and "[red]" not in done.stdout
    )
