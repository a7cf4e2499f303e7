"""The AWS identities, one per process: every action each may take, on which resources, named
here in full. Any widening (an action, a resource, a wildcard) fails a test; so does granting
either one a write on the api_keys table or under the bucket's _deploy/ prefix."""

from __future__ import annotations

import pytest

from infra.logical import PROCESSES
from runtime.schema import COLLECTIONS
from tests.infra.conftest import Synth

BUCKET = "${aws_s3_bucket.bucket.arn}"
JOBS = "${aws_sqs_queue.jobs_queue.arn}"
DEAD = "${aws_sqs_queue.dead_letter_queue.arn}"
KEY = "${aws_kms_key.key.arn}"
ACCOUNT = "${data.aws_caller_identity.account.account_id}"
BUNDLE = f"{BUCKET}/_deploy/elasticbeanstalk/*"
INDEXED = {c.name for c in COLLECTIONS if c.indexes}


def table(name: str) -> str:
    return f"${{aws_dynamodb_table.documents_{name}.arn}}"


def tables(*names: str, indexes: bool = False) -> set[str]:
    found = {table(name) for name in names}
    if indexes:
        found |= {f"{table(name)}/index/*" for name in names if name in INDEXED}
    return found


def platform(process: str) -> dict[str, set[str]]:
    """What Elastic Beanstalk's agents on the process's instances may do: its environment's
    log groups, its health, and reading (never writing) the release bundle."""
    groups = (
        f"arn:aws:logs:eu-central-1:{ACCOUNT}:log-group:/aws/elasticbeanstalk/"
        f"mlpoc-test-{process}/*"
    )
    eb = f"arn:aws:elasticbeanstalk:eu-central-1:{ACCOUNT}"
    logs = {groups, f"{groups}:log-stream:*"}
    return {
        "logs:CreateLogGroup": logs,
        "logs:CreateLogStream": logs,
        "logs:PutLogEvents": logs,
        "logs:DescribeLogStreams": logs,
        "elasticbeanstalk:PutInstanceStatistics": {
            f"{eb}:application/mlpoc-test",
            f"{eb}:environment/mlpoc-test/mlpoc-test-{process}",
        },
    }


API_WRITES = (
    "datasets",
    "records",
    "annotations",
    "jobs",
    "aliases",
    "alias_history",
    "predictions",
)
API_READS = (*API_WRITES, "model_versions", "api_keys")
WORKER_WRITES = ("jobs", "model_versions", "aliases", "alias_history", "predictions")
WORKER_READS = ("jobs", "model_versions", "aliases", "alias_history")

EXPECTED: dict[str, dict[str, set[str]]] = {
    "api": {
        "s3:GetObject": {f"{BUCKET}/datasets/*", f"{BUCKET}/artifacts/*", BUNDLE},
        "s3:PutObject": {f"{BUCKET}/datasets/*"},
        "s3:DeleteObject": {f"{BUCKET}/datasets/*"},
        "s3:ListBucket": {BUCKET},
        "sqs:GetQueueUrl": {JOBS, DEAD},
        "sqs:GetQueueAttributes": {JOBS, DEAD},
        "sqs:SendMessage": {JOBS},
        "dynamodb:GetItem": tables(*API_READS),
        "dynamodb:BatchGetItem": tables(*API_READS),
        "dynamodb:Query": tables(*API_READS, indexes=True),
        "dynamodb:Scan": tables(*API_READS),
        "dynamodb:PutItem": tables(*API_WRITES),
        "dynamodb:DeleteItem": tables(*API_WRITES),
        "dynamodb:BatchWriteItem": tables(*API_WRITES),
        "kms:Decrypt": {KEY},
        "kms:GenerateDataKey": {KEY},
        **platform("api"),
    },
    "worker": {
        "s3:GetObject": {f"{BUCKET}/datasets/*", f"{BUCKET}/artifacts/*", BUNDLE},
        "s3:PutObject": {f"{BUCKET}/artifacts/*"},
        "s3:DeleteObject": {f"{BUCKET}/artifacts/*"},
        "s3:ListBucket": {BUCKET},
        "sqs:GetQueueUrl": {JOBS, DEAD},
        "sqs:GetQueueAttributes": {JOBS, DEAD},
        "sqs:SendMessage": {JOBS},
        "sqs:ReceiveMessage": {JOBS, DEAD},
        "sqs:ChangeMessageVisibility": {JOBS, DEAD},
        "sqs:DeleteMessage": {JOBS, DEAD},
        "dynamodb:GetItem": tables(*WORKER_READS),
        "dynamodb:BatchGetItem": tables(*WORKER_READS),
        "dynamodb:Query": tables(*WORKER_READS, indexes=True),
        "dynamodb:Scan": tables(*WORKER_READS),
        "dynamodb:PutItem": tables(*WORKER_WRITES),
        "dynamodb:DeleteItem": tables(*WORKER_WRITES),
        "dynamodb:BatchWriteItem": tables(*WORKER_WRITES),
        "kms:Decrypt": {KEY},
        "kms:GenerateDataKey": {KEY},
        **platform("worker"),
    },
}  # fmt: skip


