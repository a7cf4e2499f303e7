"""The project configuration, `mlpoc.toml`: which cloud, where, how big, how much to spend.

Read with `load_config()` (path from `MLPOC_CONFIG`, default `./mlpoc.toml`). Anything
invalid raises `ConfigError` with one line per problem, each naming the field, e.g.
`mlpoc.toml: [budget].amount must be > 0`; synthesis stops before writing anything.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, create_model, field_validator, model_validator

from infra import clouds
from infra.sections import CloudSection, Section

CONFIG_ENV = "MLPOC_CONFIG"
DEFAULT_PATH = Path("mlpoc.toml")

# Short enough that every derived name fits its cloud's limit (service account ids: 30).
_PROJECT_NAME = r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"


class ConfigError(ValueError):
    """mlpoc.toml is missing or invalid; the message names each bad field."""


class ProjectSection(Section):
    name: str = Field(pattern=_PROJECT_NAME, description="Prefix of every resource name.")
    cloud: str = Field(description="One of infra.clouds.CLOUDS.")
    region: str = Field(min_length=1)
    image_tag: str = Field("latest", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    # Written into the runtime's settings (MLPOC_MAX_DELIVERIES) and into the redrive /
    # dead-letter policy, so both agree; same bounds as adapters.settings (Pub/Sub: 5-100).
    max_deliveries: int = Field(5, ge=5, le=100)

    @field_validator("cloud")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in clouds.CLOUDS:
            raise ValueError(f"must be one of {list(clouds.CLOUDS)} (got {value!r})")
        return value


class ServiceSection(Section):
    min_instances: int = Field(1, ge=0)
    max_instances: int = Field(1, ge=1)
    # Container resources, where the platform sizes each service (App Engine flexible).
    cpu: int = Field(1, ge=1)
    memory_gb: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> ServiceSection:
        if self.max_instances < self.min_instances:
            raise ValueError("max_instances must be >= min_instances")
        return self


class ApiSection(ServiceSection):
    # A domain of the team's own for the API (e.g. "api.example.com"). Without one the API is
    # served over HTTPS at the front end's own name (CloudFront's *.cloudfront.net, App
    # Engine's *.appspot.com); with one, the stack asks for a certificate for it (see README).
    domain: str | None = Field(
        None,
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    )


class WorkerSection(ServiceSection):
    # Run the worker on spot capacity (a reclaimed worker's job is redelivered: README).
    spot: bool = False


class BudgetSection(Section):
    amount: float = Field(gt=0, description="Monthly budget, in `currency`.")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    alert_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ProjectConfig(Section):
    """mlpoc.toml. Each registered cloud adds its own section (`[aws]`, `[gcp]`: see
    `infra.clouds`); `section()` is the chosen cloud's."""

    project: ProjectSection
    api: ApiSection = ApiSection()
    worker: WorkerSection = WorkerSection()
    budget: BudgetSection

    @model_validator(mode="after")
    def _cloud_needs(self) -> ProjectConfig:
        problems = self.section().problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def section(self) -> CloudSection:
        """The chosen cloud's section of the file."""
        section: CloudSection = getattr(self, self.cloud)
        return section

    # ------------------------------------------------------------- derived names

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def cloud(self) -> str:
        return self.project.cloud

    @property
    def bucket_name(self) -> str:
        return self.section().bucket_name or f"{self.name}-data"

    @property
    def queue_name(self) -> str:
        return f"{self.name}-jobs"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.name}-jobs-dlq"

    @property
    def table_prefix(self) -> str:
        return f"{self.name}-"


def _with_cloud_sections(base: type[ProjectConfig]) -> type[ProjectConfig]:
    """`base` with one optional section per registered cloud, named after it."""
    sections: dict[str, Any] = {}
    for name in clouds.CLOUDS:
        model = clouds.section(name)
        sections[name] = (model, model())
    return create_model(base.__name__, __base__=base, __module__=__name__, **sections)


ProjectConfig = _with_cloud_sections(ProjectConfig)  # type: ignore[misc]


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
        lines += [f"{source}: {where}{line}" for line in message.splitlines()]
    return "\n".join(lines)
