"""The project configuration, `mlpoc.toml`: which cloud, where, how big, how much to spend.

Read with `load_config()` (path from `MLPOC_CONFIG`, default `./mlpoc.toml`). Anything
invalid raises `ConfigError` with one line per problem, each naming the field, e.g.
`mlpoc.toml: [budget].amount must be > 0`; synthesis stops before writing anything.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONFIG_ENV = "MLPOC_CONFIG"
DEFAULT_PATH = Path("mlpoc.toml")

# Short enough that every derived name fits its cloud's limit (service account ids: 30).
_PROJECT_NAME = r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"


class ConfigError(ValueError):
    """mlpoc.toml is missing or invalid; the message names each bad field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectSection(_Section):
    name: str = Field(pattern=_PROJECT_NAME, description="Prefix of every resource name.")
    cloud: Literal["aws", "gcp"]
    region: str = Field(min_length=1)
    image_tag: str = Field("latest", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    # Written into the runtime's settings (MLPOC_MAX_DELIVERIES) and into the redrive /
    # dead-letter policy, so both agree; same bounds as adapters.settings (Pub/Sub: 5-100).
    max_deliveries: int = Field(5, ge=5, le=100)


class ServiceSection(_Section):
    min_instances: int = Field(1, ge=0)
    max_instances: int = Field(1, ge=1)
    # App Engine flexible resources (AWS runs both containers on one EB instance type).
    cpu: int = Field(1, ge=1)
    memory_gb: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> ServiceSection:
        if self.max_instances < self.min_instances:
            raise ValueError("max_instances must be >= min_instances")
        return self


class AwsSection(_Section):
    # API and worker share each Elastic Beanstalk instance (two containers, one image).
    instance_type: str = "t3.small"
    solution_stack: str = "64bit Amazon Linux 2023 v4.5.2 running Docker"
    # S3 names are global: override when `<project>-data` is taken.
    bucket_name: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class GcpSection(_Section):
    project_id: str | None = Field(None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    billing_account: str | None = Field(None, pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
    # App Engine's location id; default: the region ("europe-west1" -> "europe-west").
    app_engine_location: str | None = None
    bucket_name: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")


class BudgetSection(_Section):
    amount: float = Field(gt=0, description="Monthly budget, in `currency`.")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    alert_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ProjectConfig(_Section):
    project: ProjectSection
    api: ServiceSection = ServiceSection()
    worker: ServiceSection = ServiceSection()
    aws: AwsSection = AwsSection()
    gcp: GcpSection = GcpSection()
    budget: BudgetSection

    @model_validator(mode="after")
    def _cloud_needs(self) -> ProjectConfig:
        if self.project.cloud == "gcp":
            if not self.gcp.project_id:
                raise ValueError("[gcp].project_id is required when [project].cloud = 'gcp'")
            if not self.gcp.billing_account:
                raise ValueError("[gcp].billing_account is required when [project].cloud = 'gcp'")
            for name in ("api", "worker"):
                if getattr(self, name).min_instances < 1:
                    raise ValueError(f"[{name}].min_instances must be >= 1 on App Engine flexible")
        return self

    # ------------------------------------------------------------- derived names

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def cloud(self) -> str:
        return self.project.cloud

    @property
    def bucket_name(self) -> str:
        override = self.aws.bucket_name if self.cloud == "aws" else self.gcp.bucket_name
        return override or f"{self.name}-data"

    @property
    def queue_name(self) -> str:
        return f"{self.name}-jobs"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.name}-jobs-dlq"

    @property
    def table_prefix(self) -> str:
        return f"{self.name}-"

    @property
    def firestore_database(self) -> str:
        return f"{self.name}-docs"

    @property
    def app_engine_location(self) -> str:
        if self.gcp.app_engine_location:
            return self.gcp.app_engine_location
        region = self.project.region
        # App Engine spells its two oldest regions without the trailing 1.
        return region[:-1] if region in ("us-central1", "europe-west1") else region


def parse_config(data: dict[str, Any], source: str = "mlpoc.toml") -> ProjectConfig:
    """Validate a parsed mlpoc.toml; ConfigError names every bad field."""
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, source)) from None


def load_config(path: str | os.PathLike[str] | None = None) -> ProjectConfig:
    """Read the project configuration from `path`, else `$MLPOC_CONFIG`, else ./mlpoc.toml."""
    path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_PATH)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (set {CONFIG_ENV} to the project file)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path.name)


_MESSAGES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "missing": "is required",
    "extra_forbidden": "is not a known setting",
    "string_pattern_mismatch": "must match {pattern}",
    "string_too_short": "must not be empty",
}


def _plain(value: object) -> object:
    """0.0 -> 0, so that messages read `must be > 0`."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _explain(exc: ValidationError, source: str) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        template = _MESSAGES.get(error["type"])
        message = (
            template.format(**{k: _plain(v) for k, v in error.get("ctx", {}).items()})
            if template
            else error["msg"].removeprefix("Value error, ")
        )
        if error["type"] == "literal_error":
            message = f"must be one of {error['ctx']['expected']} (got {error['input']!r})"
        if len(loc) >= 2:
            where = f"[{'.'.join(loc[:-1])}].{loc[-1]} "
        elif loc:
            where = f"[{loc[0]}] "
        else:
            where = ""
        lines.append(f"{source}: {where}{message}")
    return "\n".join(lines)
