"""The AWS stack: the provider, and every logical component built by its AWS builder (the
`@builder`s of this package's modules)."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from infra.build import Cloud
from infra.config import ProjectConfig


def provider(stack: TerraformStack, config: ProjectConfig) -> None:
    AwsProvider(
        stack,
        "aws",
        region=config.project.region,
        default_tags=[AwsProviderDefaultTags(tags={"mlpoc:project": config.name})],
    )


CLOUD = Cloud.from_package("aws", provider, "infra.aws")
