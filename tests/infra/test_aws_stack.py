"""The synthesized AWS stack: encryption, no public access, and two Elastic Beanstalk
environments (API, worker) whose environment is exactly the runtime's settings. Identities:
test_aws_identity.py; logs and audit: test_aws_audit.py; CloudFront: test_aws_edge.py."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from adapters.naming import table_name
from adapters.settings import Settings, env_name
from infra.aws.rollout import deployment_timeout_seconds
from infra.aws.services import OPTION_REASONS, SERVICE_ROLE_POLICIES, option_table
from infra.bundle import Bundle
from infra.logical import ROLLOUT_POLICY
from runtime.schema import COLLECTIONS
from tests.infra.conftest import Synth

KEY_ARN = "${aws_kms_key.key.arn}"
BUCKET_ARN = "${aws_s3_bucket.bucket.arn}"


@pytest.fixture(scope="module")
def tf(aws_synth: Synth) -> Synth:
    return aws_synth


ENV_NAMESPACE = "aws:elasticbeanstalk:application:environment"
PROCESSES = ("api", "worker")


def eb_settings(tf: Synth, process: str = "api") -> dict[tuple[str, str], str]:
    env = tf.resource("aws_elastic_beanstalk_environment", f"app_{process}")
    return {(s["namespace"], s["name"]): s["value"] for s in env["setting"]}


def runtime_env(tf: Synth, process: str = "api") -> dict[str, str]:
    settings = eb_settings(tf, process)
    return {name: value for (ns, name), value in settings.items() if ns == ENV_NAMESPACE}


def test_kms_key_rotates_and_serves_only_this_account(tf: Synth) -> None:
    key = tf.resource("aws_kms_key", "key")
    assert key["enable_key_rotation"] is True
    assert tf.resource("aws_kms_alias", "key_alias")["name"] == "alias/mlpoc-test"
    policy = json.loads(key["policy"])
    account = "${data.aws_caller_identity.account.account_id}"
    trail = f"arn:aws:cloudtrail:eu-central-1:{account}:trail/mlpoc-test-data-events"
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert {sid: s["Principal"] for sid, s in statements.items()} == {
        "AccountAdministers": {"AWS": f"arn:aws:iam::{account}:root"},
        "CloudWatchPublishesAlarms": {"Service": "cloudwatch.amazonaws.com"},
        "CloudTrailEncryptsThisTrail": {"Service": "cloudtrail.amazonaws.com"},
        "CloudTrailDescribesKey": {"Service": "cloudtrail.amazonaws.com"},
    }
    cloudwatch = statements["CloudWatchPublishesAlarms"]
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # The confused-deputy guard: only on behalf of this account.
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
    encrypts = statements["CloudTrailEncryptsThisTrail"]
    assert encrypts["Action"] == "kms:GenerateDataKey*"
    assert encrypts["Condition"]["StringEquals"] == {"aws:SourceArn": trail}
    assert encrypts["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*"
    }
    assert statements["CloudTrailDescribesKey"]["Action"] == "kms:DescribeKey"
    assert statements["CloudTrailDescribesKey"]["Condition"] == {
        "StringEquals": {"aws:SourceArn": trail}
    }
    assert tf.resource("aws_cloudtrail", "audit")["name"] == trail.rsplit("/", 1)[1]


def test_bucket_is_versioned_encrypted_and_private(tf: Synth) -> None:
    assert tf.resource("aws_s3_bucket", "bucket")["bucket"] == "mlpoc-test-data"
    versioning = tf.resource("aws_s3_bucket_versioning", "bucket_versioning")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    sse = tf.resource("aws_s3_bucket_server_side_encryption_configuration", "bucket_encryption")
    default = sse["rule"][0]["apply_server_side_encryption_by_default"]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN}
    block = tf.resource("aws_s3_bucket_public_access_block", "bucket_public_access_block")
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls"):
        assert block[flag] is True
    assert block["restrict_public_buckets"] is True


def test_bucket_policy_denies_plain_http(tf: Synth) -> None:
    policy = tf.resource("aws_s3_bucket_policy", "bucket_policy")
    assert policy["policy"] == "${data.aws_iam_policy_document.bucket_tls_only.json}"
    [deny] = tf.data("aws_iam_policy_document", "bucket_tls_only")["statement"]
    assert deny["effect"] == "Deny"
    assert deny["actions"] == ["s3:*"]
    assert deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
    assert sorted(deny["resources"]) == sorted([BUCKET_ARN, f"{BUCKET_ARN}/*"])
    assert deny["condition"] == [
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    ]


def test_noncurrent_versions_expire(tf: Synth) -> None:
    lifecycle = tf.resource("aws_s3_bucket_lifecycle_configuration", "bucket_lifecycle")
    [rule] = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] > 0


def test_jobs_queue_dead_letters_after_configured_deliveries(tf: Synth) -> None:
    jobs = tf.resource("aws_sqs_queue", "jobs_queue")
    redrive = json.loads(jobs["redrive_policy"])
    assert redrive == {
        "deadLetterTargetArn": "${aws_sqs_queue.dead_letter_queue.arn}",
        "maxReceiveCount": tf.config.project.max_deliveries,
    }
    assert redrive["maxReceiveCount"] == 7
    dlq = tf.resource("aws_sqs_queue", "dead_letter_queue")
    assert (jobs["name"], dlq["name"]) == ("mlpoc-test-jobs", "mlpoc-test-jobs-dlq")
    for queue in (jobs, dlq):
        assert queue["kms_master_key_id"] == KEY_ARN
        assert queue["message_retention_seconds"] > 0
    assert dlq["message_retention_seconds"] >= jobs["message_retention_seconds"]


def test_one_table_per_collection_with_its_indexes(tf: Synth) -> None:
    tables = {t["name"]: t for t in tf.resources("aws_dynamodb_table").values()}
    assert set(tables) == {table_name("mlpoc-test-", c.name) for c in COLLECTIONS}
    for collection in COLLECTIONS:
        table = tables[table_name("mlpoc-test-", collection.name)]
        assert table["hash_key"] == "id"
        assert "range_key" not in table
        assert table["billing_mode"] == "PAY_PER_REQUEST"
        assert table["point_in_time_recovery"] == {"enabled": True}
        assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": KEY_ARN}
        attributes = {a["name"]: a["type"] for a in table["attribute"]}
        assert attributes["id"] == "S"
        gsis = {g["name"]: g for g in table.get("global_secondary_index", [])}
        assert set(gsis) == {index.name for index in collection.indexes}
        for index in collection.indexes:
            gsi = gsis[index.name]
            assert (gsi["hash_key"], gsi["range_key"]) == (index.field, index.order_by)
            assert gsi["projection_type"] == "ALL"
            assert attributes[index.field] == "S"
            assert attributes[index.order_by] == index.order_type
        # DynamoDB rejects attribute definitions that no key uses.
        used = {"id"} | {f for i in collection.indexes for f in (i.field, i.order_by)}
        assert set(attributes) == used


@pytest.mark.parametrize("process", PROCESSES)
def test_environment_is_the_runtime_settings(tf: Synth, process: str) -> None:
    env = runtime_env(tf, process)
    runtime = {name: value for name, value in env.items() if name in SETTINGS_VARS}
    for field in Settings.required_for("aws"):
        assert env_name(field) in runtime, field
    assert runtime[env_name("backend")] == "aws"
    assert runtime[env_name("bucket")] == "${aws_s3_bucket.bucket.bucket}"
    assert runtime[env_name("queue")] == "${aws_sqs_queue.jobs_queue.name}"
    assert runtime[env_name("dead_letter_queue")] == "${aws_sqs_queue.dead_letter_queue.name}"
    assert runtime[env_name("table_prefix")] == "mlpoc-test-"
    assert runtime[env_name("max_deliveries")] == "7"
    assert runtime[env_name("region")] == "eu-central-1"
    assert tf.tf["output"]["settings"]["value"] == runtime, "status and keys --stack read this"
    # The runtime accepts exactly this environment (with the references resolved to names).
    resolved = {k: re.sub(r"\$\{[^}]*\}", "resolved-name", v) for k, v in runtime.items()}
    settings = Settings(**{k.removeprefix("MLPOC_").lower(): v for k, v in resolved.items()})
    assert settings.backend == "aws"
    # Beside the runtime's settings: which compose service to start, its memory, and (the
    # API) what its front end guarantees.
    extra = {name: value for name, value in env.items() if name not in SETTINGS_VARS}
    expected = {"COMPOSE_PROFILES": process, "MLPOC_MEMORY_LIMIT": "3584m"}
    if process == "api":
        expected |= {
            "MLPOC_ORIGIN_SECRET": "${aws_ssm_parameter.app_origin_secret.value}",
            "MLPOC_FORWARDED_ALLOW_IPS": "${data.aws_vpc.app_vpc.cidr_block}",
        }
    assert extra == expected


SETTINGS_VARS = {env_name(name) for name in Settings.model_fields}


def test_api_environment_scales_behind_a_load_balancer(tf: Synth) -> None:
    env = tf.resource("aws_elastic_beanstalk_environment", "app_api")
    assert env["name"] == "mlpoc-test-api"
    assert env["solution_stack_name"] == tf.config.section().solution_stack  # type: ignore[attr-defined]
    assert re.fullmatch(
        r"64bit Amazon Linux 2023 v4\.\d+\.\d+ running Docker", env["solution_stack_name"]
    )
    settings = eb_settings(tf)
    assert settings[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "LoadBalanced"
    assert settings[("aws:autoscaling:asg", "MinSize")] == "2"
    assert settings[("aws:autoscaling:asg", "MaxSize")] == "4"
    assert settings[("aws:autoscaling:launchconfiguration", "InstanceType")] == "t3.medium"
    assert ("aws:ec2:instances", "EnableSpot") not in settings


def test_worker_environment_is_one_instance_without_a_load_balancer(tf: Synth) -> None:
    env = tf.resource("aws_elastic_beanstalk_environment", "app_worker")
    assert env["name"] == "mlpoc-test-worker"
    assert env["version_label"] == (
        "${aws_elastic_beanstalk_application_version.app_version.name}"
    ), "the same release bundle as the API"
    settings = eb_settings(tf, "worker")
    assert settings[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "SingleInstance"
    assert not any(ns.startswith("aws:elbv2") for ns, _ in settings), "no load balancer"
    assert ("aws:autoscaling:asg", "MinSize") not in settings
    assert settings[("aws:ec2:instances", "InstanceTypes")] == "t3.medium"
    # Spot is off unless [worker].spot says so (test_spot_worker_runs_on_spot_capacity).
    assert settings[("aws:ec2:instances", "EnableSpot")] == "false"
    assert ("aws:ec2:instances", "SpotFleetOnDemandBase") not in settings


def test_spot_worker_runs_on_spot_capacity(aws_options_synth: Synth) -> None:
    settings = eb_settings(aws_options_synth, "worker")
    assert settings[("aws:ec2:instances", "EnableSpot")] == "true"
    assert settings[("aws:ec2:instances", "SpotFleetOnDemandBase")] == "0"
    assert settings[("aws:ec2:instances", "SpotFleetOnDemandAboveBasePercentage")] == "0"
    # The API never runs on spot.
    assert ("aws:ec2:instances", "EnableSpot") not in eb_settings(aws_options_synth, "api")


def test_api_rolls_out_by_traffic_splitting_on_readiness(tf: Synth) -> None:
    settings = eb_settings(tf)
    policy = ROLLOUT_POLICY
    assert settings[("aws:elasticbeanstalk:command", "DeploymentPolicy")] == "TrafficSplitting"
    split = "aws:elasticbeanstalk:trafficsplitting"
    assert settings[(split, "NewVersionPercent")] == str(policy.canary_percent)
    assert settings[(split, "EvaluationTime")] == str(policy.evaluation_minutes)
    assert settings[("aws:elasticbeanstalk:command", "HealthCheckSuccessThreshold")] == "Ok"
    assert settings[("aws:elasticbeanstalk:command", "IgnoreHealthCheck")] == "false"
    assert settings[("aws:elasticbeanstalk:command", "Timeout")] == str(
        deployment_timeout_seconds()
    )
    # New instances take traffic when ready (models loaded), not merely alive.
    assert policy.ready_path == "/readyz"
    default = "aws:elasticbeanstalk:environment:process:default"
    assert settings[(default, "HealthCheckPath")] == policy.ready_path
    assert settings[("aws:elasticbeanstalk:application", "Application Healthcheck URL")] == (
        policy.ready_path
    )


def test_worker_rolls_out_immutably(tf: Synth) -> None:
    settings = eb_settings(tf, "worker")
    assert settings[("aws:elasticbeanstalk:command", "DeploymentPolicy")] == "Immutable"
    assert settings[("aws:elasticbeanstalk:command", "HealthCheckSuccessThreshold")] == "Ok"


def test_every_option_setting_has_its_reason(tf: Synth, aws_options_synth: Synth) -> None:
    used = set()
    for synth in (tf, aws_options_synth):
        for process in PROCESSES:
            used |= {key for key in eb_settings(synth, process) if key[0] != ENV_NAMESPACE}
    assert used == set(OPTION_REASONS), "a reason for every option, every reason used"
    for key, reason in OPTION_REASONS.items():
        assert len(reason) > 5, key


@pytest.mark.parametrize("process", PROCESSES)
def test_enhanced_health_and_managed_updates_with_a_service_role(tf: Synth, process: str) -> None:
    settings = eb_settings(tf, process)
    assert settings[("aws:elasticbeanstalk:healthreporting:system", "SystemType")] == "enhanced"
    assert settings[("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled")] == "true"
    role = "aws_iam_role.app_service_role"
    assert settings[("aws:elasticbeanstalk:environment", "ServiceRole")] == f"${{{role}.arn}}"
    [trust] = tf.data("aws_iam_policy_document", "app_service_assume")["statement"]
    assert trust["principals"] == [
        {"type": "Service", "identifiers": ["elasticbeanstalk.amazonaws.com"]}
    ]
    assert trust["condition"][0]["values"] == ["elasticbeanstalk"]
    # Only the AWS-managed policies EB documents for it, and nothing inline.
    attached = {
        a["policy_arn"]
        for a in tf.resources("aws_iam_role_policy_attachment").values()
        if a["role"] == f"${{{role}.name}}"
    }
    assert attached == set(SERVICE_ROLE_POLICIES.values())
    assert all(p["role"] != f"${{{role}.id}}" for p in tf.resources("aws_iam_role_policy").values())


@pytest.mark.parametrize("process", PROCESSES)
def test_logs_stream_to_cloudwatch_with_the_configured_retention(tf: Synth, process: str) -> None:
    settings = eb_settings(tf, process)
    assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs")] == "true"
    assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate")] == "false"
    assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays")] == "30"
    # Enhanced health's history too: why a rollout stopped outlives the instances.
    health = "aws:elasticbeanstalk:cloudwatch:logs:health"
    assert settings[(health, "HealthStreamingEnabled")] == "true"
    assert settings[(health, "DeleteOnTerminate")] == "false"
    assert settings[(health, "RetentionInDays")] == "30"


def test_the_release_bundle_is_a_terraform_asset(tf: Synth) -> None:
    bundle = Bundle()
    obj = tf.resource("aws_s3_object", "app_bundle")
    assert obj["key"] == f"_deploy/elasticbeanstalk/{bundle.digest}.zip"
    assert obj["kms_key_id"] == KEY_ARN and obj["bucket"] == "${aws_s3_bucket.bucket.id}"
    assert obj["lifecycle"] == {"create_before_destroy": True}
    # The asset cdktf copied beside the stack is the bundle, byte for byte.
    assert not Path(obj["source"]).is_absolute()
    data = (tf.path.parent / obj["source"]).read_bytes()
    assert data == bundle.data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "docker-compose.yml" in archive.namelist() and "Dockerfile" in archive.namelist()
    version = tf.resource("aws_elastic_beanstalk_application_version", "app_version")
    assert version["key"] == "${aws_s3_object.app_bundle.key}"
    assert version["name"] == f"1.2.3-{bundle.digest[:12]}"
    assert version["lifecycle"] == {"create_before_destroy": True}
    for process in PROCESSES:
        env = tf.resource("aws_elastic_beanstalk_environment", f"app_{process}")
        assert env["version_label"] == (
            "${aws_elastic_beanstalk_application_version.app_version.name}"
        )


def test_dead_letter_alarm(tf: Synth) -> None:
    alarm = tf.resource("aws_cloudwatch_metric_alarm", "dlq_alarm")
    assert alarm["namespace"] == "AWS/SQS"
    assert alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["dimensions"] == {"QueueName": "${aws_sqs_queue.dead_letter_queue.name}"}
    assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alerts_topic.arn}"]
    assert tf.resource("aws_sns_topic", "alerts_topic")["kms_master_key_id"] == KEY_ARN
    subscription = tf.resource("aws_sns_topic_subscription", "alerts_email")
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "ops@example.com")


def test_monthly_budget_mails_the_team(tf: Synth) -> None:
    budget = tf.resource("aws_budgets_budget", "budget")
    assert (budget["time_unit"], budget["budget_type"]) == ("MONTHLY", "COST")
    assert (budget["limit_amount"], budget["limit_unit"]) == ("75.00", "USD")
    assert budget["notification"]
    for notification in budget["notification"]:
        assert notification["subscriber_email_addresses"] == ["ops@example.com"]


def test_outputs_name_everything_the_runtime_needs(tf: Synth) -> None:
    outputs = tf.tf["output"]
    for field in Settings.required_for("aws"):
        assert field in outputs, field
    for name in (
        "region", "max_deliveries", "queue_url", "service_url", "release", "settings",
        "environment", "worker_environment", "log_bucket", "trail",
    ):  # fmt: skip
        assert name in outputs, name
    assert outputs["max_deliveries"]["value"] == 7
    assert outputs["environment"]["value"] == "${aws_elastic_beanstalk_environment.app_api.name}"
    assert outputs["worker_environment"]["value"] == (
        "${aws_elastic_beanstalk_environment.app_worker.name}"
    )
    # Users reach the API over HTTPS only (test_aws_edge.py).
    assert (
        outputs["service_url"]["value"] == "https://${aws_cloudfront_distribution.edge.domain_name}"
    )


def test_state_path_does_not_depend_on_the_working_directory(tf: Synth) -> None:
    assert tf.tf["terraform"]["backend"] == {"local": {"path": "../../../terraform.aws.tfstate"}}
    assert tf.tf["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


def test_readme_lists_every_option_setting_with_its_reason() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"<!-- eb-options:start -->\n(.*?)\n<!-- eb-options:end -->", readme, re.S)
    assert block, "README lost its eb-options markers"
    assert block.group(1) == option_table(), (
        "README's Elastic Beanstalk options are stale: paste infra.aws.services.option_table()"
    )
