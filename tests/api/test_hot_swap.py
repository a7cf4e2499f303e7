"""Moving `production` while predictions are being served: the API swaps to the new model
without failing a call, and a model that fails its checksum never replaces the serving one."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from runtime import scoring
from runtime.api.serving import MAX_ENTRIES
from runtime.registry import ModelVersion, Registry
from tests.rigs.base import Rig
from tests.support.api import Api, make_api, train_through_api
from tests.support.data import row
from tests.support.waiting import wait_for


def test_promotion_swaps_models_under_load(api: Api) -> None:
    assert api.upload().status_code == 201
    train_through_api(api)
    train_through_api(api, params={"estimator": "hist_gradient_boosting", "max_iter": 20})
    registry = Registry(api.adapters)
    registry.move_alias("iris", "production", 1, expected=None)
    results: list[tuple[float, float, int, int]] = []  # (sent, answered, status, version)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            response = api.client.post(
                "/models/iris/predict", json={"row": row(3)}, headers=api.headers("predict")
            )
            version = response.json().get("version", -1) if response.status_code == 200 else -1
            results.append((sent, time.monotonic(), response.status_code, version))

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(results) >= 20, timeout=120, what="calls on version 1")
        registry.move_alias("iris", "production", 2, expected=1)
        moved_at = time.monotonic()
        wait_for(
            lambda: sum(1 for r in results if r[3] == 2) >= 20,
            timeout=120,
            what="calls answered by version 2",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert all(status == 200 for _, _, status, _ in results), {r[2] for r in results}
    assert {version for *_, version in results} == {1, 2}
    # Calls in flight while the new model loads are answered by the old one; once a call
    # was answered by version 2, every call sent after that was too.
    swapped = min(answered for _, answered, _, version in results if version == 2)
    assert all(version == 2 for sent, _, _, version in results if sent > swapped)
    # And the swap came within the check interval (plus the load, on a loaded machine).
    assert swapped - moved_at < api.settings.serving_check_seconds + 5


def test_a_model_failing_its_checksum_never_replaces_the_serving_one(api: Api) -> None:
    assert api.upload().status_code == 201
    train_through_api(api)
    train_through_api(api, params={"estimator": "hist_gradient_boosting", "max_iter": 5})
    registry = Registry(api.adapters)
    registry.move_alias("iris", "production", 1, expected=None)
    predict = api.headers("predict")

    def call() -> int:
        response = api.client.post("/models/iris/predict", json={"row": row()}, headers=predict)
        assert response.status_code == 200, response.text
        return int(response.json()["version"])

    assert call() == 1
    # Both of version 2's artifacts (scikit-learn's and the compiled one) flipped by a bit:
    # nothing of it can be served.
    version = registry.get_version("iris", 2)
    keys = [version.artifact.key, version.serving["compiled"]["key"]]
    originals = {key: api.adapters.blobs.get(key) for key in keys}
    for key, original in originals.items():
        api.adapters.blobs.put(key, original[:-1] + bytes([original[-1] ^ 0xFF]))
    registry.move_alias("iris", "production", 2, expected=1)

    def rejected() -> bool:
        metrics = api.client.get("/metrics", headers=api.headers("read")).text
        return 'mlpoc_model_swaps_total{model="iris",outcome="rejected"}' in metrics

    # Calls drive the alias checks: answered by version 1 until (and after) one has seen
    # version 2 and rejected it.
    wait_for(lambda: call() == 1 and rejected(), timeout=120, what="the rejected load")
    assert [call() for _ in range(5)] == [1] * 5

    # Pinned to the tampered version, with nothing to fall back on: 503, not a wrong model.
    pinned = api.client.post("/models/iris/predict?version=2", json={"row": row()}, headers=predict)
    assert pinned.status_code == 503
    message = pinned.json()["error"]["message"]
    assert "compiled artifact refused" in message and "fails its checksum" in message

    # Repaired (the same bytes back), the alias's version is picked up at the next check.
    for key, original in originals.items():
        api.adapters.blobs.put(key, original)
    wait_for(lambda: call() == 2, timeout=120, interval=0.1, what="the repaired version")


def move(api: Api, version: int, expected: int | None) -> None:
    """Move iris's production alias through the API (which warms the new version)."""
    response = api.client.put(
        "/models/iris/aliases/production",
        json={"version": version, "expected_version": expected},
        headers=api.headers(),
    )
    assert response.status_code == 200, response.text


