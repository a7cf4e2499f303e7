"""Base classes of mlpoc.toml's sections, shared by `infra.config` and each cloud's own
section (`infra/<cloud>/config.py`). Nothing here imports cdktf."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from infra.config import ProjectConfig


class Section(BaseModel):
    """A table of mlpoc.toml: unknown keys are errors, values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CloudSection(Section):
    """A cloud's own table, `[<cloud>]`, defined by its package (`infra/<cloud>/config.py`)
    and added to `ProjectConfig` through the registry (`infra.clouds`). Every cloud's table is
    validated; only the chosen cloud's `problems` are asked."""

    CLOUD: ClassVar[str]
    DEFAULT_REGION: ClassVar[str]
    # Terraform providers the stack requires: source address -> exact version (that of the
    # prebuilt cdktf provider pinned in pyproject.toml; a test checks the synthesized stack).
    TERRAFORM_PROVIDERS: ClassVar[dict[str, str]]

    # Bucket names are global on both clouds: each section redeclares this with its rule.
    bucket_name: str | None = None

    def problems(self, config: ProjectConfig) -> list[str]:
        """What else this cloud needs once [project].cloud names it, one message each,
        naming the field (e.g. "[gcp].project_id is required when [project].cloud = 'gcp'")."""
        return []

    @classmethod
    def of(cls, config: ProjectConfig) -> Self:
        """This cloud's section of `config` (typed), which must be the chosen cloud's."""
        section = config.section()
        if not isinstance(section, cls):
            raise TypeError(f"{cls.__name__} asked of a {config.cloud} project")
        return section
