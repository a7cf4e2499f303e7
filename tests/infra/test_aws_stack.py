"""The synthesized AWS stack: encryption, no public access, least privilege, and a runtime
environment that is exactly the runtime's settings."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from adapters.naming import table_name
from adapters.settings import Settings, env_name
from infra.aws.identity import (
    DYNAMODB_ACTIONS,
    HEALTH_ACTIONS,
    KMS_ACTIONS,
    LOG_ACTIONS,
    S3_BUCKET_ACTIONS,
    S3_OBJECT_ACTIONS,
    SQS_ACTIONS,
)
from infra.aws.services import OPTION_REASONS, SERVICE_ROLE_POLICIES, option_table
from infra.bundle import Bundle
from runtime.schema import COLLECTIONS
from tests.infra.conftest import Synth

KEY_ARN = "${aws_kms_key.key.arn}"
BUCKET_ARN = "${aws_s3_bucket.bucket.arn}"


@pytest.fixture(scope="module")
def tf(aws_synth: Synth) -> Synth:
    return aws_synth


def _eb_settings(tf: Synth) -> dict[tuple[str, str], str]:
    env = tf.resource("aws_elastic_beanstalk_environment", "app_environment")
    return {(s["namespace"], s["name"]): s["value"] for s in env["setting"]}


def _runtime_env(tf: Synth) -> dict[str, str]:
    namespace = "aws:elasticbeanstalk:application:environment"
    return {name: value for (ns, name), value in _eb_settings(tf).items() if ns == namespace}


def test_kms_key_rotates(tf: Synth) -> None:
    key = tf.resource("aws_kms_key", "key")
    assert key["enable_key_rotation"] is True
    assert tf.resource("aws_kms_alias", "key_alias")["name"] == "alias/mlpoc-test"
    policy = json.loads(key["policy"])
    principals = {s["Sid"]: s["Principal"] for s in policy["Statement"]}
    assert principals == {
        "AccountAdministers": {
            "AWS": "arn:aws:iam::${data.aws_caller_identity.account.account_id}:root"
        },
        "CloudWatchPublishesAlarms": {"Service": "cloudwatch.amazonaws.com"},
    }
    [cloudwatch] = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchPublishesAlarms"]
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


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


def _references(value: str) -> list[str]:
    """Terraform addresses referenced in a string: `${aws_x.name.arn}` -> `aws_x.name`."""
    return [".".join(ref.split(".")[:2]) for ref in re.findall(r"\$\{([^}]*)\}", value)]


def test_instance_policy_is_least_privilege(tf: Synth) -> None:
    role_policy = tf.resource("aws_iam_role_policy", "runtime_identity_policy")
    assert role_policy["policy"] == (
        "${data.aws_iam_policy_document.runtime_identity_permissions.json}"
    )
    statements = tf.data("aws_iam_policy_document", "runtime_identity_permissions")["statement"]
    allowed: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["effect"] == "Allow"
        for action in statement["actions"]:
            assert "*" not in action, action
            allowed.setdefault(action, set()).update(statement["resources"])
    expected_actions = (
        S3_OBJECT_ACTIONS
        + S3_BUCKET_ACTIONS
        + SQS_ACTIONS
        + DYNAMODB_ACTIONS
        + KMS_ACTIONS
        + LOG_ACTIONS
        + HEALTH_ACTIONS
    )
    assert set(allowed) == set(expected_actions)
    tables = {f"aws_dynamodb_table.{name}" for name in tf.resources("aws_dynamodb_table")}
    own = {
        "s3": {"aws_s3_bucket.bucket"},
        "sqs": {"aws_sqs_queue.jobs_queue", "aws_sqs_queue.dead_letter_queue"},
        "dynamodb": tables,
        "kms": {"aws_kms_key.key"},
        "logs": {"data.aws_caller_identity"},
        "elasticbeanstalk": {"data.aws_caller_identity"},
    }
    for action, resources in allowed.items():
        service = action.split(":")[0]
        referenced = {ref for resource in resources for ref in _references(resource)}
        assert referenced <= own[service], (action, referenced)
        assert "*" not in resources
    # Object actions on objects only, listing on the bucket only.
    assert allowed["s3:GetObject"] == {f"{BUCKET_ARN}/*"}
    assert allowed["s3:ListBucket"] == {BUCKET_ARN}
    assert allowed["sqs:ReceiveMessage"] == {
        "${aws_sqs_queue.jobs_queue.arn}",
        "${aws_sqs_queue.dead_letter_queue.arn}",
    }
    referenced_tables = {ref for r in allowed["dynamodb:Query"] for ref in _references(r)}
    assert referenced_tables == tables
    # The platform's agents: this environment's log groups and health only.
    account = "${data.aws_caller_identity.account.account_id}"
    groups = f"arn:aws:logs:eu-central-1:{account}:log-group:/aws/elasticbeanstalk/mlpoc-test-env/*"
    assert allowed["logs:PutLogEvents"] == {groups, f"{groups}:log-stream:*"}
    eb = f"arn:aws:elasticbeanstalk:eu-central-1:{account}"
    assert allowed["elasticbeanstalk:PutInstanceStatistics"] == {
        f"{eb}:application/mlpoc-test",
        f"{eb}:environment/mlpoc-test/mlpoc-test-env",
    }


def test_instance_role_is_for_ec2_only(tf: Synth) -> None:
    [statement] = tf.data("aws_iam_policy_document", "runtime_identity_assume")["statement"]
    assert statement["actions"] == ["sts:AssumeRole"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]
    profile = tf.resource("aws_iam_instance_profile", "runtime_identity")
    assert profile["role"] == "${aws_iam_role.runtime_identity_role.name}"
    assert _eb_settings(tf)[("aws:autoscaling:launchconfiguration", "IamInstanceProfile")] == (
        "${aws_iam_instance_profile.runtime_identity.name}"
    )


def test_environment_is_the_runtime_settings(tf: Synth) -> None:
    env = _runtime_env(tf)
    settings_vars = {env_name(name) for name in Settings.model_fields}
    assert set(env) <= settings_vars
    for field in Settings.required_for("aws"):
        assert env_name(field) in env, field
    assert env[env_name("backend")] == "aws"
    assert env[env_name("bucket")] == "${aws_s3_bucket.bucket.bucket}"
    assert env[env_name("queue")] == "${aws_sqs_queue.jobs_queue.name}"
    assert env[env_name("dead_letter_queue")] == "${aws_sqs_queue.dead_letter_queue.name}"
    assert env[env_name("table_prefix")] == "mlpoc-test-"
    assert env[env_name("max_deliveries")] == "7"
    assert env[env_name("region")] == "eu-central-1"
    assert tf.tf["output"]["settings"]["value"] == env, "status and keys --stack read this"
    # The runtime accepts exactly this environment (with the references resolved to names).
    resolved = {k: re.sub(r"\$\{[^}]*\}", "resolved-name", v) for k, v in env.items()}
    settings = Settings(**{k.removeprefix("MLPOC_").lower(): v for k, v in resolved.items()})
    assert settings.backend == "aws"


def test_environment_platform_health_and_scaling(tf: Synth) -> None:
    env = tf.resource("aws_elastic_beanstalk_environment", "app_environment")
    assert env["solution_stack_name"] == tf.config.section().solution_stack  # type: ignore[attr-defined]
    assert re.fullmatch(
        r"64bit Amazon Linux 2023 v4\.\d+\.\d+ running Docker", env["solution_stack_name"]
    )
    settings = _eb_settings(tf)
    assert settings[("aws:autoscaling:asg", "MinSize")] == "2"
    assert settings[("aws:autoscaling:asg", "MaxSize")] == "4"
    assert settings[("aws:autoscaling:launchconfiguration", "InstanceType")] == "t3.medium"
    assert settings[("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath")] == (
        "/healthz"
    )
    assert settings[("aws:elasticbeanstalk:application", "Application Healthcheck URL")] == (
        "/healthz"
    )


def test_every_option_setting_has_its_reason(tf: Synth) -> None:
    settings = _eb_settings(tf)
    namespace = "aws:elasticbeanstalk:application:environment"
    assert {key for key in settings if key[0] != namespace} == set(OPTION_REASONS)
    for key, reason in OPTION_REASONS.items():
        assert reason, key


def test_enhanced_health_and_managed_updates_with_a_service_role(tf: Synth) -> None:
    settings = _eb_settings(tf)
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


def test_logs_stream_to_cloudwatch_with_the_configured_retention(tf: Synth) -> None:
    settings = _eb_settings(tf)
    assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs")] == "true"
    assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate")] == "false"
    assert settings[("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays")] == "30"


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
    env = tf.resource("aws_elastic_beanstalk_environment", "app_environment")
    assert env["version_label"] == "${aws_elastic_beanstalk_application_version.app_version.name}"


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
    for name in ("region", "max_deliveries", "queue_url", "service_url", "release", "settings"):
        assert name in outputs, name
    assert outputs["max_deliveries"]["value"] == 7
    assert (
        outputs["service_url"]["value"]
        == "http://${aws_elastic_beanstalk_environment.app_environment.cname}"
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
