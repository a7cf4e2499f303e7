"""requirements.lock, what the runtime image installs with `pip install --require-hashes`:
exactly the distributions the runtime and both clouds' SDKs need, each at its constraints.txt
pin, each with its files' hashes. (Regenerate with scripts/lock.sh; it needs PyPI, this test
does not: it reads pyproject.toml and the installed metadata of this environment, built from
constraints.txt.)"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
IMAGE_EXTRAS = ("aws", "gcp")
# What the image's Python sees: python:3.11-slim is Linux, CPython 3.11.
IMAGE_ENVIRONMENT = default_environment() | {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "python_version": "3.11",
    "implementation_name": "cpython",
}
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: \\)?$")
_HASH = re.compile(r"^\s+--hash=sha256:([0-9a-f]{64})(?: \\)?$")


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sha256 hashes) of every entry of requirements.lock."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current: str | None = None
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        entry, digest = _ENTRY.match(line), _HASH.match(line)
        if entry:
            current = canonicalize_name(entry.group(1))
            entries[current] = (entry.group(2), [])
        elif digest and current:
            entries[current][1].append(digest.group(1))
        else:
            raise AssertionError(f"requirements.lock: unexpected line {line!r}")
    return entries


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def requirements(name: str, extras: tuple[str, ...]) -> list[Requirement]:
    """What `name` requires: the project's own from pyproject.toml (its editable install's
    metadata is as old as the last `make install`), every other's from its installed metadata
    (a distribution missing here fails the test: constraints.txt lacks it)."""
    if name == "mlpoc":
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        optional = project["optional-dependencies"]
        specs = [*project["dependencies"], *(s for e in extras for s in optional[e])]
    else:
        specs = importlib.metadata.requires(name) or []
    return [Requirement(spec) for spec in specs]


def needed(extras: tuple[str, ...] = IMAGE_EXTRAS) -> set[str]:
    """Every distribution `pip install .[aws,gcp]` installs on the image (requirements,
    their extras and markers, followed to the bottom)."""
    found: set[str] = set()
    pending = [("mlpoc", extras)]
    while pending:
        name, wanted = pending.pop()
        for requirement in requirements(name, wanted):
            marker = requirement.marker
            if marker and not any(
                marker.evaluate(IMAGE_ENVIRONMENT | {"extra": extra}) for extra in ("", *wanted)
            ):
                continue
            child = canonicalize_name(requirement.name)
            if child not in found:
                found.add(child)
                pending.append((child, tuple(requirement.extras)))
    return found


def test_the_lock_holds_exactly_what_the_image_needs() -> None:
    entries = locked()
    assert set(entries) == needed(), (
        "requirements.lock is stale: run scripts/lock.sh (missing: "
        f"{sorted(needed() - set(entries))}, extra: {sorted(set(entries) - needed())})"
    )


def test_every_locked_version_is_the_constraints_pin_and_has_hashes() -> None:
    pins = constraints()
    for name, (version, hashes) in locked().items():
        assert pins.get(name) == version, f"{name}: lock {version}, constraints {pins.get(name)}"
        assert hashes, f"{name} has no hash"
        assert len(set(hashes)) == len(hashes), name


def test_the_walk_follows_extras_and_markers() -> None:
    # boto3 arrives only through the aws extra, google-cloud-firestore through gcp ...
    assert {"boto3", "google-cloud-firestore", "fastapi"} <= needed()
    assert "boto3" not in needed(extras=("gcp",))
    # ... and nothing of infra or the test tools ever does.
    assert not {"cdktf", "pytest", "moto"} & needed()
