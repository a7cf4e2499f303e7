"""One logical description, two clouds: every component has a builder on both and appears
in both synthesized stacks, and synthesizing one cloud never loads the other's provider."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.settings import Settings, env_name
from infra.logical import SYSTEM, Kind, by_id, resources_of
from infra.providers import AWS, FULL_IMPORT_ENV, GOOGLE
from tests.infra.conftest import REPO, TOMLS, Synth, synth_env


def test_every_kind_has_a_builder_on_both_clouds() -> None:
    # Importing the stacks only registers the providers: cheap, and nothing is synthesized.
    from infra.aws.stack import BUILDERS as AWS_BUILDERS
    from infra.gcp.stack import BUILDERS as GCP_BUILDERS

    assert set(AWS_BUILDERS) == set(Kind) == set(GCP_BUILDERS)
    assert {component.kind for component in SYSTEM} == set(Kind)


def test_components_are_listed_after_what_they_need() -> None:
    seen: set[str] = set()
    for component in SYSTEM:
        assert set(component.needs) <= seen, component.id
        seen.add(component.id)
    assert len(seen) == len(SYSTEM)


def test_every_component_appears_in_both_stacks(aws_synth: Synth, gcp_synth: Synth) -> None:
    for synth in (aws_synth, gcp_synth):
        names = synth.resource_names()
        missing = [c.id for c in SYSTEM if not resources_of(c, names)]
        assert not missing, f"{synth.cloud} stack lacks {missing}"
        # ...and every resource belongs to a component or to the stack's own plumbing.
        owned = {n for c in SYSTEM for n in resources_of(c, names)}
        stray = {
            n for n in names - owned if not n.startswith(("project_service_", "email_channel"))
        }
        assert not stray, f"{synth.cloud} resources outside the logical description: {stray}"


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