def served(api: Api) -> int:
    """The version that answers a predict on iris's production alias."""
    response = api.client.post(
        "/models/iris/predict", json={"row": row(3)}, headers=api.headers("predict")
    )
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def test_a_move_through_the_api_is_served_at_once(rig: Rig) -> None:
    # An hour between alias checks: only the API's own warm-up after the move can bring the
    # new version in, and the caller who moved it is served the new version at once (the
    # call waits for the load rather than answer with the old one).
    made = make_api(rig, serving_check_seconds=3600)
    with made.client:
        assert made.upload().status_code == 201
        train_through_api(made)
        train_through_api(made, params={"estimator": "hist_gradient_boosting", "max_iter": 20})
        move(made, 1, None)
        assert served(made) == 1
        move(made, 2, 1)
        assert served(made) == 2
        rolled_back = made.client.post(
            "/models/iris/aliases/production/rollback",
            json={"expected_version": 2},
            headers=made.headers(),
        )
        assert rolled_back.status_code == 200, rolled_back.text
        assert served(made) == 1


class HeldLoad:
    """Stands in for `scoring.load` (what the model server calls to load a version): the
    real load runs, but the first load of `version` is held open until `release()`, so a
    test can move the alias while it is under way. Records every version loaded."""

    def __init__(self, version: int | None = None) -> None:
        self.version = version
        self.started = threading.Event()
        self._release = threading.Event()
        self._load = scoring.load
        self.loads: list[int] = []

    def __call__(self, registry: Registry, version: ModelVersion, trainer: Any = None) -> Any:
        self.loads.append(version.version)
        if version.version == self.version and not self.started.is_set():
            self.started.set()
            assert self._release.wait(timeout=120), "the held load was never released"
        return self._load(registry, version, trainer)

    def release(self) -> None:
        self._release.set()


def test_a_move_during_a_slow_load_is_not_missed(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    # The warm-up after the first move resolves version 1 and is held in its load while the
    # alias moves on to version 2; once it finishes, version 2 must follow, even with an
    # hour between alias checks (nothing but the second move's warm-up can bring it in).
    made = make_api(rig, serving_check_seconds=3600)
    with made.client:
        assert made.upload().status_code == 201
        train_through_api(made)
        train_through_api(made, params={"estimator": "linear", "seed": 1})
        held = HeldLoad(version=1)
        monkeypatch.setattr(scoring, "load", held)

        move(made, 1, None)
        assert held.started.wait(timeout=60), "the warm-up never started loading version 1"
        move(made, 2, 1)  # while version 1 is still loading
        held.release()
        assert served(made) == 2  # waits for the second move's load, then answers with it
        assert held.loads == [1, 2]


def test_lookups_of_unknown_models_do_not_evict_loaded_ones(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = make_api(rig, serving_check_seconds=3600)
    with made.client:
        assert made.upload().status_code == 201
        train_through_api(made)
        server = made.app.state.mlpoc.server
        counted = HeldLoad()  # holds nothing, counts the loads
        monkeypatch.setattr(scoring, "load", counted)
        predict = made.headers("predict")

        def call(path: str) -> int:
            response = made.client.post(path, json={"row": row()}, headers=predict)
            return response.status_code

        assert call("/models/iris/predict?version=1") == 200
        for n in range(MAX_ENTRIES * 2):
            assert call(f"/models/nothing-{n}/predict") == 404
            assert call(f"/models/iris/predict?version={100 + n}") == 404
        assert call("/models/iris/predict?version=1") == 200
        assert counted.loads == [1]  # still cached: the unknown lookups left nothing behind
        assert len(server._entries) == 1
