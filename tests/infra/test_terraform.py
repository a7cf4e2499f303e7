"""Real Terraform on the synthesized AWS stack: init + validate offline, and a full
apply / use / plan / destroy cycle against a moto server.

terraform and the hashicorp/aws provider mirror must be on the machine (the image ships
both); a missing one fails the test with what to install, it is never skipped.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.infra.emulator import BEYOND_MOTO, emulator_variant
from tests.infra.terraform import (
    MIRROR_ENV,
    PROVIDER_VERSION,
    Terraform,
    TerraformUnavailable,
    find_provider_mirror,
)
from tests.servers.moto import DUMMY_AWS_ENV, start_moto

if TYPE_CHECKING:
    from tests.infra.conftest import Synth

# The data plane the runtime needs: all of it must survive the emulator switches.
DATA_PLANE_TYPES = (
    "aws_kms_key",
    "aws_s3_bucket",
    "aws_sqs_queue",
    "aws_dynamodb_table",
    "aws_iam_role",
    "aws_iam_role_policy",
)
CYCLE_TIMEOUT_SECONDS = 480


def _terraform(workdir: Path, env: dict[str, str] | None = None) -> Terraform:
    try:
        return Terraform.create(workdir, env)
    except TerraformUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def aws_stack(aws_synth: Synth) -> dict[str, Any]:
    """The synthesized AWS stack (tests/infra/conftest.py synthesizes it once a session)."""
    return copy.deepcopy(aws_synth.tf)


def _types(config: dict[str, Any]) -> set[str]:
    return set(config.get("resource", {}))


# ---------------------------------------------------------------- pure logic, fast


def test_missing_mirror_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path))
    with pytest.raises(TerraformUnavailable, match=f"set {MIRROR_ENV}"):
        find_provider_mirror()


def test_beyond_moto_takes_what_only_it_uses_and_nothing_shared() -> None:
    stack = {
        "provider": {"aws": [{"region": "us-east-1", "profile": "prod"}]},
        "resource": {
            "aws_s3_bucket": {"b": {"bucket": "x"}},
            "aws_iam_role": {"r": {"name": "r"}},
            "aws_iam_instance_profile": {"p": {"role": "${aws_iam_role.r.name}"}},
            "aws_iam_role_policy": {"rp": {"role": "${aws_iam_role.r.id}"}},
            "aws_elastic_beanstalk_environment": {
                "e": {"setting": [{"value": "${aws_iam_instance_profile.p.name}"}]}
            },
            "aws_cloudwatch_metric_alarm": {"a": {"alarm_actions": ["${aws_sns_topic.t.arn}"]}},
            "aws_sns_topic": {"t": {"name": "t"}},
            "aws_budgets_budget": {"bb": {"notification": [{"arn": "${aws_sns_topic.t.arn}"}]}},
        },
        "output": {
            "url": {"value": "${aws_elastic_beanstalk_environment.e.cname}"},
            "bucket": {"value": "${aws_s3_bucket.b.bucket}"},
        },
    }
    original = copy.deepcopy(stack)
    variant = emulator_variant(stack, "http://127.0.0.1:1")
    assert stack == original, "the input stack must not be changed"
    assert variant.removed == [
        "aws_budgets_budget.bb",
        "aws_elastic_beanstalk_environment.e",
        "aws_iam_instance_profile.p",
    ]
    assert variant.removed_outputs == ["url"]
    assert _types(variant.config) == {
        "aws_s3_bucket",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_cloudwatch_metric_alarm",
        "aws_sns_topic",
    }
    provider = variant.config["provider"]["aws"][0]
    assert "profile" not in provider
    assert provider["max_retries"] == 2
    assert set(provider["endpoints"][0].values()) == {"http://127.0.0.1:1"}


def test_unknown_service_is_refused() -> None:
    stack = {
        "provider": {"aws": [{"region": "us-east-1"}]},
        "resource": {"aws_lambda_function": {"f": {"function_name": "f"}}},
    }
    with pytest.raises(ValueError, match="aws_lambda_function: no moto endpoint"):
        emulator_variant(stack, "http://127.0.0.1:1")


# ---------------------------------------------------------------- on the real stack


@pytest.mark.slow
def test_emulator_variant_of_the_stack_keeps_the_data_plane(aws_stack: dict[str, Any]) -> None:
    variant = emulator_variant(aws_stack, "http://127.0.0.1:1")
    assert set(DATA_PLANE_TYPES) <= _types(variant.config)
    assert not any(t.startswith(BEYOND_MOTO) for t in _types(variant.config))
    assert any(t.startswith(BEYOND_MOTO) for t in _types(aws_stack)), "the stack lost EB/budget"
    # Only the TLS-only statement is dropped, nothing that grants access.
    assert [s.get("sid") for s in variant.dropped_statements] == ["DenyInsecureTransport"]
    assert "aws_sqs_queue.jobs_queue.redrive_policy" in variant.ignored_changes
    text = json.dumps(variant.config)
    assert "elastic_beanstalk" not in text and "budgets_budget" not in text


@pytest.mark.slow
def test_init_and_validate_full_stack(aws_stack: dict[str, Any], tmp_path: Path) -> None:
    """The whole AWS stack, Elastic Beanstalk and Budgets included, as deployed."""
    stack = aws_stack
    assert any(t.startswith(BEYOND_MOTO) for t in _types(stack))
    tf = _terraform(tmp_path / "validate")
    tf.write_config(stack, "cdk.tf.json")
    started = time.monotonic()
    tf.init(backend=False)
    tf.validate()
    elapsed = time.monotonic() - started
    lock = (tf.workdir / ".terraform.lock.hcl").read_text()
    assert f'version     = "{PROVIDER_VERSION}"' in lock, lock
    print(f"\nterraform init+validate (full AWS stack): {elapsed:.1f} s")


@pytest.fixture
def moto_endpoint(tmp_path: Path) -> Iterator[str]:
    """A moto server of this test's own, so the apply cannot disturb the contract suite."""
    server = start_moto(tmp_path / "moto-logs")
    try:
        yield f"http://{server.host}"
    finally:
        server.stop()


