"""S3 bucket: versioned, SSE-KMS with the project key, never public, TLS only, every request
logged (S3 server access logs, into the log bucket)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy

from infra.aws.buckets import Expiry, private_bucket
from infra.aws.logs import S3_ACCESS_PREFIX, LogBucket
from infra.aws.security import policy_document, tls_only
from infra.build import BuildContext, builder
from infra.logical import Kind

NONCURRENT_VERSION_DAYS = 30


@builder(Kind.BUCKET, reads=(Kind.KEY, Kind.LOGS))
def build_bucket(ctx: BuildContext) -> S3Bucket:
    key = ctx.read(Kind.KEY, KmsKey)
    logs = ctx.read(Kind.LOGS, LogBucket)
    cid = ctx.id
    made = private_bucket(
        ctx,
        ctx.config.bucket_name,
        kms_key_arn=key.arn,
        expiry=Expiry("expire-noncurrent-versions", noncurrent_days=NONCURRENT_VERSION_DAYS),
    )
    bucket = made.bucket
    policy = policy_document(ctx.stack, f"{cid}_tls_only", [tls_only(bucket.arn)])
    S3BucketPolicy(
        ctx.stack,
        f"{cid}_policy",
        bucket=bucket.id,
        policy=policy.json,
        depends_on=[made.access_block],
    )
    S3BucketLoggingA(
        ctx.stack,
        f"{cid}_access_logs",
        bucket=bucket.id,
        target_bucket=logs.bucket.id,
        target_prefix=S3_ACCESS_PREFIX,
        depends_on=[logs.policy],
    )
    ctx.output("bucket", bucket.bucket, "MLPOC_BUCKET: S3 bucket for blobs")
    return bucket
