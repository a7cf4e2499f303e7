"""The API's settings: upload and batch limits, how often the serving cache looks at an
alias, when annotations trigger a retrain, how long a verified API key is trusted, the HTTP
server's connection limits and timeouts, and what the platform's HTTPS front end guarantees
(runtime.api.front_end; off by default, turned on by the stacks). Every field is the
environment variable `MLPOC_<FIELD>`; the backend's settings (`adapters.settings.Settings`)
and the trainers a version may name (`runtime.config.TrainerSettings`) are read on their own,
and the worker's are not the API's business."""

from __future__ import annotations

from pydantic import Field, SecretStr

from adapters.settings import EnvSettings


class ApiSettings(EnvSettings):
    max_upload_bytes: int = Field(
        100 * 1024 * 1024, gt=0, description="Largest accepted CSV upload; beyond it, 413."
    )
    max_request_bytes: int = Field(
        4 * 1024 * 1024,
        gt=0,
        description="Largest accepted request body other than an upload; beyond it, 413.",
    )
    max_batch_rows: int = Field(
        10_000, gt=0, description="Most rows in one batch predict, label or lookup request."
    )
    serving_check_seconds: float = Field(
        5,
        ge=0,
        description="How often the API re-reads an alias to notice a moved model (0: always).",
    )
    retrain_after_labels: int = Field(
        0, ge=0, description="Enqueue a retrain after this many new labels on a dataset (0: off)."
    )
    api_key_cache_seconds: float = Field(
        30,
        ge=0,
        description="How long each API instance trusts a key it verified before reading it "
        "again: a revoked key keeps working on an instance for at most this long.",
    )
    preload_seconds: float = Field(
        60,
        ge=0,
        description="At start, how long /readyz waits for the models the production aliases "
        "point at to load (0: no preload).",
    )
    api_host: str = Field("0.0.0.0", description="Address `python -m runtime.api` binds.")
    api_max_concurrency: int = Field(
        200,
        gt=0,
        description="Open connections plus requests in progress beyond which the API answers "
        "503 at once.",
    )
    api_keep_alive_seconds: int = Field(
        5, gt=0, description="How long an idle keep-alive connection is kept open."
    )
    api_header_timeout_seconds: float = Field(
        10,
        gt=0,
        description="How long a connection may take to send a request's headers before it is "
        "closed.",
    )
    https_only: bool = Field(
        False,
        description="Behind an HTTPS front end: redirect plain-HTTP GET/HEAD to https://, refuse "
        "other plain-HTTP requests, send HSTS (health checks exempt).",
    )
    hsts_seconds: int = Field(
        31_536_000, ge=0, description="HSTS max-age when https_only (0: no HSTS header)."
    )
    origin_secret: SecretStr | None = Field(
        None,
        description="If set, refuse (403) requests whose X-Origin-Verify header is not this "
        "value (health checks exempt): only the CDN in front knows it.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies whose X-Forwarded-Proto/-For uvicorn trusts (addresses or "
        "networks, comma-separated; * for any): the platform's front end.",
    )


def load_api_settings(**overrides: object) -> ApiSettings:
    """Read API settings from the environment (plus overrides), or raise ConfigurationError
    naming the variables to fix."""
    return ApiSettings.load(**overrides)
