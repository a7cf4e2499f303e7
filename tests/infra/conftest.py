"""Synthesize each cloud's stack once per session, in a fresh subprocess, and share the JSON.

The subprocess does what `python -m infra.main` does for `cdktf synth`; it also reports which
provider packages it imported and which Terraform blocks each component created, so the
import-isolation and parity tests need no extra synth.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.config import ProjectConfig, parse_config

REPO = Path(__file__).resolve().parents[2]
SYNTH_TIMEOUT = 240

# Non-default values, so a test can tell that the stack used the configuration.
AWS_TOML = """
[project]
name = "mlpoc-test"
cloud = "aws"
region = "eu-central-1"
image_tag = "1.2.3"
max_deliveries = 7

[api]
min_instances = 2
max_instances = 4

[aws]
instance_type = "t3.medium"
solution_stack = "64bit Amazon Linux 2023 v4.5.2 running Docker"

[budget]
amount = 75
currency = "USD"
alert_email = "ops@example.com"
"""

GCP_TOML = """
[project]
name = "mlpoc-test"
cloud = "gcp"
region = "europe-west1"
image_tag = "1.2.3"
max_deliveries = 7

[api]
min_instances = 2
max_instances = 4
cpu = 2
memory_gb = 4

[worker]
min_instances = 1
max_instances = 1

[gcp]
project_id = "mlpoc-test-123456"
billing_account = "012345-6789AB-CDEF01"

[budget]
amount = 75.5
currency = "EUR"
alert_email = "ops@example.com"
"""

# The optional features on: a domain of one's own (both clouds), the worker on spot (AWS).
AWS_OPTIONS_TOML = AWS_TOML.replace("[api]\n", '[api]\ndomain = "api.example.com"\n').replace(
    "[aws]\n", "[worker]\nspot = true\n\n[aws]\n"
)
GCP_OPTIONS_TOML = GCP_TOML.replace("[api]\n", '[api]\ndomain = "api.example.com"\n')

TOMLS = {"aws": AWS_TOML, "gcp": GCP_TOML}
OPTIONS_TOMLS = {"aws": AWS_OPTIONS_TOML, "gcp": GCP_OPTIONS_TOML}

# Run in the subprocess: `synth()` as the app runs it (the CLI path, `python -m infra.main`,
# is the same calls), then which top-level packages got imported and who built what.
_PROBE = """
import json, os, sys
from pathlib import Path
from infra.config import load_config
from infra.main import build_app
config = load_config()
app, stack = build_app(config, os.environ["CDKTF_OUTDIR"])
app.synth()
path = Path(os.environ["CDKTF_OUTDIR"]) / "stacks" / config.cloud / "cdk.tf.json"
print(json.dumps({
    "path": str(path),
    "imported": sorted({m.split(".")[0] for m in sys.modules}),
    "owners": stack.owners,
    "blockless": stack.blockless,
    "unowned": stack.unowned,
}))
"""


@dataclass(frozen=True)
class Synth:
    cloud: str
    config: ProjectConfig
    tf: dict[str, Any]
    path: Path
    imported: frozenset[str]
    owners: dict[str, list[str]]  # Terraform addresses by the component that created them
    blockless: dict[str, str | None]  # why a component made no block (None: it made some)
    unowned: list[str]

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.tf.get("resource", {}).get(kind, {})

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        return self.resources(kind)[name]

    def data(self, kind: str, name: str) -> dict[str, Any]:
        return self.tf["data"][kind][name]

    def resource_names(self) -> set[str]:
        return {name for group in self.tf["resource"].values() for name in group}

    def addresses(self) -> set[str]:
        """Every resource and data source block, as Terraform addresses it."""
        found = {
            f"{type_}.{name}" for type_, group in self.tf["resource"].items() for name in group
        }
        return found | {
            f"data.{type_}.{name}"
            for type_, group in self.tf.get("data", {}).items()
            for name in group
        }


def synth_env(config_path: Path, outdir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLPOC_CONFIG=str(config_path),
        CDKTF_OUTDIR=str(outdir),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        **extra,
    )
    return env


def run_synth(cloud: str, workdir: Path, toml: str | None = None, **extra_env: str) -> Synth:
    toml = toml or TOMLS[cloud]
    config_path = workdir / "mlpoc.toml"
    config_path.write_text(toml, encoding="utf-8")
    outdir = workdir / "cdktf.out"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=REPO,
        env=synth_env(config_path, outdir, **extra_env),
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT,
    )
    assert result.returncode == 0, f"synth {cloud} failed:\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    path = outdir / "stacks" / cloud / "cdk.tf.json"
    assert Path(report["path"]) == path, "the stack is named after its cloud"
    config = parse_config(tomllib.loads(toml))
    return Synth(
        cloud,
        config,
        json.loads(path.read_text()),
        path,
        frozenset(report["imported"]),
        report["owners"],
        report["blockless"],
        report["unowned"],
    )


@pytest.fixture(scope="session")
def aws_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return run_synth("aws", tmp_path_factory.mktemp("synth-aws"))


@pytest.fixture(scope="session")
def gcp_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return run_synth("gcp", tmp_path_factory.mktemp("synth-gcp"))


@pytest.fixture(scope="session")
def aws_options_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The AWS stack with a custom domain and the worker on spot."""
    return run_synth("aws", tmp_path_factory.mktemp("synth-aws-options"), AWS_OPTIONS_TOML)


@pytest.fixture(scope="session")
def gcp_options_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The GCP stack with a custom domain."""
    return run_synth("gcp", tmp_path_factory.mktemp("synth-gcp-options"), GCP_OPTIONS_TOML)


@pytest.fixture(params=["aws", "gcp"])
def synth(request: pytest.FixtureRequest) -> Synth:
    result: Synth = request.getfixturevalue(f"{request.param}_synth")
    return result
