"""One logical description, two clouds: every component has a builder on both and builds
something in both synthesized stacks (or says why not), every block of both belongs to a
component, and synthesizing one cloud never loads the other's provider. Then the logical
promises, read back from both synthesized stacks: each process's access (its identity), the
rollout policy, HTTPS at the edge, logs kept for the configured retention and the audit of
the data, the worker as a service of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.settings import Settings, env_name
from infra import clouds
from infra.clouds import CLOUDS
from infra.logical import (
    API,
    PROCESSES,
    READINESS_PROBE_KEY,
    ROLLOUT_POLICY,
    SYSTEM,
    WORKER,
    Access,
    Kind,
    Verb,
    by_id,
)
from infra.providers import AWS, FULL_IMPORT_ENV, GOOGLE
from runtime.api.settings import ApiSettings
from runtime.health import PROBE
from runtime.schema import COLLECTIONS
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
        # A component with no block on a cloud says why (its builder's ctx.blockless).
        empty = [c.id for c in SYSTEM if not synth.owners.get(c.id)]
        unexplained = [c for c in empty if not synth.blockless.get(c)]
        assert not unexplained, f"{synth.cloud} stack builds nothing for {unexplained}"
        assert set(empty) <= {"rollout", "edge"}, (synth.cloud, empty)
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


def _eb(tf: Synth, process: str) -> dict[tuple[str, str], str]:
    env = tf.resource("aws_elastic_beanstalk_environment", f"app_{process}")
    return {(s["namespace"], s["name"]): s["value"] for s in env["setting"]}


def _app_engine(tf: Synth, process: str) -> dict[str, Any]:
    return tf.resource("google_app_engine_flexible_app_version", f"app_{process}")


def test_same_runtime_settings_and_delivery_limit(aws_synth: Synth, gcp_synth: Synth) -> None:
    namespace = "aws:elasticbeanstalk:application:environment"
    aws_env = {name: v for (ns, name), v in _eb(aws_synth, "worker").items() if ns == namespace}
    gcp_env = gcp_synth.resource("google_app_engine_flexible_app_version", "app_worker")[
        "env_variables"
    ]
    for env, cloud in ((aws_env, "aws"), (gcp_env, "gcp")):
        assert env[env_name("backend")] == cloud
        assert env[env_name("max_deliveries")] == "7"
        assert env[env_name("table_prefix")] == "mlpoc-test-"
        assert {env_name(f) for f in Settings.required_for(cloud)} <= set(env)


# ------------------------------------------------------------------ access, per identity


def _aws_access(tf: Synth, process: str, listed: tuple[str, ...]) -> Access:
    """A process's AWS role policy, read back into logical terms (`listed`: what it lists,
    which S3's bucket-wide ListBucket grants whole)."""
    document = tf.data("aws_iam_policy_document", f"runtime_identity_{process}_permissions")
    objects: dict[str, set[Verb]] = {}
    collections: dict[str, set[Verb]] = {}
    sends, receives, listing = set(), set(), set()
    bucket = "${aws_s3_bucket.bucket.arn}/"
    table = re.compile(r"^\$\{aws_dynamodb_table\.documents_(\w+)\.arn\}$")
    verb_of = {
        "s3:GetObject": Verb.READ, "s3:PutObject": Verb.WRITE, "s3:DeleteObject": Verb.WRITE,
        "dynamodb:GetItem": Verb.READ, "dynamodb:PutItem": Verb.WRITE,
    }  # fmt: skip
    for statement in document["statement"]:
        for action in statement["actions"]:
            for resource in statement["resources"]:
                if action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
                    key = resource.removeprefix(bucket).removesuffix("*")
                    if not key.startswith("_deploy/"):  # the platform's bundle read
                        objects.setdefault(key, set()).add(verb_of[action])
                elif action in ("dynamodb:GetItem", "dynamodb:PutItem") and table.match(resource):
                    collections.setdefault(table.match(resource)[1], set()).add(verb_of[action])  # type: ignore[index]
                elif action == "s3:ListBucket":
                    listing.add(resource)
                elif action == "sqs:SendMessage":
                    sends.add(resource)
                elif action == "sqs:ReceiveMessage":
                    receives.add(resource)
    # Every role may list the bucket (S3 needs it to answer a missing key with 404): that
    # covers whatever the process lists.
    lists = listed if "${aws_s3_bucket.bucket.arn}" in listing else ()
    return Access(
        objects={k: frozenset(v) for k, v in objects.items()},
        collections={k: frozenset(v) for k, v in collections.items()},
        send_jobs="${aws_sqs_queue.jobs_queue.arn}" in sends,
        receive_jobs="${aws_sqs_queue.jobs_queue.arn}" in receives,
        receive_dead_letters="${aws_sqs_queue.dead_letter_queue.arn}" in receives,
        lists=lists,
    )


