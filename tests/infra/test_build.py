"""The build engine: a builder gets exactly what it declares it reads, returns what it says,
and the stack records which blocks each component made. A toy cloud of null resources stands
in for a real one (pure logic: nothing is synthesized)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cdktf import App, TerraformResource, TerraformStack

from infra.build import BuildContext, Builder, BuildError, Cloud, SystemStack, builder
from infra.config import ProjectConfig, parse_config
from infra.logical import SYSTEM, Kind
from tests.infra.conftest import AWS_TOML


class Made:
    """A toy component output."""

    def __init__(self, resource: TerraformResource) -> None:
        self.resource = resource


def _null(ctx: BuildContext) -> Made:
    return Made(TerraformResource(ctx.stack, ctx.id, terraform_resource_type="null_resource"))


def _toy(**overrides: Callable[[BuildContext], Any] | Builder) -> Cloud:
    """A cloud where each kind makes one null resource and reads nothing, but for overrides."""
    builders = []
    for component in SYSTEM:
        override = overrides.get(component.kind.value)
        if isinstance(override, Builder):
            builders.append(override)
        else:
            builders.append(Builder(component.kind, (), override or _null, Made))
    return Cloud("toy", lambda stack, config: None, tuple(builders))


@pytest.fixture(scope="module")
def config() -> ProjectConfig:
    return parse_config(tomllib.loads(AWS_TOML))


def _stack(cloud: Cloud, config: ProjectConfig, tmp_path: Path) -> SystemStack:
    return SystemStack(App(outdir=str(tmp_path)), cloud, config)


def test_a_declared_read_gets_the_typed_output(config: ProjectConfig, tmp_path: Path) -> None:
    seen: list[Made] = []

    def bucket(ctx: BuildContext) -> Made:
        seen.append(ctx.read(Kind.KEY, Made))
        return _null(ctx)

    stack = _stack(_toy(bucket=Builder(Kind.BUCKET, (Kind.KEY,), bucket, Made)), config, tmp_path)
    assert seen and seen[0].resource.node.id == "key"
    assert stack.owners["bucket"] == ["null_resource.bucket"]
    assert stack.owners["key"] == ["null_resource.key"]
    assert stack.unowned == []


def test_reading_an_undeclared_component_is_refused(config: ProjectConfig, tmp_path: Path) -> None:
    def bucket(ctx: BuildContext) -> Made:
        ctx.read(Kind.KEY, Made)
        return _null(ctx)

    with pytest.raises(BuildError, match="bucket builder reads key without declaring it"):
        _stack(_toy(bucket=bucket), config, tmp_path)


def test_a_declared_read_that_never_happens_is_refused(
    config: ProjectConfig, tmp_path: Path
) -> None:
    cloud = _toy(bucket=Builder(Kind.BUCKET, (Kind.KEY,), _null, Made))
    with pytest.raises(BuildError, match="declares it reads key but does not"):
        _stack(cloud, config, tmp_path)


def test_reading_as_the_wrong_type_is_refused(config: ProjectConfig, tmp_path: Path) -> None:
    def bucket(ctx: BuildContext) -> Made:
        ctx.read(Kind.KEY, str)
        return _null(ctx)

    cloud = _toy(bucket=Builder(Kind.BUCKET, (Kind.KEY,), bucket, Made))
    with pytest.raises(BuildError, match="reads key as str, but it is a Made"):
        _stack(cloud, config, tmp_path)


def test_a_builder_must_return_its_declared_type(config: ProjectConfig, tmp_path: Path) -> None:
    cloud = _toy(key=Builder(Kind.KEY, (), lambda ctx: "not made", Made))
    with pytest.raises(BuildError, match="returned a str, not Made"):
        _stack(cloud, config, tmp_path)


def test_reading_a_later_component_is_refused_before_building() -> None:
    cloud = _toy(key=Builder(Kind.KEY, (Kind.BUDGET,), _null, Made))
    with pytest.raises(BuildError, match="reads budget, built after key"):
        cloud.check()


def test_every_kind_needs_exactly_one_builder() -> None:
    cloud = _toy()
    short = Cloud("toy", cloud.provider, cloud.builders[1:])
    with pytest.raises(BuildError, match="0 builders for component kind"):
        short.check()


def test_blocks_made_outside_a_builder_are_reported(config: ProjectConfig, tmp_path: Path) -> None:
    def provider(stack: TerraformStack, config: ProjectConfig) -> None:
        TerraformResource(stack, "stray", terraform_resource_type="null_resource")

    cloud = Cloud("toy", provider, _toy().builders)
    assert _stack(cloud, config, tmp_path).unowned == ["null_resource.stray"]


def test_the_decorator_takes_the_return_annotation() -> None:
    @builder(Kind.KEY, reads=(Kind.ACCOUNT,))
    def build_key(ctx: BuildContext) -> dict[str, Made]:
        return {}

    assert (build_key.kind, build_key.reads, build_key.returns) == (Kind.KEY, (Kind.ACCOUNT,), dict)


def test_a_builder_that_creates_nothing_must_say_why(config: ProjectConfig, tmp_path: Path) -> None:
    def nothing(ctx: BuildContext) -> Made:
        return Made(None)  # type: ignore[arg-type]

    def said(ctx: BuildContext) -> Made:
        ctx.blockless("settings only")
        return Made(None)  # type: ignore[arg-type]

    with pytest.raises(BuildError, match="creates no Terraform block and does not say why"):
        _stack(_toy(key=nothing), config, tmp_path)
    stack = _stack(_toy(key=said), config, tmp_path / "said")
    assert stack.owners["key"] == []
    assert stack.blockless["key"] == "settings only"
    assert stack.blockless["bucket"] is None


def test_a_blockless_builder_may_not_create_blocks(config: ProjectConfig, tmp_path: Path) -> None:
    def liar(ctx: BuildContext) -> Made:
        ctx.blockless("settings only")
        return _null(ctx)

    with pytest.raises(BuildError, match=r"says it is blockless but creates null_resource\.key"):
        _stack(_toy(key=liar), config, tmp_path)
