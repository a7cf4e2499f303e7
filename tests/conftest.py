"""Session fixtures shared by every suite: one rig per backend, started on first use.

`rig` is parametrized over the backends, so a test that takes it (or `adapters`) runs once
per backend with ids ending in [local], [aws], [gcp]. Servers start once per session,
bound to 127.0.0.1, and are stopped by process group at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.contract.gaps import KNOWN_GAPS
from tests.rigs.base import Rig

BACKENDS = ("local", "aws", "gcp")
SKIP_GCP = os.environ.get("MLPOC_SKIP_GCP") == "1"


@pytest.fixture(scope="session")
def local_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    from tests.rigs.local import LocalRig

    yield LocalRig(tmp_path_factory.mktemp("local-rig"))


@pytest.fixture(scope="session")
def aws_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    from tests.rigs.aws import AwsRig

    rig = AwsRig.start(tmp_path_factory.mktemp("aws-rig"))
    try:
        yield rig
    finally:
        rig.stop()


@pytest.fixture(scope="session")
def gcp_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    if SKIP_GCP:
        pytest.skip("MLPOC_SKIP_GCP=1: GCP emulators skipped on request")
    from tests.rigs.gcp import GcpRig

    rig = GcpRig.start(tmp_path_factory.mktemp("gcp-rig"))
    try:
        yield rig
    finally:
        rig.stop()


def _backend_rig(request: pytest.FixtureRequest) -> Rig:
    backend = request.param
    gap = KNOWN_GAPS.get(backend, {}).get(getattr(request.node, "originalname", ""))
    if gap:
        pytest.skip(f"known {backend} emulator gap: {gap}")
    fixture: Rig = request.getfixturevalue(f"{backend}_rig")
    return fixture


@pytest.fixture(params=BACKENDS)
def rig(request: pytest.FixtureRequest) -> Rig:
    return _backend_rig(request)


@pytest.fixture(scope="module", params=BACKENDS)
def module_rig(request: pytest.FixtureRequest) -> Rig:
    """`rig` for module-scoped fixtures (state built once and shared by a module's tests)."""
    return _backend_rig(request)


# Fixtures parametrized over BACKENDS: their [aws] and [gcp] runs carry the `aws` and `gcp`
# markers, so `-m "not gcp"` deselects every test that needs Google's emulators.
RIG_FIXTURES = ("rig", "module_rig")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        backends = {params[name] for name in RIG_FIXTURES if name in params}
        fixtures = getattr(item, "fixturenames", ())
        backends |= {backend for backend in ("aws", "gcp") if f"{backend}_rig" in fixtures}
        for backend in sorted(backends & {"aws", "gcp"}):
            item.add_marker(backend)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SKIP_GCP:
        terminalreporter.write_line(
            "NOTE: MLPOC_SKIP_GCP=1 - every [gcp] test was skipped on request, "
            "the GCP backend is NOT proven by this run.",
            yellow=True,
        )
