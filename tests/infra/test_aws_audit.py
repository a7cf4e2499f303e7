"""Logs and audit on AWS: the log bucket (who may write into it, how long it keeps things),
the data bucket's access logs, the load balancer's access logs and a CloudTrail trail of the
bucket's and tables' data events."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synth

LOGS = "${aws_s3_bucket.logs.arn}"
ACCOUNT = "${data.aws_caller_identity.account.account_id}"
TRAIL = f"arn:aws:cloudtrail:eu-central-1:{ACCOUNT}:trail/mlpoc-test-data-events"


def _statements(tf: Synth) -> dict[str, dict[str, Any]]:
    policy = tf.resource("aws_s3_bucket_policy", "logs_policy")
    assert policy["policy"] == "${data.aws_iam_policy_document.logs_deliveries.json}"
    return {s["sid"]: s for s in tf.data("aws_iam_policy_document", "logs_deliveries")["statement"]}


def test_log_bucket_is_private_versioned_and_expires_with_the_retention(aws_synth: Synth) -> None:
    tf = aws_synth
    bucket = tf.resource("aws_s3_bucket", "logs")
    assert bucket["bucket"] == "mlpoc-test-data-logs"
    # Deliveries arrive during a destroy: the stack's logs go with it (the data never does).
    assert bucket["force_destroy"] is True
    assert "force_destroy" not in tf.resource("aws_s3_bucket", "bucket")
    ownership = tf.resource("aws_s3_bucket_ownership_controls", "logs_ownership")
    assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}, "no ACLs"
    block = tf.resource("aws_s3_bucket_public_access_block", "logs_public_access_block")
    assert all(block[flag] is True for flag in (
        "block_public_acls", "block_public_policy", "ignore_public_acls",
        "restrict_public_buckets",
    ))  # fmt: skip
    versioning = tf.resource("aws_s3_bucket_versioning", "logs_versioning")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    # SSE-S3: the only encryption AWS delivers load balancer and S3 access logs into.
    sse = tf.resource("aws_s3_bucket_server_side_encryption_configuration", "logs_encryption")
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    [rule] = tf.resource("aws_s3_bucket_lifecycle_configuration", "logs_lifecycle")["rule"]
    assert rule["expiration"] == [{"days": 30}]  # [aws].log_retention_days, default 30
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 1}]


def test_only_the_three_deliveries_may_write_into_the_log_bucket(aws_synth: Synth) -> None:
    statements = _statements(aws_synth)
    assert set(statements) == {
        "DenyInsecureTransport", "S3ServerAccessLogs", "LoadBalancerAccessLogs",
        "CloudTrailChecksAcl", "CloudTrailWritesTrail",
    }  # fmt: skip
    deny = statements["DenyInsecureTransport"]
    assert (deny["effect"], deny["actions"]) == ("Deny", ["s3:*"])
    s3 = statements["S3ServerAccessLogs"]
    assert s3["principals"] == [{"type": "Service", "identifiers": ["logging.s3.amazonaws.com"]}]
    assert (s3["actions"], s3["resources"]) == (["s3:PutObject"], [f"{LOGS}/s3/*"])
    assert s3["condition"] == [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT]}
    ]
    alb = statements["LoadBalancerAccessLogs"]
    assert alb["resources"] == [f"{LOGS}/alb/AWSLogs/{ACCOUNT}/*"]
    elb_account = "${data.aws_elb_service_account.logs_load_balancer_account.arn}"
    assert alb["principals"] == [
        {"type": "AWS", "identifiers": [elb_account]},
        {"type": "Service", "identifiers": ["logdelivery.elasticloadbalancing.amazonaws.com"]},
    ]
    trail = statements["CloudTrailWritesTrail"]
    assert trail["resources"] == [f"{LOGS}/cloudtrail/AWSLogs/{ACCOUNT}/*"]
    assert {"test": "StringEquals", "variable": "aws:SourceArn", "values": [TRAIL]} in trail[
        "condition"
    ]
    acl = statements["CloudTrailChecksAcl"]
    assert (acl["actions"], acl["resources"]) == (["s3:GetBucketAcl"], [LOGS])
    for sid in ("S3ServerAccessLogs", "LoadBalancerAccessLogs", "CloudTrailWritesTrail"):
        assert statements[sid]["actions"] == ["s3:PutObject"], "write, never read or delete"


def test_every_request_to_the_data_bucket_is_logged(aws_synth: Synth) -> None:
    logging = aws_synth.resource("aws_s3_bucket_logging", "bucket_access_logs")
    assert logging["bucket"] == "${aws_s3_bucket.bucket.id}"
    assert logging["target_bucket"] == "${aws_s3_bucket.logs.id}"
    assert logging["target_prefix"] == "s3/"
    assert "aws_s3_bucket_policy.logs_policy" in logging["depends_on"]


def test_load_balancer_access_logs_go_to_the_log_bucket(aws_synth: Synth) -> None:
    env = aws_synth.resource("aws_elastic_beanstalk_environment", "app_api")
    settings = {(s["namespace"], s["name"]): s["value"] for s in env["setting"]}
    assert settings[("aws:elbv2:loadbalancer", "AccessLogsS3Enabled")] == "true"
    assert settings[("aws:elbv2:loadbalancer", "AccessLogsS3Bucket")] == "${aws_s3_bucket.logs.id}"
    assert settings[("aws:elbv2:loadbalancer", "AccessLogsS3Prefix")] == "alb"


def test_a_trail_records_the_data_events_of_the_bucket_and_tables(aws_synth: Synth) -> None:
    trail = aws_synth.resource("aws_cloudtrail", "audit")
    assert trail["name"] == "mlpoc-test-data-events"
    assert (trail["s3_bucket_name"], trail["s3_key_prefix"]) == (
        "${aws_s3_bucket.logs.id}",
        "cloudtrail",
    )
    assert trail["kms_key_id"] == "${aws_kms_key.key.arn}"
    assert trail["enable_log_file_validation"] is True
    assert trail["enable_logging"] is True
    [selector] = trail["event_selector"]
    assert selector["read_write_type"] == "All"
    assert selector["include_management_events"] is False, "the account's own trail has those"
    resources = {r["type"]: r["values"] for r in selector["data_resource"]}
    assert resources["AWS::S3::Object"] == ["${aws_s3_bucket.bucket.arn}/"]
    assert set(resources["AWS::DynamoDB::Table"]) == {
        f"${{aws_dynamodb_table.{name}.arn}}" for name in aws_synth.resources("aws_dynamodb_table")
    }
    assert "aws_s3_bucket_policy.logs_policy" in trail["depends_on"]
