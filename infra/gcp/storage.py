"""Cloud Storage bucket: versioned, CMEK, uniform access, never public."""

from __future__ import annotations

from cdktf_cdktf_provider_google.storage_bucket import (
    StorageBucket,
    StorageBucketEncryption,
    StorageBucketLifecycleRule,
    StorageBucketLifecycleRuleAction,
    StorageBucketLifecycleRuleCondition,
    StorageBucketVersioning,
)

from infra.build import BuildContext, builder
from infra.gcp.security import Key
from infra.logical import Kind

NONCURRENT_VERSION_DAYS = 30


@builder(Kind.BUCKET, reads=(Kind.KEY,))
def build_bucket(ctx: BuildContext) -> StorageBucket:
    key = ctx.read(Kind.KEY, Key)
    bucket = StorageBucket(
        ctx.stack,
        ctx.id,
        name=ctx.config.bucket_name,
        location=ctx.config.project.region.upper(),
        storage_class="STANDARD",
        versioning=StorageBucketVersioning(enabled=True),
        encryption=StorageBucketEncryption(default_kms_key_name=key.key.id),
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        lifecycle_rule=[
            StorageBucketLifecycleRule(
                action=StorageBucketLifecycleRuleAction(type="Delete"),
                condition=StorageBucketLifecycleRuleCondition(
                    days_since_noncurrent_time=NONCURRENT_VERSION_DAYS, with_state="ARCHIVED"
                ),
            )
        ],
        labels={"mlpoc-component": ctx.id},
        # The Storage agent must hold the key before the bucket can use it.
        depends_on=[key.grants["storage"]],
    )
    ctx.output("bucket", bucket.name, "MLPOC_BUCKET: Cloud Storage bucket for blobs")
    return bucket
