"""The clouds mlpoc deploys to: one line per cloud package.

A cloud package `infra/<name>/` holds:

- `config.py`: `SECTION`, its table of mlpoc.toml (`[<name>]`, a `CloudSection`; no cdktf);
- `stack.py`: `CLOUD`, its provider and one builder per logical component kind
  (`infra.build.Cloud`), in modules of one concern each;
- optionally `emulator.py`: the stack bent to fit a local emulator (`mlpoc rehearse`).

Adding a cloud is that package plus its name below; `infra.config`, `infra.main` and the
parity test take every registered cloud from here and name none.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.build import Cloud
    from infra.sections import CloudSection

CLOUDS: tuple[str, ...] = ("aws", "gcp")
# Set by `mlpoc rehearse`: the app then writes the stack's emulator variant instead.
EMULATOR_ENDPOINT_ENV = "MLPOC_EMULATOR_ENDPOINT"


def section(name: str) -> type[CloudSection]:
    """The `[<name>]` section model (imports no cdktf)."""
    module = importlib.import_module(f"infra.{name}.config")
    found: type[CloudSection] = module.SECTION
    return found


def emulator(name: str) -> ModuleType:
    """The cloud's emulator variant (`infra/<name>/emulator.py`, `rewrite(path, endpoint)`);
    LookupError if Terraform cannot apply that cloud's stack to an emulator."""
    try:
        return importlib.import_module(f"infra.{name}.emulator")
    except ModuleNotFoundError as exc:
        if exc.name != f"infra.{name}.emulator":
            raise
        raise LookupError(f"no emulator variant of the {name} stack") from None


def cloud(name: str) -> Cloud:
    """The cloud's stack definition (imports cdktf and that cloud's provider only)."""
    if name not in CLOUDS:
        raise KeyError(f"unknown cloud {name!r} (known: {', '.join(CLOUDS)})")
    module = importlib.import_module(f"infra.{name}.stack")
    found: Cloud = module.CLOUD
    return found
