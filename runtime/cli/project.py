"""The mlpoc project the cloud commands act on: its root (where cdktf.json is), its
mlpoc.toml, the chosen cloud, and what that cloud's stack left in its local state.

Each failure is a `UserError` naming what to do (one line, exit code 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.cli.base import fail

if TYPE_CHECKING:
    from adapters.settings import Settings
    from infra.config import ProjectConfig


@dataclass(frozen=True)
class Project:
    root: Path  # holds cdktf.json; Terraform state and cdktf.out live here
    config_path: Path
    outdir: Path  # cdktf.out (a rehearsal uses its own)

    @cached_property
    def config(self) -> ProjectConfig:
        from infra.config import load_config

        return load_config(self.config_path)  # ConfigError names each bad field: exit 2

    @property
    def cloud(self) -> str:
        return self.config.cloud

    @property
    def stack_dir(self) -> Path:
        return self.outdir / "stacks" / self.cloud

    @property
    def state_path(self) -> Path:
        from infra.state import state_path

        return state_path(self.outdir.parent, self.cloud)

    def outputs(self) -> dict[str, Any] | None:
        """The deployed stack's outputs, or None if this project has deployed nothing."""
        from infra.state import StateError, read_outputs

        try:
            return read_outputs(self.state_path)
        except StateError as exc:
            fail(str(exc))

    def deployed(self) -> Deployed:
        outputs = self.outputs()
        if outputs is None:
            fail(
                f"no deployed {self.cloud} stack here ({self.state_path} holds none): "
                "deploy it with `mlpoc deploy`"
            )
        return Deployed(self.cloud, outputs)


@dataclass(frozen=True)
class Deployed:
    """A deployed stack's outputs, as the CLI uses them."""

    cloud: str
    outputs: dict[str, Any]

    @property
    def url(self) -> str | None:
        url = self.outputs.get("service_url")
        return str(url) if url else None

    @property
    def environment(self) -> dict[str, str]:
        """The MLPOC_* settings the deployed API and worker run with (the `settings` output)."""
        value = self.outputs.get("settings")
        if not isinstance(value, dict):
            fail("the deployed stack has no `settings` output: deploy this version with mlpoc")
        return {str(k): str(v) for k, v in value.items()}

    def settings(self) -> Settings:
        """Backend settings pointing at the deployed stack's resources."""
        from adapters.settings import Settings

        fields = {
            name: self.environment[Settings.env_name(name)]
            for name in Settings.model_fields
            if Settings.env_name(name) in self.environment
        }
        return Settings.load(**fields)


OUTDIR_ENV = "MLPOC_CDKTF_OUTDIR"


def load_project(root: Path | None = None, outdir: Path | None = None) -> Project:
    """The project in the current directory (or `root`): cdktf.json and mlpoc.toml must be
    there ($MLPOC_CONFIG points at another project file; $MLPOC_CDKTF_OUTDIR moves cdktf.out
    and with it the state, which lives beside it)."""
    from infra.config import CONFIG_ENV, DEFAULT_PATH

    root = (root or Path.cwd()).resolve()
    configured = os.environ.get(CONFIG_ENV)
    config_path = Path(configured) if configured else root / DEFAULT_PATH
    if not config_path.is_file():
        fail(
            f"no project file {config_path}: write one with `mlpoc init --cloud aws|gcp ...`, "
            f"or point {CONFIG_ENV} at it"
        )
    outdir = outdir or Path(os.environ.get(OUTDIR_ENV) or root / "cdktf.out")
    project = Project(root, config_path.resolve(), outdir.resolve())
    _ = project.config  # validate now: a bad field is the first thing the user hears
    if not (root / "cdktf.json").is_file():
        fail(f"no cdktf.json in {root}: run this from the mlpoc project's root directory")
    return project


def deployed_url() -> str | None:
    """The API URL of the stack deployed from the current directory, if there is one (quietly
    None when there is no project here: the data commands then use their default)."""
    from infra.config import CONFIG_ENV, DEFAULT_PATH, ConfigError

    root = Path.cwd()
    config_path = Path(os.environ.get(CONFIG_ENV) or root / DEFAULT_PATH)
    if not (root / "cdktf.json").is_file() or not config_path.is_file():
        return None
    try:
        project = Project(root, config_path, Path(os.environ.get(OUTDIR_ENV) or root / "cdktf.out"))
        outputs = project.outputs()
    except ConfigError:
        return None
    return Deployed(project.cloud, outputs).url if outputs else None
