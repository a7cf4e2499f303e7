"""ECR repository for the runtime image: immutable tags, scanned on push, pruned."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from infra.build import BuildContext, builder
from infra.logical import Kind

KEEP_TAGGED_IMAGES = 20
UNTAGGED_DAYS = 7

LIFECYCLE_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": f"Expire untagged images after {UNTAGGED_DAYS} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_DAYS,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Keep the {KEEP_TAGGED_IMAGES} newest images",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": KEEP_TAGGED_IMAGES,
            },
            "action": {"type": "expire"},
        },
    ]
}


@builder(Kind.REGISTRY, reads=(Kind.KEY,))
def build_registry(ctx: BuildContext) -> EcrRepository:
    repository = EcrRepository(
        ctx.stack,
        ctx.id,
        name=ctx.config.name,
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
        encryption_configuration=[
            EcrRepositoryEncryptionConfiguration(
                encryption_type="KMS", kms_key=ctx.read(Kind.KEY, KmsKey).arn
            )
        ],
        tags={"mlpoc:component": ctx.id},
    )
    EcrLifecyclePolicy(
        ctx.stack,
        f"{ctx.id}_lifecycle",
        repository=repository.name,
        policy=json.dumps(LIFECYCLE_POLICY, sort_keys=True),
    )
    ctx.output("ecr_repository_url", repository.repository_url, "ECR repository for the image")
    return repository
