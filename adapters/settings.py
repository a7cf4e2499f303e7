"""Which backend, and which resources: read from `MLPOC_*` environment variables.

The infra stacks write exactly these variables into Elastic Beanstalk and App Engine (they
import this model to get the names), so a deployed runtime needs no hand configuration.

Settings are composed, not inherited: each part reads its own model from the same
environment (`Settings` here for the backend, `runtime.config.RuntimeSettings` for the
worker, `runtime.api.settings.ApiSettings` for the API); `EnvSettings` is what they share:
the variable names, `to_env`, and loading with one line per problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.errors import ConfigurationError

ENV_PREFIX = "MLPOC_"
Backend = Literal["local", "aws", "gcp"]
BACKENDS: tuple[str, ...] = ("local", "aws", "gcp")


class EnvSettings(BaseSettings):
    """A settings model whose every field is the environment variable `MLPOC_<FIELD>`. Each
    model reads only its own fields and ignores the others' variables."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    def to_env(self) -> dict[str, str]:
        """These settings as the environment variables that reproduce them."""
        cls = type(self)
        return {
            cls.env_name(name): str(value)
            for name in cls.model_fields
            if (value := getattr(self, name)) is not None
        }

    @classmethod
    def env_name(cls, field_name: str) -> str:
        """The environment variable of a field: `bucket` -> `MLPOC_BUCKET`."""
        if field_name not in cls.model_fields:
            raise KeyError(f"no setting named {field_name!r}")
        return f"{ENV_PREFIX}{field_name.upper()}"

    @classmethod
    def load(cls, **overrides: object) -> Self:
        """Read the environment (plus overrides), or raise ConfigurationError with one line
        per problem, each naming the variable to set."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise ConfigurationError(_explain(cls, exc)) from None


class Settings(EnvSettings):
    """Backend settings: which backend holds the data, and its resources' names."""

    backend: Backend = Field("local", description="Where data lives: local, aws or gcp.")
    data_dir: Path = Field(
        Path(".mlpoc"), description="local: directory holding blobs and SQLite databases."
    )
    bucket: str | None = Field(None, description="aws/gcp: S3 or GCS bucket for blobs.")
    queue: str | None = Field(None, description="aws: SQS queue name; gcp: Pub/Sub topic.")
    dead_letter_queue: str | None = Field(
        None, description="aws: SQS dead-letter queue name; gcp: dead-letter Pub/Sub topic."
    )
    subscription: str | None = Field(
        None, description="gcp: Pub/Sub subscription on the jobs topic."
    )
    dead_letter_subscription: str | None = Field(
        None, description="gcp: Pub/Sub subscription on the dead-letter topic."
    )
    table_prefix: str = Field(
        "", description="aws/gcp: prefix of DynamoDB table / Firestore collection names."
    )
    max_deliveries: int = Field(
        5,
        ge=5,
        le=100,
        description="Deliveries before a job message is dead-lettered (Pub/Sub allows 5-100).",
    )
    region: str | None = Field(None, description="aws: region (else boto3's default chain).")
    gcp_project: str | None = Field(None, description="gcp: Google Cloud project id.")
    firestore_database: str = Field("(default)", description="gcp: Firestore database id.")
    firestore_operator_database: str | None = Field(
        None,
        description="gcp: Firestore database of the collections only operators write (API "
        "keys), apart so that IAM can let the runtime only read them (default: the same).",
    )

    @model_validator(mode="after")
    def _required_for_backend(self) -> Settings:
        missing = [name for name in self.required_for(self.backend) if not getattr(self, name)]
        if missing:
            names = ", ".join(env_name(name) for name in missing)
            raise ValueError(f"{names} must be set when {env_name('backend')}={self.backend}")
        return self

    @staticmethod
    def required_for(backend: str) -> tuple[str, ...]:
        """Fields a backend cannot start without."""
        return {
            "local": ("data_dir",),
            "aws": ("bucket", "queue", "dead_letter_queue", "table_prefix"),
            "gcp": (
                "gcp_project",
                "bucket",
                "queue",
                "dead_letter_queue",
                "subscription",
                "dead_letter_subscription",
                "table_prefix",
            ),
        }[backend]


def env_name(field_name: str) -> str:
    """The environment variable of a backend settings field: `bucket` -> `MLPOC_BUCKET`."""
    return Settings.env_name(field_name)


def load_settings(**overrides: object) -> Settings:
    """Backend settings from the environment; ConfigurationError names what to fix."""
    return Settings.load(**overrides)


def _explain(model: type[EnvSettings], exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"] if part != "__root__"]
        message = error["msg"].removeprefix("Value error, ")
        if loc and loc[0] in model.model_fields:
            if loc[0] == "backend":
                message = f"must be one of {', '.join(BACKENDS)} (got {error.get('input')!r})"
            lines.append(f"{model.env_name(loc[0])}: {message}")
        else:
            lines.append(message)
    return "invalid mlpoc settings: " + "; ".join(lines)


def settings_table(*models: type[EnvSettings]) -> str:
    """The configuration reference of settings models as one Markdown table, a row per
    variable in the models' order (the README embeds every part's; a test keeps the two
    identical)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for model in models or (Settings,):
        for name, info in model.model_fields.items():
            value = info.default
            default = (
                ""
                if value is None
                else f"`{json.dumps(value if isinstance(value, int | str) else str(value))}`"
            )
            rows.append(f"| `{model.env_name(name)}` | {default} | {info.description} |")
    return "\n".join(rows)
