"""mlpoc.toml's [aws] section (no cdktf here: `mlpoc init` and the config checks read it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, field_validator

from infra.sections import CloudSection

if TYPE_CHECKING:
    from infra.config import ProjectConfig

# The retention periods CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096)


class AwsSection(CloudSection):
    CLOUD: ClassVar[str] = "aws"
    DEFAULT_REGION: ClassVar[str] = "eu-west-1"
    TERRAFORM_PROVIDERS: ClassVar[dict[str, str]] = {
        "registry.terraform.io/hashicorp/aws": "5.100.0"
    }

    # API and worker share each Elastic Beanstalk instance (two containers, one image).
    instance_type: str = "t3.small"
    solution_stack: str = "64bit Amazon Linux 2023 v4.5.2 running Docker"
    # S3 names are global: override when `<project>-data` is taken.
    bucket_name: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    # How long CloudWatch Logs keeps the instances' and containers' logs.
    log_retention_days: int = 30

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return value


def application_name(config: ProjectConfig) -> str:
    """The Elastic Beanstalk application."""
    return config.name


def environment_name(config: ProjectConfig) -> str:
    """The Elastic Beanstalk environment: its log groups are /aws/elasticbeanstalk/<it>/..."""
    return f"{config.name}-env"


SECTION = AwsSection
