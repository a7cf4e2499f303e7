"""`mlpoc rehearse aws|gcp` end to end, as a user runs it: the real cdktf CLI deploys the AWS
stack to moto (and destroys it after a clean second plan), the GCP stack's declared data
plane runs on Google's emulators; both run the whole demo loop against a local API and
worker configured from the stack. One test per expensive path (each takes minutes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.infra.conftest import AWS_TOML, REPO
from tests.support.cli import clean_env, run_cli

LOOP = [
    "uploaded scikit-learn's wine dataset",
    "labelled the unlabelled records through the API",
    "trained through the job queue",
    "promoted to production",
    "pre-computed predictions for every record",
    "answered predictions",
]


def _env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "mlpoc.toml"
    config.write_text(AWS_TOML)
    env = {k: v for k, v in clean_env().items() if not k.startswith(("AWS_", "GOOGLE_"))}
    return {**env, "MLPOC_CONFIG": str(config), "HOME": str(tmp_path)}


@pytest.mark.slow
@pytest.mark.aws
@pytest.mark.timeout(1200)
def test_rehearse_aws_deploys_runs_the_loop_and_destroys(tmp_path: Path) -> None:
    work = tmp_path / "work"
    done = run_cli("rehearse", "aws", "--workdir", str(work), "--json", env=_env(tmp_path),
                   cwd=REPO, timeout=1100)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout)
    assert result["verdict"] == "passed"
    steps = [s["step"] for s in result["steps"]]
    assert steps[:3] == [
        "started moto server",
        "synthesized the AWS stack (cdktf synth, emulator variant)",
        "deployed it with the cdktf CLI (cdktf deploy aws)",
    ]
    for step in LOOP:  # a step's line may say more ("... (as in examples/wine.csv)")
        assert any(s.startswith(step) for s in steps), step
    assert steps[-2:] == [
        "a second plan is clean (cdktf diff aws)",
        "emptied the bucket and destroyed the stack (cdktf destroy aws)",
    ]
    # What moto cannot carry is named, and everything was really applied then destroyed.
    assert any("aws_elastic_beanstalk_environment" in s for s in result["switched_off"])
    assert any("aws_budgets_budget" in s for s in result["switched_off"])
    deploy_log = (work / "logs" / "cdktf-deploy.log").read_text()
    assert "aws_dynamodb_table.documents_jobs: Creation complete" in deploy_log
    assert "--skip-provider-lock" not in deploy_log  # (the flag is cdktf's, not printed)
    assert "Destroy complete!" in (work / "logs" / "cdktf-destroy.log").read_text()
    state = json.loads((work / "terraform.aws.tfstate").read_text())
    assert state["resources"] == []
    assert result["version"] == 1 and result["stored_predictions"] == 178
    assert all(a["value"] == a["expected"] for a in result["predictions"])
    # The rehearsal left the project's own state and output alone.
    assert not (REPO / "terraform.aws.tfstate").exists()


@pytest.mark.slow
@pytest.mark.gcp
@pytest.mark.timeout(600)
def test_rehearse_gcp_runs_the_loop_on_the_declared_data_plane(tmp_path: Path) -> None:
    done = run_cli("rehearse", "gcp", "--json", env=_env(tmp_path), cwd=REPO, timeout=550)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout)
    assert result["verdict"] == "passed"
    assert "Terraform cannot apply the GCP stack offline" in result["offline"]
    assert "Terraform cannot apply the GCP stack offline" in done.stderr
    steps = [s["step"] for s in result["steps"]]
    assert "created the declared data plane on the emulators" in steps
    assert "created the first admin key from the stack's outputs (keys --stack)" in steps
    for step in LOOP:  # a step's line may say more ("... (as in examples/wine.csv)")
        assert any(s.startswith(step) for s in steps), step
    assert result["version"] == 1 and result["stored_predictions"] == 178
    assert not Path(result["workdir"]).exists(), "a passed rehearsal removes its directory"


def test_rehearse_refuses_an_unknown_cloud(tmp_path: Path) -> None:
    done = run_cli("rehearse", "azure", env=_env(tmp_path), cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.strip() == "mlpoc: cloud must be aws or gcp, got 'azure'"
