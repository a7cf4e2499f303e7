"""The AWS account the stack deploys into (the key policy names it) and its region."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity

from infra.build import BuildContext, builder
from infra.logical import Kind


@builder(Kind.ACCOUNT)
def build_account(ctx: BuildContext) -> DataAwsCallerIdentity:
    account = DataAwsCallerIdentity(ctx.stack, ctx.id)
    ctx.output("region", ctx.config.project.region, "MLPOC_REGION")
    return account
