"""Artifact Registry Docker repository for the runtime image: immutable tags, CMEK, pruned."""

from __future__ import annotations

from cdktf_cdktf_provider_google.artifact_registry_repository import (
    ArtifactRegistryRepository,
    ArtifactRegistryRepositoryCleanupPolicies,
    ArtifactRegistryRepositoryCleanupPoliciesCondition,
    ArtifactRegistryRepositoryCleanupPoliciesMostRecentVersions,
    ArtifactRegistryRepositoryDockerConfig,
)

from infra.build import BuildContext
from infra.logical import Component

KEEP_TAGGED_IMAGES = 20
UNTAGGED_AGE = f"{7 * 24 * 3600}s"


def image_url(ctx: BuildContext) -> str:
    """`<region>-docker.pkg.dev/<project>/<repository>/<name>:<tag>`."""
    config = ctx.config
    repository = ctx.built["registry"]
    return (
        f"{config.project.region}-docker.pkg.dev/{config.gcp.project_id}/"
        f"{repository.repository_id}/{config.name}:{config.project.image_tag}"
    )


def build_registry(ctx: BuildContext, component: Component) -> ArtifactRegistryRepository:
    repository = ArtifactRegistryRepository(
        ctx.stack,
        component.id,
        repository_id=ctx.config.name,
        location=ctx.config.project.region,
        format="DOCKER",
        description=f"{ctx.config.name}: mlpoc runtime image",
        kms_key_name=ctx.built["key"].id,
        docker_config=ArtifactRegistryRepositoryDockerConfig(immutable_tags=True),
        cleanup_policies=[
            ArtifactRegistryRepositoryCleanupPolicies(
                id="delete-untagged",
                action="DELETE",
                condition=ArtifactRegistryRepositoryCleanupPoliciesCondition(
                    tag_state="UNTAGGED", older_than=UNTAGGED_AGE
                ),
            ),
            ArtifactRegistryRepositoryCleanupPolicies(
                id=f"keep-{KEEP_TAGGED_IMAGES}-newest",
                action="KEEP",
                most_recent_versions=ArtifactRegistryRepositoryCleanupPoliciesMostRecentVersions(
                    keep_count=KEEP_TAGGED_IMAGES
                ),
            ),
        ],
        labels={"mlpoc-component": component.id},
        depends_on=[ctx.built["key_grants"]["artifactregistry"]],
    )
    ctx.output(
        "registry_url",
        f"{ctx.config.project.region}-docker.pkg.dev/{ctx.config.gcp.project_id}/"
        f"{repository.repository_id}",
        "Artifact Registry repository for the image",
    )
    return repository
