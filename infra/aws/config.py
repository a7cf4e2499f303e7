"""mlpoc.toml's [aws] section (no cdktf here: `mlpoc init` and the config checks read it)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from infra.sections import CloudSection


class AwsSection(CloudSection):
    CLOUD: ClassVar[str] = "aws"
    DEFAULT_REGION: ClassVar[str] = "eu-west-1"

    # API and worker share each Elastic Beanstalk instance (two containers, one image).
    instance_type: str = "t3.small"
    solution_stack: str = "64bit Amazon Linux 2023 v4.5.2 running Docker"
    # S3 names are global: override when `<project>-data` is taken.
    bucket_name: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


SECTION = AwsSection
