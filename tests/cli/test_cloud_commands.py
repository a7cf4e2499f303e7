"""The cloud commands as a user runs them: without credentials each stops with one line
naming what is missing (exit 2), after the steps a real run takes; with a stack's outputs
(a state file whose settings point at moto) status, logs, keys --stack and the data
commands' default URL work against the emulator."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.schema import COLLECTIONS
from tests.infra.conftest import AWS_TOML, GCP_TOML, REPO
from tests.support.cli import clean_env, run_cli

NO_AWS = "no AWS credentials found"
NO_GCP = "no Google Cloud credentials found"


def _project_env(tmp_path: Path, cloud: str, **extra: str) -> dict[str, str]:
    """A project file of `cloud` in tmp_path, cdktf output beside it, no credentials at all."""
    config = tmp_path / "mlpoc.toml"
    config.write_text(AWS_TOML if cloud == "aws" else GCP_TOML)
    env = {
        k: v
        for k, v in clean_env().items()
        if not k.startswith(("AWS_", "GOOGLE_", "CLOUDSDK_")) and not k.endswith("_EMULATOR_HOST")
    }
    env.update(
        MLPOC_CONFIG=str(config),
        MLPOC_CDKTF_OUTDIR=str(tmp_path / "cdktf.out"),
        HOME=str(tmp_path),  # no ~/.aws, no gcloud application default credentials
        AWS_EC2_METADATA_DISABLED="true",
        NO_GCE_CHECK="true",
        **extra,
    )
    return env


def _state(tmp_path: Path, cloud: str, outputs: dict[str, Any]) -> None:
    """A deployed stack's local state, as Terraform writes it (outputs only)."""
    state = {
        "version": 4,
        "outputs": {name: {"value": value, "type": "string"} for name, value in outputs.items()},
        "resources": [{"type": "x", "name": "y"}],
    }
    (tmp_path / f"terraform.{cloud}.tfstate").write_text(json.dumps(state))


