"""mlpoc.toml's [gcp] section and the names derived from it (no cdktf here: `mlpoc init`
and the config checks read it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from infra.sections import CloudSection

if TYPE_CHECKING:
    from infra.config import ProjectConfig


class GcpSection(CloudSection):
    CLOUD: ClassVar[str] = "gcp"
    DEFAULT_REGION: ClassVar[str] = "europe-west1"
    TERRAFORM_PROVIDERS: ClassVar[dict[str, str]] = {
        "registry.terraform.io/hashicorp/google": "6.50.0"
    }

    project_id: str | None = Field(None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    billing_account: str | None = Field(None, pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
    # App Engine's location id; default: the region ("europe-west1" -> "europe-west").
    app_engine_location: str | None = None
    bucket_name: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
    # How long Cloud Logging keeps the project's logs (its _Default bucket: the services' own
    # logs and the Data Access audit logs). Google's default is 30.
    log_retention_days: int = Field(30, ge=1, le=3650)

    def problems(self, config: ProjectConfig) -> list[str]:
        found = [
            f"[gcp].{name} is required when [project].cloud = 'gcp'"
            for name in ("project_id", "billing_account")
            if not getattr(self, name)
        ]
        found += [
            f"[{name}].min_instances must be >= 1 on App Engine flexible"
            for name in ("api", "worker")
            if getattr(config, name).min_instances < 1
        ]
        if config.worker.spot:
            found.append(
                "[worker].spot = true is not available on App Engine flexible: its VMs are "
                "never Spot or preemptible (lower [worker].cpu/memory_gb for a cheaper worker)"
            )
        return found


def project_id(config: ProjectConfig) -> str:
    """The GCP project id (`problems` makes sure a GCP project has one)."""
    found = GcpSection.of(config).project_id
    assert found, "checked by GcpSection.problems"
    return found


def billing_account(config: ProjectConfig) -> str:
    """The billing account (`problems` makes sure a GCP project has one)."""
    found = GcpSection.of(config).billing_account
    assert found, "checked by GcpSection.problems"
    return found


def app_engine_location(config: ProjectConfig) -> str:
    """App Engine's location id: [gcp].app_engine_location, else derived from the region."""
    section = GcpSection.of(config)
    if section.app_engine_location:
        return section.app_engine_location
    region = config.project.region
    # App Engine spells its two oldest regions without the trailing 1.
    return region[:-1] if region in ("us-central1", "europe-west1") else region


def firestore_database(config: ProjectConfig) -> str:
    """The stack's named Firestore database (App Engine owns "(default)"'s mode)."""
    return f"{config.name}-docs"


def operator_database(config: ProjectConfig) -> str:
    """The Firestore database of the collections only operators write (API keys): Firestore
    IAM stops at the database, so keeping them apart is what lets the API only read them."""
    return f"{config.name}-keys"


SECTION = GcpSection
