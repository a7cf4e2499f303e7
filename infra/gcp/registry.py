"""Artifact Registry Docker repository for the runtime image: immutable tags, CMEK, pruned."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_google.artifact_registry_repository import (
    ArtifactRegistryRepository,
    ArtifactRegistryRepositoryCleanupPolicies,
    ArtifactRegistryRepositoryCleanupPoliciesCondition,
    ArtifactRegistryRepositoryCleanupPoliciesMostRecentVersions,
    ArtifactRegistryRepositoryDockerConfig,
)

from infra.build import BuildContext, builder
from infra.config import ProjectConfig
from infra.gcp.config import project_id
from infra.gcp.security import Key
from infra.logical import Kind

KEEP_TAGGED_IMAGES = 20
UNTAGGED_AGE = f"{7 * 24 * 3600}s"


@dataclass(frozen=True)
class Registry:
    repository: ArtifactRegistryRepository
    image: str  # the image both services run


def _repository_url(config: ProjectConfig, repository_id: str) -> str:
    """`<region>-docker.pkg.dev/<project>/<repository>`."""
    return f"{config.project.region}-docker.pkg.dev/{project_id(config)}/{repository_id}"


@builder(Kind.REGISTRY, reads=(Kind.KEY,))
def build_registry(ctx: BuildContext) -> Registry:
    key = ctx.read(Kind.KEY, Key)
    repository = ArtifactRegistryRepository(
        ctx.stack,
        ctx.id,
        repository_id=ctx.config.name,
        location=ctx.config.project.region,
        format="DOCKER",
        description=f"{ctx.config.name}: mlpoc runtime image",
        kms_key_name=key.key.id,
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
        labels={"mlpoc-component": ctx.id},
        depends_on=[key.grants["artifactregistry"]],
    )
    url = _repository_url(ctx.config, repository.repository_id)
    ctx.output("registry_url", url, "Artifact Registry repository for the image")
    return Registry(repository, f"{url}/{ctx.config.name}:{ctx.config.project.image_tag}")