def _gcp_grants(tf: Synth, process: str) -> list[dict[str, Any]]:
    member = f"${{google_service_account.runtime_identity_{process}.member}}"
    kinds = ("google_storage_bucket_iam_member", "google_project_iam_member",
             "google_pubsub_topic_iam_member", "google_pubsub_subscription_iam_member")  # fmt: skip
    return [g for kind in kinds for g in tf.resources(kind).values() if g["member"] == member]


def _gcp_objects(tf: Synth, process: str) -> dict[str, frozenset[Verb]]:
    verbs = {
        "roles/storage.objectViewer": frozenset({Verb.READ}),
        "roles/storage.objectUser": frozenset({Verb.READ, Verb.WRITE}),
    }
    found = {}
    for grant in _gcp_grants(tf, process):
        if grant["role"] in verbs and "/objects/" in grant["condition"]["expression"]:
            [key] = re.findall(r'/objects/([^"]*)"', grant["condition"]["expression"])
            found[key] = verbs[grant["role"]]
    return found


def _gcp_listings(tf: Synth, process: str) -> tuple[str, ...]:
    prefix = re.compile(r'objectListPrefix", ""\)(?: == |\.startsWith\()"([^"]*)"')
    return tuple(
        match[1]
        for grant in _gcp_grants(tf, process)
        if (match := prefix.search(grant.get("condition", {}).get("expression", "")))
    )


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.name)
def test_each_identity_gets_its_logical_access_on_both_clouds(
    aws_synth: Synth, gcp_synth: Synth, process: Any
) -> None:
    access: Access = process.access
    aws = _aws_access(aws_synth, process.name, access.lists)
    assert aws == access, "AWS grants exactly the logical access"
    # GCP: objects, listings and queues exactly; Firestore per database (its IAM stops there).
    assert _gcp_objects(gcp_synth, process.name) == access.objects
    assert sorted(_gcp_listings(gcp_synth, process.name)) == sorted(access.lists)
    grants = _gcp_grants(gcp_synth, process.name)
    roles = {(g["role"], g.get("topic") or g.get("subscription")) for g in grants}
    jobs_topic = "${google_pubsub_topic.jobs_queue.name}"
    assert (("roles/pubsub.publisher", jobs_topic) in roles) == access.send_jobs
    subscriptions = {target for role, target in roles if role == "roles/pubsub.subscriber"}
    assert ("${google_pubsub_subscription.jobs_queue_subscription.name}" in subscriptions) == (
        access.receive_jobs
    )
    dead = "${google_pubsub_subscription.dead_letter_queue_subscription.name}"
    assert (dead in subscriptions) == access.receive_dead_letters
    databases = {
        g["condition"]["expression"].rsplit("/", 1)[1].rstrip('"'): g["role"]
        for g in grants
        if g["role"].startswith("roles/datastore.")
    }
    runtime_writes = any(access.writes(c.name) for c in COLLECTIONS if not c.operator_written)
    assert databases["${google_firestore_database.documents.name}"] == (
        "roles/datastore.user" if runtime_writes else "roles/datastore.viewer"
    )
    reads_keys = any(c.operator_written for c in COLLECTIONS if c.name in access.collections)
    operators = "${google_firestore_database.documents_operators.name}"
    assert databases.get(operators) == ("roles/datastore.viewer" if reads_keys else None)


def test_no_process_may_write_what_operators_write() -> None:
    for process in PROCESSES:
        for collection in COLLECTIONS:
            if collection.operator_written:
                assert not process.access.writes(collection.name), (process.name, collection)
    assert API.access.collections["api_keys"] == frozenset({Verb.READ}), "the API verifies keys"
    assert "api_keys" not in WORKER.access.collections


def test_the_readiness_probe_is_the_api_s() -> None:
    assert READINESS_PROBE_KEY == PROBE
    assert READINESS_PROBE_KEY in API.access.lists
    assert READINESS_PROBE_KEY not in API.access.objects, "a listing reads no object"


# ------------------------------------------------------------------ rollout


