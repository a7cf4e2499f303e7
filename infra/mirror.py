"""Where Terraform gets the providers a stack needs: the public registry, or a filesystem
mirror (a machine that reaches no Terraform registry: a corporate proxy, CI, this image).

`provider_source(providers, workdir)` decides, in this order:

1. `$MLPOC_TF_PROVIDER_MIRROR`: that directory must hold every provider (else an error);
2. a Terraform CLI configuration the user already has (`$TF_CLI_CONFIG_FILE`, else
   `~/.terraformrc`), used as it is;
3. a mirror in a usual place (`MIRROR_CANDIDATES`) holding every provider;
4. the public registry.

For a mirror, it writes a CLI configuration (`filesystem_mirror` for those providers, direct
registry access forbidden) into `workdir` and returns `TF_CLI_CONFIG_FILE` for it. With any
mirror, the cdktf CLI must skip its `terraform providers lock` (which asks the registry even
when a mirror is configured): `terraform init` then writes the lock file from the mirror.
Nothing here imports cdktf or runs terraform.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIRROR_ENV = "MLPOC_TF_PROVIDER_MIRROR"
CLI_CONFIG_ENV = "TF_CLI_CONFIG_FILE"
CLI_CONFIG_NAME = "terraform.tfrc"
REGISTRY = "registry.terraform.io"
# Where a machine image or a developer usually keeps an unpacked provider mirror.
MIRROR_CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    Path.home() / ".terraform.d" / "plugins",
)


class ProviderSourceError(RuntimeError):
    """A configured mirror lacks a provider; the message says which and where."""


@dataclass(frozen=True, order=True)
class Provider:
    source: str  # registry.terraform.io/hashicorp/aws
    version: str  # an exact version: the prebuilt cdktf providers pin one

    @property
    def short(self) -> str:
        return f"{self.source.removeprefix(REGISTRY + '/')} {self.version}"


def required_providers(stack: Mapping[str, Any]) -> list[Provider]:
    """The providers a synthesized stack (cdk.tf.json) requires, with full source addresses."""
    found = []
    for name, spec in stack.get("terraform", {}).get("required_providers", {}).items():
        source = spec.get("source", name)
        parts = source.split("/")
        if len(parts) == 1:
            parts = ["hashicorp", *parts]
        if len(parts) == 2:
            parts = [REGISTRY, *parts]
        found.append(Provider("/".join(parts), str(spec.get("version", ""))))
    return sorted(found)


def mirror_has(mirror: Path, provider: Provider) -> bool:
    """An unpacked (`<source>/<version>/<os_arch>/terraform-provider-*`) or packed
    (`<source>/terraform-provider-<type>_<version>_<os_arch>.zip`) copy of `provider`."""
    kind = provider.source.rsplit("/", 1)[1]
    unpacked = mirror / provider.source / provider.version
    packed = mirror / provider.source
    return any(unpacked.glob(f"*/terraform-provider-{kind}_*")) or any(
        packed.glob(f"terraform-provider-{kind}_{provider.version}_*.zip")
    )


def cli_config(mirror: Path, providers: Iterable[Provider]) -> str:
    """A CLI configuration that installs `providers` from `mirror` and nothing from the
    registry (init fails loudly rather than reach the network)."""
    sources = sorted({p.source for p in providers})
    return (
        "# Written by mlpoc: providers from a filesystem mirror, never from the registry.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        f"    include = {json.dumps(sources)}\n"
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{REGISTRY}/*/*"]\n'
        "  }\n"
        "}\n"
    )


@dataclass
class ProviderSource:
    """How Terraform will get the providers, and the environment that makes it so."""

    kind: str  # "mirror", "your CLI configuration" or "registry"
    detail: str  # where: a path, or the registry's host
    providers: list[Provider]
    env: dict[str, str] = field(default_factory=dict)
    skip_provider_lock: bool = False
    missing: list[Provider] = field(default_factory=list)  # not in the mirror

    def describe(self) -> str:
        names = ", ".join(p.short for p in self.providers)
        if self.kind == "registry":
            return f"the Terraform registry ({REGISTRY}; needs network access) for {names}"
        return f"{self.kind} {self.detail} for {names}"


def _user_cli_config() -> Path | None:
    configured = os.environ.get(CLI_CONFIG_ENV)
    candidates = [Path(configured)] if configured else [Path.home() / ".terraformrc"]
    return next((path for path in candidates if path.is_file()), None)


def _has_mirror_block(text: str) -> bool:
    return re.search(r"\b(filesystem_mirror|network_mirror)\b", text) is not None


def provider_source(
    providers: Sequence[Provider],
    workdir: Path,
    candidates: Sequence[Path] = MIRROR_CANDIDATES,
) -> ProviderSource:
    """Decide where the providers come from (module docstring); may write
    `workdir/terraform.tfrc`. Raises ProviderSourceError if $MLPOC_TF_PROVIDER_MIRROR lacks
    one."""
    providers = sorted(providers)
    explicit = os.environ.get(MIRROR_ENV)
    if explicit:
        mirror = Path(explicit)
        missing = [p for p in providers if not mirror_has(mirror, p)]
        if missing:
            raise ProviderSourceError(
                f"{MIRROR_ENV}={mirror} lacks {', '.join(p.short for p in missing)} (expected "
                f"<mirror>/<source>/<version>/<os_arch>/terraform-provider-*)"
            )
        return _mirror(mirror, providers, workdir)
    user = _user_cli_config()
    if user is not None:
        mirrored = _has_mirror_block(user.read_text(errors="replace"))
        return ProviderSource(
            "your CLI configuration",
            str(user),
            providers,
            {CLI_CONFIG_ENV: str(user)},
            skip_provider_lock=mirrored,
        )
    for mirror in candidates:
        if providers and all(mirror_has(mirror, p) for p in providers):
            return _mirror(mirror, providers, workdir)
    partial = next((m for m in candidates if any(mirror_has(m, p) for p in providers)), None)
    missing = [p for p in providers if partial and not mirror_has(partial, p)]
    # A stale TF_CLI_CONFIG_FILE naming no file only makes terraform warn: leave it out.
    env = {CLI_CONFIG_ENV: ""} if os.environ.get(CLI_CONFIG_ENV) else {}
    return ProviderSource("registry", REGISTRY, providers, env, missing=missing)


def _mirror(mirror: Path, providers: list[Provider], workdir: Path) -> ProviderSource:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / CLI_CONFIG_NAME
    config.write_text(cli_config(mirror, providers), encoding="utf-8")
    return ProviderSource(
        "mirror", str(mirror), providers, {CLI_CONFIG_ENV: str(config)}, skip_provider_lock=True
    )
