"""A deployed stack's outputs, read from its local Terraform state (`terraform.<cloud>.tfstate`
beside cdktf.json, where the stacks' local backend keeps it). Reading needs no terraform, no
network and no credentials; nothing here imports cdktf."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FILE = "terraform.{cloud}.tfstate"


class StateError(RuntimeError):
    """The state file exists but cannot be read."""


def state_path(root: Path, cloud: str) -> Path:
    return root / STATE_FILE.format(cloud=cloud)


def read_outputs(path: Path) -> dict[str, Any] | None:
    """Every output's value by name, or None if nothing was deployed (no state, or an empty
    one after a destroy)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise StateError(f"{path}: not a readable Terraform state ({exc})") from None
    outputs = state.get("outputs") or {}
    if not outputs and not state.get("resources"):
        return None
    return {name: entry.get("value") for name, entry in outputs.items()}
