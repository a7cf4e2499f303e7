"""What every S3 bucket of the stack is: versioned, encrypted by default, never public, with
one lifecycle rule. The data bucket (infra.aws.storage) and the log bucket (infra.aws.logs)
add their own policy and logging on top."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
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

from infra.build import BuildContext


@dataclass(frozen=True)
class Expiry:
    """The bucket's one lifecycle rule: noncurrent versions (and, if set, current objects)
    expire after these many days; unfinished multipart uploads are aborted."""

    rule_id: str
    noncurrent_days: int
    current_days: int | None = None
    multipart_days: int = 7


@dataclass(frozen=True)
class PrivateBucket:
    bucket: S3Bucket
    # A bucket policy must wait for it (S3 refuses a policy while public access is settling).
    access_block: S3BucketPublicAccessBlock


def private_bucket(
    ctx: BuildContext,
    name: str,
    *,
    kms_key_arn: str | None,
    expiry: Expiry,
    force_destroy: bool = False,
) -> PrivateBucket:
    """A bucket named `name` (its resource is the component's id): SSE-KMS with `kms_key_arn`
    and a bucket key, or SSE-S3 where AWS accepts nothing else (`None`)."""
    cid = ctx.id
    bucket = S3Bucket(
        ctx.stack,
        cid,
        bucket=name,
        force_destroy=force_destroy or None,
        tags={"mlpoc:component": cid},
    )
    S3BucketVersioningA(
        ctx.stack,
        f"{cid}_versioning",
        bucket=bucket.id,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    )
    default = (
        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
        )
        if kms_key_arn
        else S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="AES256"
        )
    )
    S3BucketServerSideEncryptionConfigurationA(
        ctx.stack,
        f"{cid}_encryption",
        bucket=bucket.id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=True if kms_key_arn else None,
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
    S3BucketLifecycleConfiguration(
        ctx.stack,
        f"{cid}_lifecycle",
        bucket=bucket.id,
        rule=[
            S3BucketLifecycleConfigurationRule(
                id=expiry.rule_id,
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                expiration=(
                    [S3BucketLifecycleConfigurationRuleExpiration(days=expiry.current_days)]
                    if expiry.current_days
                    else None
                ),
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=expiry.noncurrent_days
                    )
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=expiry.multipart_days
                    )
                ],
            )
        ],
    )
    return PrivateBucket(bucket, access_block)
