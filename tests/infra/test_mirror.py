"""Where Terraform gets the providers (infra.mirror): an explicit mirror must hold them all,
a user's CLI configuration is used as it is, a usual mirror is found, else the registry; the
providers each cloud declares are the synthesized stacks' own."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.clouds import section
from infra.mirror import (
    CLI_CONFIG_ENV,
    MIRROR_ENV,
    Provider,
    ProviderSourceError,
    cli_config,
    mirror_has,
    provider_source,
    required_providers,
)
from tests.infra.conftest import Synth

AWS = Provider("registry.terraform.io/hashicorp/aws", "5.100.0")
GOOGLE = Provider("registry.terraform.io/hashicorp/google", "6.50.0")


def _mirror(root: Path, *providers: Provider) -> Path:
    for provider in providers:
        kind = provider.source.rsplit("/", 1)[1]
        folder = root / provider.source / provider.version / "linux_amd64"
        folder.mkdir(parents=True)
        (folder / f"terraform-provider-{kind}_v{provider.version}_x5").write_bytes(b"")
    return root


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    monkeypatch.delenv(CLI_CONFIG_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_each_cloud_declares_the_providers_its_stack_requires(synth: Synth) -> None:
    declared = section(synth.cloud).TERRAFORM_PROVIDERS
    assert {p.source: p.version for p in required_providers(synth.tf)} == declared


def test_a_mirror_holding_every_provider_is_used_without_the_registry(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "mirror", AWS)
    source = provider_source([AWS], tmp_path / "out", candidates=[tmp_path / "x", mirror])
    assert (source.kind, source.detail, source.skip_provider_lock) == ("mirror", str(mirror), True)
    config = Path(source.env[CLI_CONFIG_ENV]).read_text()
    assert config == cli_config(mirror, [AWS])
    assert f'path    = "{mirror}"' in config and '"registry.terraform.io/hashicorp/aws"' in config
    assert 'exclude = ["registry.terraform.io/*/*"]' in config


def test_a_mirror_lacking_a_provider_means_the_registry(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "mirror", AWS)
    source = provider_source([AWS, GOOGLE], tmp_path / "out", candidates=[mirror])
    assert source.kind == "registry" and not source.skip_provider_lock
    assert source.missing == [GOOGLE], "the doctor says what the mirror lacks"
    assert "needs network access" in source.describe()
    assert not (tmp_path / "out").exists(), "nothing written for the registry"


def test_an_explicit_mirror_must_hold_every_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MIRROR_ENV, str(_mirror(tmp_path / "mirror", AWS)))
    assert provider_source([AWS], tmp_path / "out", candidates=[]).kind == "mirror"
    with pytest.raises(ProviderSourceError, match=r"lacks hashicorp/google 6\.50\.0"):
        provider_source([AWS, GOOGLE], tmp_path / "out", candidates=[])


def test_the_users_own_cli_configuration_is_used_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "my.tfrc"
    mine.write_text('provider_installation {\n  network_mirror { url = "https://m/" }\n}\n')
    monkeypatch.setenv(CLI_CONFIG_ENV, str(mine))
    source = provider_source([AWS], tmp_path / "out", candidates=[_mirror(tmp_path / "m", AWS)])
    assert (source.kind, source.env, source.skip_provider_lock) == (
        "your CLI configuration",
        {CLI_CONFIG_ENV: str(mine)},
        True,
    )
    # A variable naming no file (a stale setting) is not a configuration.
    monkeypatch.setenv(CLI_CONFIG_ENV, str(tmp_path / "absent"))
    assert provider_source([AWS], tmp_path / "out", candidates=[]).kind == "registry"


def test_packed_mirrors_count_too(tmp_path: Path) -> None:
    packed = tmp_path / AWS.source
    packed.mkdir(parents=True)
    (packed / "terraform-provider-aws_5.100.0_linux_amd64.zip").write_bytes(b"")
    assert mirror_has(tmp_path, AWS) and not mirror_has(tmp_path, GOOGLE)
