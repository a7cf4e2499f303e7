"""API fixtures: an app over fresh backend resources on the local rig or on every rig
(helpers: tests.support.api)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rigs.base import Rig
from tests.support.api import Api, make_api


@pytest.fixture
def api(rig: Rig) -> Iterator[Api]:
    """The app over fresh resources, once per backend (local, moto, Google's emulators)."""
    made = make_api(rig)
    with made.client:
        yield made
