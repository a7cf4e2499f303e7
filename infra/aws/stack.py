"""The AWS stack: the provider, and every logical component built by its AWS builder (the
`@builder`s of this package's modules)."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from infra.aws.edge import CERTIFICATE_PROVIDER, CERTIFICATE_REGION
from infra.build import Cloud
from infra.config import ProjectConfig


def provider(stack: TerraformStack, config: ProjectConfig) -> None:
    tags = [AwsProviderDefaultTags(tags={"mlpoc:project": config.name})]
    AwsProvider(stack, "aws", region=config.project.region, default_tags=tags)
    if config.api.domain:
        # CloudFront takes its certificates from us-east-1 only (infra.aws.edge).
        AwsProvider(
            stack,
            CERTIFICATE_PROVIDER,
            alias=CERTIFICATE_PROVIDER,
            region=CERTIFICATE_REGION,
            default_tags=tags,
        )


CLOUD = Cloud.from_package("aws", provider, "infra.aws")
