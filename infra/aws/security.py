"""KMS key (every store is encrypted with it) and the policy-document helper."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from infra.aws.config import trail_arn
from infra.build import BuildContext, builder
from infra.logical import Kind


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    effect: str = "Allow",
    principals: tuple[str, Sequence[str]] | None = None,
    condition: tuple[str, str, Sequence[str]] | None = None,
    conditions: Sequence[tuple[str, str, Sequence[str]]] = (),
    more_principals: Sequence[tuple[str, Sequence[str]]] = (),
) -> DataAwsIamPolicyDocumentStatement:
    """One statement; `condition`/`principals` for the usual single one, `conditions` and
    `more_principals` for more (all conditions must hold; any principal matches)."""
    tests = ([condition] if condition else []) + list(conditions)
    who = ([principals] if principals else []) + list(more_principals)
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect=effect,
        actions=list(actions),
        resources=list(resources) or None,
        principals=[
            DataAwsIamPolicyDocumentStatementPrincipals(type=kind, identifiers=list(ids))
            for kind, ids in who
        ]
        or None,
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(
                test=test, variable=variable, values=list(values)
            )
            for test, variable, values in tests
        ]
        or None,
    )


# The one statement the moto emulator run must drop (moto denies every request under it).
TLS_ONLY_SID = "DenyInsecureTransport"


def tls_only(bucket_arn: str) -> DataAwsIamPolicyDocumentStatement:
    """Deny every request to the bucket that does not come over TLS."""
    return statement(
        TLS_ONLY_SID,
        ["s3:*"],
        [bucket_arn, f"{bucket_arn}/*"],
        effect="Deny",
        principals=("*", ["*"]),
        condition=("Bool", "aws:SecureTransport", ["false"]),
    )


def policy_document(
    scope: Construct, name: str, statements: Sequence[DataAwsIamPolicyDocumentStatement]
) -> DataAwsIamPolicyDocument:
    return DataAwsIamPolicyDocument(scope, name, statement=list(statements))


def key_policy(account_id: str, trail: str) -> dict[str, object]:
    """The account administers the key through IAM (AWS's default key policy); CloudWatch may
    use it to publish this account's alarms to the encrypted topic; CloudTrail may encrypt the
    log files of this stack's trail (`trail`: its ARN) and no other. Written as JSON, not as
    an IAM policy document: in a key policy, Resource "*" means this key, not every resource."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchPublishesAlarms",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                # Only on behalf of this account's alarms (the confused-deputy guard).
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "CloudTrailEncryptsThisTrail",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:aws:cloudtrail:*:{account_id}:trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail}},
            },
        ],
    }


@builder(Kind.KEY, reads=(Kind.ACCOUNT,))
def build_key(ctx: BuildContext) -> KmsKey:
    account = ctx.read(Kind.ACCOUNT, DataAwsCallerIdentity)
    key = KmsKey(
        ctx.stack,
        ctx.id,
        description=f"{ctx.config.name}: encrypts the bucket, queues, tables, topic and trail",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=json.dumps(
            key_policy(account.account_id, trail_arn(ctx.config, account.account_id)),
            separators=(",", ":"),
        ),
        tags={"mlpoc:component": ctx.id},
    )
    KmsAlias(
        ctx.stack,
        f"{ctx.id}_alias",
        name=f"alias/{ctx.config.name}",
        target_key_id=key.key_id,
    )
    ctx.output("kms_key_arn", key.arn, "KMS key encrypting every store")
    return key
