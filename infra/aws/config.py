"""mlpoc.toml's [aws] section (no cdktf here: `mlpoc init` and the config checks read it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, field_validator

from infra.sections import CloudSection

if TYPE_CHECKING:
    from infra.config import ProjectConfig

MAX_BUCKET_NAME = 63
LOG_BUCKET_SUFFIX = "-logs"
# Where the release bundle lives in the data bucket (no runtime identity may write there).
EB_BUNDLE_PREFIX = "_deploy/elasticbeanstalk"
# Memory (MiB) of the instance types a PoC is likely to pick. Each Elastic Beanstalk instance
# runs one container; it may use the instance's memory less PLATFORM_RESERVE_MIB (the OS,
# Docker and Elastic Beanstalk's agents). Another type needs [aws].container_memory_mb.
INSTANCE_MEMORY_MIB = {
    **{
        f"{family}.{size}": mib
        for family in ("t3", "t3a", "t4g")
        for size, mib in (("small", 2048), ("medium", 4096), ("large", 8192), ("xlarge", 16384))
    },
    **{f"{family}.large": 8192 for family in ("m5", "m6i", "m6a", "m7i", "m7g")},
    **{f"{family}.xlarge": 16384 for family in ("m5", "m6i", "m6a", "m7i", "m7g")},
    **{f"{family}.large": 4096 for family in ("c5", "c6i", "c6a", "c7i", "c7g")},
    **{f"{family}.xlarge": 8192 for family in ("c5", "c6i", "c6a", "c7i", "c7g")},
    **{f"{family}.large": 16384 for family in ("r5", "r6i", "r7i")},
}
PLATFORM_RESERVE_MIB = 512
MIN_CONTAINER_MIB = 1024
# The retention periods CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096)


class AwsSection(CloudSection):
    CLOUD: ClassVar[str] = "aws"
    DEFAULT_REGION: ClassVar[str] = "eu-west-1"
    TERRAFORM_PROVIDERS: ClassVar[dict[str, str]] = {
        "registry.terraform.io/hashicorp/aws": "5.100.0"
    }

    # The API's instances; the worker's, unless worker_instance_type says otherwise.
    instance_type: str = "t3.small"
    worker_instance_type: str | None = None
    # Memory each container may use; default: the instance type's less PLATFORM_RESERVE_MIB.
    container_memory_mb: int | None = Field(None, ge=MIN_CONTAINER_MIB)
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

    def problems(self, config: ProjectConfig) -> list[str]:
        found = []
        if not self.container_memory_mb:
            for field, instance_type in (
                ("instance_type", self.instance_type),
                ("worker_instance_type", self.worker_type),
            ):
                memory = INSTANCE_MEMORY_MIB.get(instance_type)
                if memory is None:
                    found.append(
                        f"[aws].{field} {instance_type!r}: its memory is not known here; "
                        "set [aws].container_memory_mb (what one container may use)"
                    )
                elif memory - PLATFORM_RESERVE_MIB < MIN_CONTAINER_MIB:
                    found.append(
                        f"[aws].{field} {instance_type!r} is too small: a container needs "
                        f"{MIN_CONTAINER_MIB} MiB beside the platform's {PLATFORM_RESERVE_MIB}"
                    )
        worker = config.worker
        if (worker.min_instances, worker.max_instances) != (1, 1):
            found.append(
                "[worker].min_instances and max_instances must be 1 on AWS: the worker runs "
                "as a single-instance Elastic Beanstalk environment (no load balancer)"
            )
        if len(log_bucket_name(config)) > MAX_BUCKET_NAME:
            found.append(
                f"[aws].bucket_name must be at most {MAX_BUCKET_NAME - len(LOG_BUCKET_SUFFIX)} "
                f"characters: the log bucket is named after it (+ {LOG_BUCKET_SUFFIX!r})"
            )
        return found

    @property
    def worker_type(self) -> str:
        return self.worker_instance_type or self.instance_type

    def container_memory(self, instance_type: str) -> int:
        """MiB one container on an instance of `instance_type` may use."""
        if self.container_memory_mb:
            return self.container_memory_mb
        return INSTANCE_MEMORY_MIB[instance_type] - PLATFORM_RESERVE_MIB


def application_name(config: ProjectConfig) -> str:
    """The Elastic Beanstalk application."""
    return config.name


def environment_name(config: ProjectConfig, process: str = "api") -> str:
    """The Elastic Beanstalk environment of a process (`api`, `worker`): its log groups are
    /aws/elasticbeanstalk/<it>/..."""
    return f"{config.name}-{process}"


def log_bucket_name(config: ProjectConfig) -> str:
    """The bucket access logs and the audit trail go to (S3 names are global: derived from
    the data bucket's, which [aws].bucket_name can override)."""
    return f"{config.bucket_name}{LOG_BUCKET_SUFFIX}"


def trail_name(config: ProjectConfig) -> str:
    """The CloudTrail trail of the bucket's (and tables') data events."""
    return f"{config.name}-data-events"


def trail_arn(config: ProjectConfig, account_id: str) -> str:
    """Known before the trail exists: the key and bucket policies that let CloudTrail write
    name it (conditions on aws:SourceArn)."""
    return f"arn:aws:cloudtrail:{config.project.region}:{account_id}:trail/{trail_name(config)}"


SECTION = AwsSection
