"""A move that loses the compare-and-swap race (another move wrote between its read of the
alias and its write) is a 409 in one shape on every backend: the alias, the version it holds
now and the one the loser expected, none of the backend's own words or version tokens."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.registry import Registry
from runtime.schema import ALIASES
from tests.support.api import Api
from tests.support.registry import register


def test_a_lost_race_is_one_409_on_every_backend(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry(api.adapters)
    for accuracy in (0.5, 0.6, 0.7):
        register(registry, "race", {"accuracy": accuracy})
    registry.move_alias("race", "production", 1, expected=None)
    documents = api.adapters.documents
    update = documents.update
    winners: list[str] = []

    def racing_update(collection: str, doc_id: str, data: Any, *, expected_version: str) -> str:
        # The winner moves the alias after the loser read it at version 1, before its write.
        if collection == ALIASES.name and not winners:
            winners.append(doc_id)
            registry.move_alias("race", "production", 3, expected=1)
        return update(collection, doc_id, data, expected_version=expected_version)

    monkeypatch.setattr(documents, "update", racing_update)
    lost = api.client.put(
        "/models/race/aliases/production",
        json={"version": 2, "expected_version": 1},
        headers=api.headers(),
    )
    assert winners == ["race:production"]
    assert lost.status_code == 409, lost.text
    assert lost.json()["error"] == {
        "code": "conflict",
        "message": "alias race:production points at version 3, not 1",
        "request_id": lost.headers["X-Request-ID"],
    }
    # The same words as a move that was stale before it started.
    stale = api.client.put(
        "/models/race/aliases/production",
        json={"version": 2, "expected_version": 1},
        headers=api.headers(),
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["message"] == lost.json()["error"]["message"]
    assert registry.get_alias("race", "production").version == 3
    history = registry.alias_history("race", "production")
    assert [(h["from_version"], h["to_version"]) for h in history] == [(None, 1), (1, 3)]
