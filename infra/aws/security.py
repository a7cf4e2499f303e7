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
) -> DataAwsIamPolicyDocumentStatement:
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect=effect,
        actions=list(actions),
        resources=list(resources) or None,
        principals=(
            [
                DataAwsIamPolicyDocumentStatementPrincipals(
                    type=principals[0], identifiers=list(principals[1])
                )
            ]
            if principals
            else None
        ),
        condition=(
            [
                DataAwsIamPolicyDocumentStatementCondition(
                    test=condition[0], variable=condition[1], values=list(condition[2])
                )
            ]
            if condition
            else None
        ),
    )


def policy_document(
    scope: Construct, name: str, statements: Sequence[DataAwsIamPolicyDocumentStatement]
) -> DataAwsIamPolicyDocument:
    return DataAwsIamPolicyDocument(scope, name, statement=list(statements))


def key_policy(account_id: str) -> dict[str, object]:
    """The account administers the key through IAM (AWS's default key policy); CloudWatch may
    use it to publish alarms to the encrypted topic. Written as JSON, not as an IAM policy
    document: in a key policy, Resource "*" means this key, not every resource."""
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
            },
        ],
    }


@builder(Kind.KEY, reads=(Kind.ACCOUNT,))
def build_key(ctx: BuildContext) -> KmsKey:
    account = ctx.read(Kind.ACCOUNT, DataAwsCallerIdentity)
    key = KmsKey(
        ctx.stack,
        ctx.id,
        description=f"{ctx.config.name}: encrypts the bucket, queues, tables and registry",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=json.dumps(key_policy(account.account_id), separators=(",", ":")),
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