def test_one_rollout_policy_on_both_clouds(aws_synth: Synth, gcp_synth: Synth) -> None:
    policy = ROLLOUT_POLICY
    api = _eb(aws_synth, "api")
    default = "aws:elasticbeanstalk:environment:process:default"
    assert api[(default, "HealthCheckPath")] == policy.ready_path
    assert api[("aws:elasticbeanstalk:trafficsplitting", "EvaluationTime")] == str(
        policy.evaluation_minutes
    )
    assert api[("aws:elasticbeanstalk:trafficsplitting", "NewVersionPercent")] == str(
        policy.canary_percent
    )
    assert _eb(aws_synth, "worker")[("aws:elasticbeanstalk:command", "DeploymentPolicy")] == (
        "Immutable"
    )
    gcp_api = _app_engine(gcp_synth, "api")
    assert gcp_api["readiness_check"]["path"] == policy.ready_path
    assert gcp_api["readiness_check"]["app_start_timeout"] == f"{policy.start_timeout_seconds}s"
    for process in ("api", "worker"):
        assert _app_engine(gcp_synth, process)["liveness_check"]["path"] == policy.live_path
    for synth in (aws_synth, gcp_synth):
        assert synth.blockless["rollout"], "the policy is settings of the services"


# ------------------------------------------------------------------ HTTPS at the edge


def test_users_reach_the_api_over_https_only(aws_synth: Synth, gcp_synth: Synth) -> None:
    from infra.deploy_files import compose_yaml

    yaml = pytest.importorskip("yaml")
    for synth in (aws_synth, gcp_synth):
        assert synth.tf["output"]["service_url"]["value"].startswith("https://")
    # The API itself redirects plain HTTP and sends HSTS on both (compose on AWS, the
    # version's environment on App Engine).
    compose = yaml.safe_load(compose_yaml())["services"]
    assert compose["api"]["environment"]["MLPOC_HTTPS_ONLY"] == "true"
    assert _app_engine(gcp_synth, "api")["env_variables"]["MLPOC_HTTPS_ONLY"] == "true"
    # AWS: CloudFront redirects too; GCP: Google's front end (no block of its own).
    behavior = aws_synth.resource("aws_cloudfront_distribution", "edge")["default_cache_behavior"]
    assert behavior["viewer_protocol_policy"] == "redirect-to-https"
    assert gcp_synth.blockless["edge"] and not aws_synth.blockless["edge"]


def test_every_api_setting_the_stacks_write_is_one(aws_synth: Synth, gcp_synth: Synth) -> None:
    """infra may not import the API's settings: the names it writes are checked here."""
    names = {n for (ns, n) in _eb(aws_synth, "api") if ns.endswith("application:environment")}
    names |= set(_app_engine(gcp_synth, "api")["env_variables"])
    fields = {ApiSettings.env_name(field) for field in ApiSettings.model_fields}
    fields |= {Settings.env_name(field) for field in Settings.model_fields}  # the backend's
    extras = {"MLPOC_PROCESS", "COMPOSE_PROFILES", "MLPOC_MEMORY_LIMIT"}
    assert names - extras <= fields, names - extras - fields


# ------------------------------------------------------------------ logs and audit


def test_logs_kept_for_the_configured_retention(aws_synth: Synth, gcp_synth: Synth) -> None:
    days = aws_synth.config.section().log_retention_days  # type: ignore[attr-defined]
    for process in ("api", "worker"):
        settings = _eb(aws_synth, process)
        assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays")] == str(days)
    [rule] = aws_synth.resource("aws_s3_bucket_lifecycle_configuration", "logs_lifecycle")["rule"]
    assert rule["expiration"] == [{"days": days}]
    gcp_days = gcp_synth.config.section().log_retention_days  # type: ignore[attr-defined]
    assert (
        gcp_synth.resource("google_logging_project_bucket_config", "logs")["retention_days"]
        == gcp_days
    )


def test_object_and_document_access_is_audited_on_both(aws_synth: Synth, gcp_synth: Synth) -> None:
    [selector] = aws_synth.resource("aws_cloudtrail", "audit")["event_selector"]
    audited = {r["type"] for r in selector["data_resource"]}
    assert audited == {"AWS::S3::Object", "AWS::DynamoDB::Table"}
    services = {
        c["service"] for c in gcp_synth.resources("google_project_iam_audit_config").values()
    }
    assert services == {"storage.googleapis.com", "datastore.googleapis.com"}


# ------------------------------------------------------------------ the worker, apart


def test_the_worker_is_a_service_of_its_own(aws_synth: Synth, gcp_synth: Synth) -> None:
    api, worker = _eb(aws_synth, "api"), _eb(aws_synth, "worker")
    key = ("aws:elasticbeanstalk:application:environment", "COMPOSE_PROFILES")
    assert (api[key], worker[key]) == ("api", "worker")
    profile = ("aws:autoscaling:launchconfiguration", "IamInstanceProfile")
    assert api[profile] != worker[profile]
    assert _app_engine(gcp_synth, "worker")["service"] == "worker"
    assert (
        _app_engine(gcp_synth, "api")["service_account"]
        != _app_engine(gcp_synth, "worker")["service_account"]
    )


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
