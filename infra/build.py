"""How a cloud builds the logical system (`infra.logical.SYSTEM`).

A cloud is a provider plus one `Builder` per component kind (`Cloud`). Each builder declares
the kinds it reads (`@builder(Kind.X, reads=(...))`), gets exactly those through
`BuildContext.read` (reading anything else is an error, and so is declaring a read that never
happens), and returns a typed value: whatever builders that read its kind need (a resource, or
a small dataclass of them). `SystemStack` runs the builders in SYSTEM order and records which
Terraform resources and data sources each component created (`SystemStack.owners`): the parity
test checks that every block of both synthesized stacks belongs to a component. A builder
creates at least one block, unless it says why not (`ctx.blockless(why)`): a component that is,
on that cloud, only settings another component applies, or optional and off.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cdktf import (
    LocalBackend,
    TerraformDataSource,
    TerraformOutput,
    TerraformResource,
    TerraformStack,
)
from constructs import Construct, IConstruct

from infra.config import ProjectConfig
from infra.logical import SYSTEM, Component, Kind
from infra.state import STATE_FILE

T = TypeVar("T")

# Terraform state, relative to the stack's directory (cdktf.out/stacks/<cloud>/): the project
# root, where cdktf's default also puts it (but as an absolute path, which would make the
# synthesized JSON depend on the working directory).
STATE_PATH = f"../../../{STATE_FILE}"


class BuildError(RuntimeError):
    """A cloud's builders do not fit the logical description (a programming error)."""


@dataclass(frozen=True)
class Builder:
    """How one cloud builds one kind of component."""

    kind: Kind
    reads: tuple[Kind, ...]
    build: Callable[[BuildContext], Any]
    returns: type

    @property
    def name(self) -> str:
        return f"{self.build.__module__}.{self.build.__name__}"


def builder(kind: Kind, *, reads: tuple[Kind, ...] = ()) -> Callable[[Callable[..., T]], Builder]:
    """Declare a function `(ctx: BuildContext) -> Output` as the builder of `kind` that reads
    the outputs of `reads`. The return annotation is the output type, checked after building.
    A builder creates at least one Terraform block, unless it calls `ctx.blockless(why)`."""

    def declare(build: Callable[..., T]) -> Builder:
        returns = typing.get_type_hints(build)["return"]
        return Builder(kind, tuple(reads), build, typing.get_origin(returns) or returns)

    return declare


@dataclass(frozen=True)
class Cloud:
    """A cloud's stack: its Terraform provider(s) and one builder per component kind."""

    name: str
    provider: Callable[[TerraformStack, ProjectConfig], None]
    builders: tuple[Builder, ...]

    @classmethod
    def from_package(
        cls, name: str, provider: Callable[[TerraformStack, ProjectConfig], None], package: str
    ) -> Cloud:
        """The cloud whose builders are every `@builder` in `package`'s modules (so a new
        component is a builder in the module of its concern, listed nowhere else)."""
        found: dict[str, Builder] = {}
        for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            module = importlib.import_module(f"{package}.{module_info.name}")
            for value in vars(module).values():
                if isinstance(value, Builder) and value.build.__module__ == module.__name__:
                    found[value.name] = value
        builders = sorted(found.values(), key=lambda b: [c.kind for c in SYSTEM].index(b.kind))
        return cls(name, provider, tuple(builders))

    def builder_of(self, kind: Kind) -> Builder:
        found = [b for b in self.builders if b.kind is kind]
        if len(found) != 1:
            raise BuildError(f"{self.name}: {len(found)} builders for component kind {kind}")
        return found[0]

    def check(self) -> None:
        """Every kind has exactly one builder, and each reads only kinds built before it."""
        built: set[Kind] = set()
        for component in SYSTEM:
            step = self.builder_of(component.kind)
            later = [kind.value for kind in step.reads if kind not in built]
            if later:
                raise BuildError(
                    f"{self.name}: {step.name} reads {', '.join(later)}, built after "
                    f"{component.id} (or never): reorder infra.logical.SYSTEM"
                )
            built.add(component.kind)
        extra = {b.kind for b in self.builders} - {c.kind for c in SYSTEM}
        if extra:
            raise BuildError(f"{self.name}: builders for kinds outside SYSTEM: {extra}")