def allowed(tf: Synth, process: str) -> dict[str, set[str]]:
    """action -> resources the process's role may act on (every statement an Allow)."""
    policy = tf.resource("aws_iam_role_policy", f"runtime_identity_{process}_policy")
    document = f"runtime_identity_{process}_permissions"
    assert policy["policy"] == f"${{data.aws_iam_policy_document.{document}.json}}"
    assert policy["role"] == f"${{aws_iam_role.runtime_identity_{process}_role.id}}"
    found: dict[str, set[str]] = {}
    for statement in tf.data("aws_iam_policy_document", document)["statement"]:
        assert statement["effect"] == "Allow"
        assert "condition" not in statement and "not_actions" not in statement
        for action in statement["actions"]:
            found.setdefault(action, set()).update(statement["resources"])
    return found


@pytest.mark.parametrize("process", [p.name for p in PROCESSES])
def test_each_identity_may_do_exactly_this(aws_synth: Synth, process: str) -> None:
    grants = allowed(aws_synth, process)
    assert grants == EXPECTED[process]
    for action, resources in grants.items():
        assert "*" not in action and "*" not in resources, action


@pytest.mark.parametrize("process", [p.name for p in PROCESSES])
def test_no_identity_writes_api_keys_or_the_release_bundle(aws_synth: Synth, process: str) -> None:
    writes = {"s3:PutObject", "s3:DeleteObject"}
    writes |= {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    grants = allowed(aws_synth, process)
    for action in writes & set(grants):
        for resource in grants[action]:
            assert "api_keys" not in resource, (action, resource)
            assert "_deploy" not in resource, (action, resource)
    # The only roles with any inline policy are these two (and EB's service role has none).
    roles = {p["role"] for p in aws_synth.resources("aws_iam_role_policy").values()}
    assert roles == {f"${{aws_iam_role.runtime_identity_{p.name}_role.id}}" for p in PROCESSES}


@pytest.mark.parametrize("process", [p.name for p in PROCESSES])
def test_each_environment_runs_as_its_own_instance_profile(aws_synth: Synth, process: str) -> None:
    [trust] = aws_synth.data("aws_iam_policy_document", "runtime_identity_assume")["statement"]
    assert trust["actions"] == ["sts:AssumeRole"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]
    profile = aws_synth.resource("aws_iam_instance_profile", f"runtime_identity_{process}")
    assert profile["name"] == f"mlpoc-test-{process}"
    assert profile["role"] == f"${{aws_iam_role.runtime_identity_{process}_role.name}}"
    env = aws_synth.resource("aws_elastic_beanstalk_environment", f"app_{process}")
    settings = {(s["namespace"], s["name"]): s["value"] for s in env["setting"]}
    assert settings[("aws:autoscaling:launchconfiguration", "IamInstanceProfile")] == (
        f"${{aws_iam_instance_profile.runtime_identity_{process}.name}}"
    )
