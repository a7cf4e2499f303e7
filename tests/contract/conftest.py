"""Fixtures of the contract suite: fresh adapters per test, on every backend.

`adapters` asks the parametrized `rig` (tests/conftest.py) for fresh resources, so each test
runs once per backend ([local], [aws], [gcp]) and sees nothing another test wrote. The
collections and helpers the test bodies share are in tests.support.contract.
"""

from __future__ import annotations

import pytest

from adapters import Adapters, BlobStore, DocumentStore, JobQueue
from tests.rigs.base import Rig
from tests.support.contract import CONTRACT_COLLECTIONS


@pytest.fixture
def adapters(rig: Rig) -> Adapters:
    return rig.adapters(CONTRACT_COLLECTIONS)


@pytest.fixture
def blobs(adapters: Adapters) -> BlobStore:
    return adapters.blobs


@pytest.fixture
def queue(adapters: Adapters) -> JobQueue:
    return adapters.queue


@pytest.fixture
def documents(adapters: Adapters) -> DocumentStore:
    return adapters.documents