def _empty_bucket(endpoint: str, bucket: str, region: str) -> None:
    """Delete every version in the bucket, as an operator must before `destroy` (the stack
    rightly has no force_destroy)."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
    listing = s3.list_object_versions(Bucket=bucket)
    doomed = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    ]
    if doomed:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})


@pytest.mark.slow
@pytest.mark.aws
@pytest.mark.timeout(CYCLE_TIMEOUT_SECONDS)
def test_apply_use_plan_destroy_on_moto(
    aws_stack: dict[str, Any],
    moto_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Apply the AWS data plane (KMS, S3, SQS + DLQ, DynamoDB, ECR, IAM) to moto, run the
    runtime's adapters configured only from `terraform output`, then check that a second
    plan is clean and that destroy removes everything.

    Elastic Beanstalk and AWS Budgets are beyond moto (it cannot apply either), so they and
    what only they use are kept out of this apply by tests/infra/emulator.py; the test
    above validates them with the rest of the stack.
    """
    from adapters import Settings, build_adapters
    from runtime.schema import COLLECTIONS

    variant = emulator_variant(aws_stack, moto_endpoint)
    tf = _terraform(tmp_path / "apply")
    tf.write_config(variant.config, "cdk.tf.json")
    timings: dict[str, float] = {}
    started = time.monotonic()
    timings["init"] = tf.init().seconds
    timings["apply"] = tf.apply(timeout=300).seconds

    outputs = tf.output()
    fields = {name: outputs[name] for name in Settings.model_fields if name in outputs}
    settings = Settings(backend="aws", **fields)
    assert settings.bucket and settings.queue and settings.dead_letter_queue
    for name, value in {**DUMMY_AWS_ENV, "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(name, value)
    adapters = build_adapters(COLLECTIONS, settings)

    info = adapters.blobs.put("models/m/1/model.skops", b"weights", create_only=True)
    assert adapters.blobs.get(info.key) == b"weights"
    adapters.queue.send('{"job_id": "j1"}', {"kind": "train"})
    received = adapters.queue.receive(1, lease_seconds=30, wait_seconds=2)
    assert [m.body for m in received] == ['{"job_id": "j1"}']
    adapters.queue.ack(received[0])
    adapters.documents.put("jobs", "j1", {"state": "queued", "created_at": "2025-01-01"})
    page = adapters.documents.query("jobs", "state", "queued")
    assert [d.id for d in page.items] == ["j1"]

    plan_started = time.monotonic()
    changes = tf.plan_changes(timeout=240)
    timings["plan"] = time.monotonic() - plan_started
    assert changes is None, f"second plan is not clean:\n{changes}"

    _empty_bucket(moto_endpoint, settings.bucket, settings.region or "us-east-1")
    timings["destroy"] = tf.destroy(timeout=240).seconds
    assert tf.state_addresses() == []
    print(
        "\nterraform cycle on moto: "
        + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
        + f", total {time.monotonic() - started:.1f} s"
    )