def _one_line_error(done: Any, expected: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mlpoc: ") and expected in lines[0], lines
    assert "Traceback" not in done.stderr


# One cloud is enough here: `deploy` is the same steps for both (a real cdktf synth each
# time, ~40 s on a busy machine). GCP's synthesis through the cdktf CLI is proven by
# tests/infra/test_cdktf_cli.py and `mlpoc rehearse gcp`, its missing-credentials line by
# test_stack_commands_without_credentials_say_so below.
@pytest.mark.slow
def test_deploy_without_credentials_stops_after_synthesis(tmp_path: Path) -> None:
    cloud = "aws"
    done = run_cli("deploy", "--auto-approve", env=_project_env(tmp_path, cloud), cwd=REPO,
                   timeout=300)  # fmt: skip
    _one_line_error(done, NO_AWS)
    # The steps a deploy takes came first: project, providers, synthesis with the real CLI.
    assert "project mlpoc-test" in done.stdout
    assert "providers from" in done.stdout
    assert (tmp_path / "cdktf.out" / "stacks" / cloud / "cdk.tf.json").is_file()
    assert not (tmp_path / f"terraform.{cloud}.tfstate").exists(), "nothing was applied"


@pytest.mark.parametrize(
    ("command", "cloud", "expected"),
    [
        (("status",), "aws", NO_AWS),
        (("logs",), "gcp", NO_GCP),
        (("keys", "create", "--stack", "--name", "me", "--scope", "admin"), "aws", NO_AWS),
        (("destroy", "--auto-approve"), "gcp", NO_GCP),
    ],
)
def test_stack_commands_without_credentials_say_so(
    command: tuple[str, ...], cloud: str, expected: str, tmp_path: Path
) -> None:
    _state(tmp_path, cloud, {"settings": {"MLPOC_BACKEND": cloud}})
    done = run_cli(*command, env=_project_env(tmp_path, cloud), cwd=REPO)
    _one_line_error(done, expected)


def test_stack_commands_without_a_deployed_stack_say_so(tmp_path: Path) -> None:
    env = _project_env(tmp_path, "aws", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    done = run_cli("status", env=env, cwd=REPO)
    _one_line_error(done, "no deployed aws stack here")
    assert "mlpoc deploy" in done.stderr


def test_destroy_needs_a_confirmation(tmp_path: Path) -> None:
    settings = {"MLPOC_BACKEND": "aws", "MLPOC_BUCKET": "b", "MLPOC_QUEUE": "q"}
    _state(tmp_path, "aws", {"settings": settings})
    env = _project_env(tmp_path, "aws", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    done = run_cli("destroy", env=env, cwd=REPO)
    assert done.returncode == 2
    # The warning about the data first (stderr), then the one-line refusal, nothing destroyed.
    warning, refusal = done.stderr.rsplit("mlpoc: ", 1)
    assert "deletes the aws stack of mlpoc-test, with its data" in warning
    assert "bucket b" in warning and "--delete-data" in warning
    assert refusal.strip() == "no terminal to confirm on: pass --auto-approve to destroy"
    assert (tmp_path / "terraform.aws.tfstate").is_file()


def test_data_commands_default_to_the_deployed_url(tmp_path: Path) -> None:
    _state(tmp_path, "aws", {"service_url": "http://127.0.0.1:9"})
    env = _project_env(tmp_path, "aws", MLPOC_API_KEY="k")
    done = run_cli("datasets", "list", env=env, cwd=REPO)
    _one_line_error(done, "cannot reach the mlpoc API at http://127.0.0.1:9")
    # An explicit --url still wins.
    done = run_cli("datasets", "list", "--url", "http://127.0.0.1:7", env=env, cwd=REPO)
    _one_line_error(done, "at http://127.0.0.1:7")


@pytest.mark.aws
def test_keys_status_and_logs_against_a_stack_on_moto(aws_rig: Any, tmp_path: Path) -> None:
    settings = aws_rig.settings(COLLECTIONS)
    environment = settings.to_env()
    _state(tmp_path, "aws", {
        "settings": environment, "region": settings.region or "us-east-1",
        "environment": "mlpoc-test-api", "worker_environment": "mlpoc-test-worker",
        "bucket": settings.bucket,
    })  # fmt: skip
    env = _project_env(tmp_path, "aws", **aws_rig.environment())

    done = run_cli("keys", "create", "--stack", "--name", "ops", "--scope", "admin", "--json",
                   env=env, cwd=REPO)  # fmt: skip
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    listed = run_cli("keys", "list", "--stack", "--json", env=env, cwd=REPO)
    assert [k["id"] for k in json.loads(listed.stdout)] == [created["id"]]

    # Logs: the groups Elastic Beanstalk streams each environment's container output to.
    logs = aws_rig.client("logs")
    now = int(time.time() * 1000)
    for eb_environment, at, message in (
        ("mlpoc-test-api", now - 2000, "api-1     | GET /healthz 200"),
        ("mlpoc-test-worker", now - 1000, "worker-1  | job j1 succeeded"),
    ):
        group = (
            f"/aws/elasticbeanstalk/{eb_environment}/var/log/eb-docker/containers/eb-current-app"
        )
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="i-1")
        logs.put_log_events(
            logGroupName=group,
            logStreamName="i-1",
            logEvents=[{"timestamp": at, "message": message}],
        )
    done = run_cli("logs", "--json", env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert [line["message"] for line in json.loads(done.stdout)] == [
        "api-1     | GET /healthz 200",
        "worker-1  | job j1 succeeded",
    ]
    done = run_cli("logs", "--process", "worker", "--json", env=env, cwd=REPO)
    assert [line["message"] for line in json.loads(done.stdout)] == ["worker-1  | job j1 succeeded"]

    # Status: outputs and settings from the state; the platform asked with the credentials.
    done = run_cli("status", "--json", env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["settings"] == environment
    assert report["outputs"]["bucket"] == settings.bucket
    assert "environment" in json.dumps(report["platform"])
