"""What every builder gets: the stack to add resources to, the configuration, and what the
components it needs have built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cdktf import TerraformOutput, TerraformStack

from infra.config import ProjectConfig
from infra.logical import SYSTEM, Component, Kind

# Terraform state, relative to the stack's directory (cdktf.out/stacks/<cloud>/): the project
# root, where cdktf's default also puts it (but as an absolute path, which would make the
# synthesized JSON depend on the working directory).
STATE_PATH = "../../../terraform.{cloud}.tfstate"


@dataclass
class BuildContext:
    stack: TerraformStack
    config: ProjectConfig
    built: dict[str, Any] = field(default_factory=dict)

    def output(self, name: str, value: Any, description: str) -> None:
        TerraformOutput(self.stack, f"output_{name}", value=value, description=description)
        # cdktf names outputs by construct id; keep the plain name in Terraform.
        self.stack.node.find_child(f"output_{name}").override_logical_id(name)  # type: ignore[attr-defined]


Builder = Callable[[BuildContext, Component], Any]


def build_system(ctx: BuildContext, builders: Mapping[Kind, Builder]) -> None:
    """Build every logical component, in order, with its cloud's builder."""
    missing = [kind.value for kind in Kind if kind not in builders]
    if missing:
        raise NotImplementedError(f"no builder for component kinds: {', '.join(missing)}")
    for component in SYSTEM:
        ctx.built[component.id] = builders[component.kind](ctx, component)
