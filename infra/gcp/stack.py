"""The GCP stack: the provider, and every logical component built by its GCP builder (the
`@builder`s of this package's modules)."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.provider import GoogleProvider

from infra.build import Cloud
from infra.config import ProjectConfig
from infra.gcp.config import project_id


def provider(stack: TerraformStack, config: ProjectConfig) -> None:
    project = project_id(config)
    GoogleProvider(
        stack,
        "google",
        project=project,
        region=config.project.region,
        default_labels={"mlpoc_project": config.name},
        # The Budget API needs a quota project: bill its calls to this one.
        user_project_override=True,
        billing_project=project,
    )


CLOUD = Cloud.from_package("gcp", provider, "infra.gcp")
