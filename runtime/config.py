"""The worker's settings: which trainer, how the worker keeps its lease, how it backs off,
whether to infer ahead and promote automatically.

Every field is the environment variable `MLPOC_<FIELD>`, like the backend settings
(`adapters.settings.Settings`), so one environment configures both; each is read on its
own (composed, not inherited). The trainer plugins are their own model, `TrainerSettings`:
the worker trains with one, and every process that loads a model version (the worker, the
API) loads only the trainers it allows.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from adapters.limits import MAX_LEASE_SECONDS, MAX_RELEASE_DELAY_SECONDS
from adapters.settings import EnvSettings

DEFAULT_TRAINER = "runtime.trainers.tabular:TabularTrainer"


class TrainerSettings(EnvSettings):
    """Which trainer plugin trains, and which ones a model version may name to be loaded."""

    trainer: str = Field(
        DEFAULT_TRAINER,
        description="Trainer plugin as `module:Class` (a subclass of runtime.trainers.Trainer).",
    )
    trainer_plugins: str = Field(
        "",
        description="Other trainer plugins (`module:Class`, comma-separated) whose model "
        "versions may be loaded; a version naming any other trainer is refused before any "
        "import.",
    )

    @property
    def allowed_trainers(self) -> frozenset[str]:
        """The trainers a model version may name: the default, MLPOC_TRAINER and the
        plugins listed in MLPOC_TRAINER_PLUGINS."""
        plugins = (name.strip() for name in self.trainer_plugins.split(","))
        return frozenset((DEFAULT_TRAINER, self.trainer, *(name for name in plugins if name)))


class RuntimeSettings(TrainerSettings):
    """What the worker does with a job: its trainer, lease, backoff, auto-promotion."""

    batch_predict_after_train: bool = Field(
        False,
        description="After each successful training, enqueue a batch_predict of the dataset.",
    )
    lease_seconds: float = Field(
        60,
        gt=0,
        le=MAX_LEASE_SECONDS,
        description="Lease taken on a job message; the heartbeat keeps extending it.",
    )
    heartbeat_seconds: float = Field(
        15,
        gt=0,
        description="Interval between lease extensions; at most a third of lease_seconds.",
    )
    release_backoff_seconds: float = Field(
        5,
        ge=0,
        description="Delay before a job that failed transiently (backend unavailable, a "
        "timeout) is retried, doubled on each further delivery; any other failure ends the "
        "job at once.",
    )
    release_backoff_max_seconds: float = Field(
        300,
        ge=0,
        le=MAX_RELEASE_DELAY_SECONDS,
        description="Ceiling of the retry delay.",
    )
    poll_seconds: float = Field(
        5, ge=0, le=20, description="Long-poll wait of one receive (also bounds SIGTERM latency)."
    )
    shutdown_grace_seconds: float = Field(
        20,
        ge=0,
        description="On SIGTERM, how long the current job may run on before it is released.",
    )
    dead_letter_sweep_seconds: float = Field(
        60,
        ge=0,
        description="How often a worker marks dead-lettered jobs failed (0: never).",
    )
    auto_promote_metric: str | None = Field(
        None,
        description="If set, move auto_promote_alias to a new version whose metric beats it.",
    )
    auto_promote_direction: Literal["max", "min"] = Field(
        "max", description="Whether a higher (max) or lower (min) metric is better."
    )
    auto_promote_alias: str = Field("production", description="Alias auto-promotion moves.")
    health_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="worker: serve GET /healthz on this port (App Engine checks every service).",
    )
    worker_id: str | None = Field(
        None, description="Name recorded on the jobs this worker runs (default: host:pid)."
    )

    @model_validator(mode="after")
    def _heartbeat_well_before_expiry(self) -> RuntimeSettings:
        if self.heartbeat_seconds * 3 > self.lease_seconds:
            raise ValueError(
                f"{runtime_env_name('heartbeat_seconds')} ({self.heartbeat_seconds}) must be at "
                f"most a third of {runtime_env_name('lease_seconds')} ({self.lease_seconds}), "
                "so a late heartbeat never lets the lease lapse"
            )
        return self


def runtime_env_name(field_name: str) -> str:
    """The environment variable of a runtime settings field."""
    return RuntimeSettings.env_name(field_name)


def load_runtime_settings(**overrides: object) -> RuntimeSettings:
    """Read runtime settings from the environment (plus overrides), or raise
    ConfigurationError naming the variables to fix."""
    return RuntimeSettings.load(**overrides)
