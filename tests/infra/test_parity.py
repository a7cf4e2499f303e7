"""One logical description, two clouds: every component has a builder on both and builds
something in both synthesized stacks, every block of both belongs to a component, and
synthesizing one cloud never loads the other's provider."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.settings import Settings, env_name
from infra import clouds
from infra.clouds import CLOUDS
from infra.logical import SYSTEM, Kind, by_id
from infra.providers import AWS, FULL_IMPORT_ENV, GOOGLE
from tests.infra.conftest import REPO, TOMLS, Synth, synth_env


@pytest.mark.parametrize("name", CLOUDS)
def test_every_cloud_builds_every_kind_from_earlier_components(name: str) -> None:
    # Importing a stack module only registers its provider: cheap, nothing is synthesized.
    cloud = clouds.cloud(name)
    cloud.check()  # each builder reads only kinds listed before its own in SYSTEM
    assert sorted(b.kind for b in cloud.builders) == sorted(Kind)
    assert sorted(component.kind for component in SYSTEM) == sorted(Kind)


def test_every_block_of_both_stacks_belongs_to_one_component(
    aws_synth: Synth, gcp_synth: Synth
) -> None:
    for synth in (aws_synth, gcp_synth):
        empty = [c.id for c in SYSTEM if not synth.owners.get(c.id)]
        assert not empty, f"{synth.cloud} stack builds nothing for {empty}"
        owned = [address for addresses in synth.owners.values() for address in addresses]
        assert len(owned) == len(set(owned))
        # Nothing outside the logical description, and nothing of it left out of the JSON.
        assert synth.unowned == []
        assert set(owned) == synth.addresses(), synth.cloud


def test_every_collection_and_index_exists_on_both(aws_synth: Synth, gcp_synth: Synth) -> None:
    documents = by_id("documents")
    tables = aws_synth.resources("aws_dynamodb_table")
    firestore = gcp_synth.resources("google_firestore_index")
    for collection in documents.collections:
        table = tables[f"documents_{collection.name}"]
        gsis = {g["name"] for g in table.get("global_secondary_index", [])}
        for index in collection.indexes:
            assert index.name in gsis
            for order in ("asc", "desc"):
                assert f"documents_{collection.name}_{index.name}_{order}" in firestore


def test_both_clouds_run_api_and_worker(aws_synth: Synth, gcp_synth: Synth) -> None:
    from infra.deploy_files import compose_yaml

    yaml = pytest.importorskip("yaml")
    assert set(yaml.safe_load(compose_yaml())["services"]) == {"api", "worker"}
    services = gcp_synth.resources("google_app_engine_flexible_app_version")
    assert {v["env_variables"]["MLPOC_PROCESS"] for v in services.values()} == {"api", "worker"}


def test_same_runtime_settings_and_delivery_limit(aws_synth: Synth, gcp_synth: Synth) -> None:
    aws_env = {
        s["name"]: s["value"]
        for s in aws_synth.resource("aws_elastic_beanstalk_environment", "app_environment")[
            "setting"
        ]
        if s["namespace"] == "aws:elasticbeanstalk:application:environment"
    }
    gcp_env = gcp_synth.resource("google_app_engine_flexible_app_version", "app_worker")[
        "env_variables"
    ]
    for env, cloud in ((aws_env, "aws"), (gcp_env, "gcp")):
        assert env[env_name("backend")] == cloud
        assert env[env_name("max_deliveries")] == "7"
        assert env[env_name("table_prefix")] == "mlpoc-test-"
        assert {env_name(f) for f in Settings.required_for(cloud)} <= set(env)


@pytest.mark.parametrize(("cloud", "other"), [("aws", GOOGLE), ("gcp", AWS)])
def test_synthesizing_one_cloud_never_imports_the_other(
    cloud: str, other: str, aws_synth: Synth, gcp_synth: Synth
) -> None:
    synth = aws_synth if cloud == "aws" else gcp_synth
    own = AWS if cloud == "aws" else GOOGLE
    assert own in synth.imported
    assert other not in synth.imported


@pytest.mark.slow
def test_fast_import_output_is_identical_to_default_import(
    aws_synth: Synth, tmp_path: Path
) -> None:
    """The default (eager) import of the provider package gives the same bytes."""
    config_path = tmp_path / "mlpoc.toml"
    config_path.write_text(TOMLS["aws"])
    outdir = tmp_path / "cdktf.out"
    env = synth_env(config_path, outdir, **{FULL_IMPORT_ENV: "1"})
    subprocess.run(
        [sys.executable, "-m", "infra.main"], cwd=REPO, env=env, check=True, timeout=600,
        capture_output=True,
    )  # fmt: skip
    eager = (outdir / "stacks" / "aws" / "cdk.tf.json").read_bytes()
    assert eager == aws_synth.path.read_bytes()
    assert os.environ.get(FULL_IMPORT_ENV) != "1"
