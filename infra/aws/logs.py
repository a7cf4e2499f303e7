"""The log bucket: S3 server access logs of the data bucket, the load balancer's access logs
and the CloudTrail trail's files, each written by its AWS delivery service under its own
prefix, and nothing else. Versioned, never public, TLS only, expired after
[aws].log_retention_days.

It is encrypted with S3-managed keys (SSE-S3), not the project key: AWS delivers load
balancer and S3 server access logs only to SSE-S3 buckets. The trail's files are encrypted
with the project key by CloudTrail itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy

from infra.aws.buckets import Expiry, private_bucket
from infra.aws.config import AwsSection, log_bucket_name, trail_arn
from infra.aws.security import policy_document, statement, tls_only
from infra.build import BuildContext, builder
from infra.logical import Kind

# Where each delivery writes, under the log bucket.
S3_ACCESS_PREFIX = "s3/"
LOAD_BALANCER_PREFIX = "alb"  # Elastic Beanstalk's option takes it without the slash
TRAIL_PREFIX = "cloudtrail"
# Elastic Load Balancing delivers as its regional account in Regions older than August 2022
# (data.aws_elb_service_account), as this service principal in newer ones: allow both.
LOAD_BALANCER_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


@dataclass(frozen=True)
class LogBucket:
    bucket: S3Bucket
    # Ordered after the policy: a delivery configured before it would be refused.
    policy: S3BucketPolicy


@builder(Kind.LOGS, reads=(Kind.ACCOUNT,))
def build_logs(ctx: BuildContext) -> LogBucket:
    cid = ctx.id
    config = ctx.config
    account = ctx.read(Kind.ACCOUNT, DataAwsCallerIdentity).account_id
    made = private_bucket(
        ctx,
        log_bucket_name(config),
        kms_key_arn=None,  # SSE-S3: what AWS delivers access logs into (module docstring)
        expiry=Expiry(
            "expire-logs",
            noncurrent_days=1,
            current_days=AwsSection.of(config).log_retention_days,
            multipart_days=1,
        ),
        # Deliveries keep arriving while a destroy runs (access logs up to hours late, the
        # trail every few minutes), so no one can empty it beforehand: destroying the stack
        # deletes its logs with it (copy them out first if they must outlive the project).
        force_destroy=True,
    )
    bucket = made.bucket
    # ACLs off: every delivery below is granted by the bucket policy, and the bucket owns
    # every object written into it.
    ownership = S3BucketOwnershipControls(
        ctx.stack,
        f"{cid}_ownership",
        bucket=bucket.id,
        rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
    )
    load_balancers = DataAwsElbServiceAccount(ctx.stack, f"{cid}_load_balancer_account")
    trail = trail_arn(config, account)
    this_account = ("StringEquals", "aws:SourceAccount", [account])
    policy = policy_document(
        ctx.stack,
        f"{cid}_deliveries",
        [
            tls_only(bucket.arn),
            statement(
                "S3ServerAccessLogs",
                ["s3:PutObject"],
                [f"{bucket.arn}/{S3_ACCESS_PREFIX}*"],
                principals=("Service", ["logging.s3.amazonaws.com"]),
                conditions=[this_account],
            ),
            statement(
                "LoadBalancerAccessLogs",
                ["s3:PutObject"],
                [f"{bucket.arn}/{LOAD_BALANCER_PREFIX}/AWSLogs/{account}/*"],
                principals=("AWS", [load_balancers.arn]),
                more_principals=[("Service", [LOAD_BALANCER_DELIVERY])],
            ),
            statement(
                "CloudTrailChecksAcl",
                ["s3:GetBucketAcl"],
                [bucket.arn],
                principals=("Service", ["cloudtrail.amazonaws.com"]),
                conditions=[("StringEquals", "aws:SourceArn", [trail])],
            ),
            statement(
                "CloudTrailWritesTrail",
                ["s3:PutObject"],
                [f"{bucket.arn}/{TRAIL_PREFIX}/AWSLogs/{account}/*"],
                principals=("Service", ["cloudtrail.amazonaws.com"]),
                conditions=[
                    ("StringEquals", "aws:SourceArn", [trail]),
                    ("StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"]),
                ],
            ),
        ],
    )
    bucket_policy = S3BucketPolicy(
        ctx.stack,
        f"{cid}_policy",
        bucket=bucket.id,
        policy=policy.json,
        depends_on=[made.access_block, ownership],
    )
    ctx.output("log_bucket", bucket.bucket, "S3 bucket of access logs and the audit trail")
    return LogBucket(bucket, bucket_policy)
