"""The API key cache: only well-formed tokens are cached (junk is refused without a read and
cannot evict real keys), least recently used first out when full, and a revoked key stops
working within `api_key_cache_seconds`."""

from __future__ import annotations

from runtime import api_keys
from runtime.api.auth import KeyVerifier
from runtime.schema import COLLECTIONS
from tests.rigs.base import Rig
from tests.support.waiting import wait_for


def test_junk_is_never_cached(rig: Rig) -> None:
    documents = rig.adapters(COLLECTIONS).documents
    verifier = KeyVerifier(documents, cache_seconds=60, max_entries=10)
    for junk in ["", "x", "mlpoc_", "Bearer abc", "mlpoc_0123456789ab_short", "é" * 5000]:
        assert verifier.verify(junk) is None
    assert len(verifier) == 0
    key, token = api_keys.create(documents, "reader", ["read"])
    assert verifier.verify(token) == key
    assert verifier.verify(token + "\n") is None  # not the same token, and not well-formed
    assert len(verifier) == 1


def test_the_least_recently_used_token_goes_first(rig: Rig) -> None:
    documents = rig.adapters(COLLECTIONS).documents
    verifier = KeyVerifier(documents, cache_seconds=60, max_entries=2)
    kept, kept_token = api_keys.create(documents, "kept", ["read"])
    _, other_token = api_keys.create(documents, "other", ["read"])
    unknown = "mlpoc_0123456789ab_" + "A" * 43  # well-formed, matches no key: cached as None
    assert verifier.verify(kept_token) == kept
    assert verifier.verify(unknown) is None
    assert verifier.verify(kept_token) == kept  # used again: now the most recent
    assert verifier.verify(other_token) is not None  # full: evicts `unknown`, not `kept`
    assert len(verifier) == 2
    api_keys.revoke(documents, kept.id)
    # Still cached (not evicted), so still trusted until its entry expires.
    assert verifier.verify(kept_token) == kept


def test_a_revoked_key_stops_working_within_the_cache_time(rig: Rig) -> None:
    documents = rig.adapters(COLLECTIONS).documents
    verifier = KeyVerifier(documents, cache_seconds=0.5)
    key, token = api_keys.create(documents, "revoked", ["read"])
    assert verifier.verify(token) == key
    api_keys.revoke(documents, key.id)
    wait_for(lambda: verifier.verify(token) is None, timeout=10, what="the revocation")
