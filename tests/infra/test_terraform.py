"""Real Terraform on the synthesized AWS stack: init + validate offline from the provider
mirror, and the emulator variant's switches (`mlpoc rehearse aws`, tested in
tests/cli/test_rehearse.py, applies it to moto with the real cdktf CLI).

terraform and the hashicorp/aws provider mirror must be on the machine (the image ships
both); a missing one fails the test with what to install, it is never skipped.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from infra.aws.emulator import BEYOND_MOTO, emulator_variant, switched_off
from tests.infra.terraform import (
    MIRROR_ENV,
    PROVIDER_VERSION,
    Terraform,
    TerraformUnavailable,
    find_provider_mirror,
)

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
    # Logs and audit (issue 12): moto applies them too (the rehearsal deploys them).
    "aws_s3_bucket_logging",
    "aws_s3_bucket_ownership_controls",
    "aws_cloudtrail",
)


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
def test_emulator_variant_of_the_stack_keeps_the_data_plane(
    aws_stack: dict[str, Any], aws_synth: Synth
) -> None:
    variant = emulator_variant(aws_stack, "http://127.0.0.1:1", aws_synth.owners)
    # The services component goes whole (EB's service role and its managed policies too).
    assert set(aws_synth.owners["app"]) <= set(variant.removed)
    assert set(DATA_PLANE_TYPES) <= _types(variant.config)
    assert not any(t.startswith(BEYOND_MOTO) for t in _types(variant.config))
    assert any(t.startswith(BEYOND_MOTO) for t in _types(aws_stack)), "the stack lost EB/budget"
    # Only the TLS-only statement is dropped, nothing that grants access.
    # (one per bucket: the data bucket's and the log bucket's).
    assert [s.get("sid") for s in variant.dropped_statements] == ["DenyInsecureTransport"] * 2
    # The log bucket keeps the statements that let the deliveries write.
    deliveries = variant.config["data"]["aws_iam_policy_document"]["logs_deliveries"]
    assert {s["sid"] for s in deliveries["statement"]} >= {
        "S3ServerAccessLogs",
        "CloudTrailWritesTrail",
    }
    assert "aws_s3_bucket_policy.logs_policy" not in variant.removed
    assert "aws_sqs_queue.jobs_queue.redrive_policy" in variant.ignored_changes
    text = json.dumps(variant.config)
    assert "elastic_beanstalk" not in text and "budgets_budget" not in text
    # cdktf's own output map names no dropped output (its deploy would look for them).
    assert "service_url" in variant.removed_outputs
    assert "service_url" not in json.dumps(variant.config["//"])
    said = "\n".join(switched_off(variant))
    assert "aws_elastic_beanstalk_environment" in said and "aws_budgets_budget" in said


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


@pytest.mark.slow
def test_init_and_validate_the_optional_features(aws_options_synth: Synth, tmp_path: Path) -> None:
    """A custom domain (ACM in us-east-1 through a second provider) and a Spot worker."""
    stack = copy.deepcopy(aws_options_synth.tf)
    assert "aws_acm_certificate" in _types(stack)
    tf = _terraform(tmp_path / "validate")
    tf.write_config(stack, "cdk.tf.json")
    tf.init(backend=False)
    tf.validate()
