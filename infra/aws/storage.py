"""S3 bucket: versioned, SSE-KMS with the project key, never public, TLS only, every request
logged (S3 server access logs, into the log bucket)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)

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
    bucket = S3Bucket(ctx.stack, cid, bucket=ctx.config.bucket_name, tags={"mlpoc:component": cid})
    S3BucketVersioningA(
        ctx.stack,
        f"{cid}_versioning",
        bucket=bucket.id,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    )
    S3BucketServerSideEncryptionConfigurationA(
        ctx.stack,
        f"{cid}_encryption",
        bucket=bucket.id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    )
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    access_block = S3BucketPublicAccessBlock(
        ctx.stack,
        f"{cid}_public_access_block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    policy = policy_document(ctx.stack, f"{cid}_tls_only", [tls_only(bucket.arn)])
    S3BucketPolicy(
        ctx.stack,
        f"{cid}_policy",
        bucket=bucket.id,
        policy=policy.json,
        depends_on=[access_block],
    )
    S3BucketLifecycleConfiguration(
        ctx.stack,
        f"{cid}_lifecycle",
        bucket=bucket.id,
        rule=[
            S3BucketLifecycleConfigurationRule(
                id="expire-noncurrent-versions",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=NONCURRENT_VERSION_DAYS
                    )
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=7
                    )
                ],
            )
        ],
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