@dataclass
class BuildContext:
    """What one builder sees: the stack, the configuration, its component, and the outputs of
    the components it declared it reads."""

    stack: TerraformStack
    config: ProjectConfig
    component: Component
    _declared: tuple[Kind, ...]
    _built: Mapping[Kind, Any]
    _read: set[Kind] = field(default_factory=set)
    _blockless: str | None = None

    @property
    def id(self) -> str:
        """The component's id: the Terraform name of its main resource, prefix of the rest."""
        return self.component.id

    def read(self, kind: Kind, as_type: type[T]) -> T:
        """The output of the `kind` component; it must be declared in `reads` and be a
        `as_type` (what that kind's builder on this cloud returns)."""
        if kind not in self._declared:
            raise BuildError(
                f"the {self.component.id} builder reads {kind.value} without declaring it "
                f"(add it to reads=)"
            )
        value = self._built[kind]
        if not isinstance(value, as_type):
            raise BuildError(
                f"the {self.component.id} builder reads {kind.value} as {as_type.__name__}, "
                f"but it is a {type(value).__name__}"
            )
        self._read.add(kind)
        return value

    def blockless(self, reason: str) -> None:
        """Say why this cloud has no Terraform block for the component this time (its output
        is settings other components apply, or what it would build is optional and off).
        Creating a block after saying so is an error, and so is creating none without."""
        self._blockless = reason

    def output(self, name: str, value: Any, description: str) -> None:
        TerraformOutput(self.stack, f"output_{name}", value=value, description=description)
        # cdktf names outputs by construct id; keep the plain name in Terraform.
        self.stack.node.find_child(f"output_{name}").override_logical_id(name)  # type: ignore[attr-defined]


def _addresses(children: Sequence[IConstruct]) -> list[str]:
    """The Terraform addresses of the resources and data sources among `children`."""
    found = []
    for child in children:
        if isinstance(child, TerraformResource):
            found.append(f"{child.terraform_resource_type}.{child.node.id}")
        elif isinstance(child, TerraformDataSource):
            found.append(f"data.{child.terraform_resource_type}.{child.node.id}")
    return found


class SystemStack(TerraformStack):
    """The logical system on one cloud: a stack named after the cloud, with local state."""

    def __init__(self, scope: Construct, cloud: Cloud, config: ProjectConfig) -> None:
        super().__init__(scope, cloud.name)
        cloud.check()
        # State beside cdktf.json, written relative to cdktf.out/stacks/<cloud>/.
        LocalBackend(self, path=STATE_PATH.format(cloud=cloud.name))
        cloud.provider(self, config)
        # Terraform addresses each component created, by component id.
        self.owners: dict[str, list[str]] = {}
        # Why a component has no block on this cloud, by component id (None: it has some).
        self.blockless: dict[str, str | None] = {}
        built: dict[Kind, Any] = {}
        # Constructs are appended to the stack's children in creation order.
        created = len(self.node.children)
        self.unowned = _addresses(self.node.children)  # a provider function's: none, says a test
        for component in SYSTEM:
            step = cloud.builder_of(component.kind)
            ctx = BuildContext(self, config, component, step.reads, built)
            value = step.build(ctx)
            if not isinstance(value, step.returns):
                raise BuildError(
                    f"{step.name} returned a {type(value).__name__}, not {step.returns.__name__}"
                )
            unread = [kind.value for kind in step.reads if kind not in ctx._read]
            if unread:
                raise BuildError(f"{step.name} declares it reads {', '.join(unread)} but does not")
            built[component.kind] = value
            children = self.node.children
            self.owners[component.id] = sorted(_addresses(children[created:]))
            created = len(children)
            if bool(self.owners[component.id]) == bool(ctx._blockless):
                raise BuildError(
                    f"{step.name} says it is blockless but creates "
                    f"{', '.join(self.owners[component.id])}"
                    if ctx._blockless
                    else f"{step.name} creates no Terraform block and does not say why "
                    "(ctx.blockless)"
                )
            self.blockless[component.id] = ctx._blockless
