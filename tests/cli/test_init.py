"""`mlpoc init` writes an mlpoc.toml the infra accepts, asks nothing when given flags, and
writes nothing when a value is bad or the file exists."""

from __future__ import annotations

import json
from pathlib import Path

from infra.config import load_config
from infra.gcp.config import app_engine_location
from tests.support.cli import run_cli

AWS = ("--cloud", "aws", "--name", "team-poc", "--budget", "30", "--alert-email", "t@ex.com")
GCP = (
    "--cloud", "gcp", "--name", "team-poc", "--region", "us-central1", "--budget", "40",
    "--alert-email", "t@ex.com", "--gcp-project", "team-poc-123456",
    "--billing-account", "012345-6789AB-CDEF01",
)  # fmt: skip


def test_aws_project_file(tmp_path: Path) -> None:
    done = run_cli("init", *AWS, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = load_config(tmp_path / "mlpoc.toml")
    assert (config.cloud, config.name, config.project.region) == ("aws", "team-poc", "eu-west-1")
    assert config.budget.amount == 30 and config.budget.alert_email == "t@ex.com"


def test_gcp_project_file_with_json_output(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "gcp.toml"
    target.parent.mkdir()
    done = run_cli("init", *GCP, "--path", str(target), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = load_config(target)
    assert config.cloud == "gcp" and config.gcp.project_id == "team-poc-123456"
    assert app_engine_location(config) == "us-central"
    assert json.loads(done.stdout)["config"]["gcp"]["billing_account"] == "012345-6789AB-CDEF01"


def test_existing_file_is_kept(tmp_path: Path) -> None:
    (tmp_path / "mlpoc.toml").write_text("# mine\n")
    done = run_cli("init", *AWS, cwd=tmp_path)
    assert done.returncode == 2 and "--force" in done.stderr
    assert (tmp_path / "mlpoc.toml").read_text() == "# mine\n"
    assert run_cli("init", *AWS, "--force", cwd=tmp_path).returncode == 0
    assert load_config(tmp_path / "mlpoc.toml").name == "team-poc"


def test_bad_values_write_nothing(tmp_path: Path) -> None:
    done = run_cli("init", *AWS, "--budget", "0", "--name", "X", cwd=tmp_path)
    assert done.returncode == 2
    assert "[budget].amount must be > 0" in done.stderr and "[project].name" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_value_without_a_terminal_names_the_flag(tmp_path: Path) -> None:
    done = run_cli("init", "--cloud", "gcp", "--name", "team-poc", "--alert-email", "t@ex.com",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "--gcp-project is required" in done.stderr
    assert list(tmp_path.iterdir()) == []
