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

from infra.build import BuildContext
from infra.logical import Component

NONCURRENT_VERSION_DAYS = 30


def build_bucket(ctx: BuildContext, component: Component) -> StorageBucket:
    bucket = StorageBucket(
        ctx.stack,
        component.id,
        name=ctx.config.bucket_name,
        location=ctx.config.project.region.upper(),
        storage_class="STANDARD",
        versioning=StorageBucketVersioning(enabled=True),
        encryption=StorageBucketEncryption(default_kms_key_name=ctx.built["key"].id),
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
        labels={"mlpoc-component": component.id},
        # The Storage agent must hold the key before the bucket can use it.
        depends_on=[ctx.built["key_grants"]["storage"]],
    )
    ctx.output("bucket", bucket.name, "MLPOC_BUCKET: Cloud Storage bucket for blobs")
    return bucket
