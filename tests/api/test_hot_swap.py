"""Moving `production` while predictions are being served: the API swaps to the new model
without failing a call, and a model that fails its checksum never replaces the serving one."""

from __future__ import annotations

import threading
import time

from runtime.registry import Registry
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
        wait_for(lambda: len(results) >= 20, timeout=30, what="calls on version 1")
        registry.move_alias("iris", "production", 2, expected=1)
        moved_at = time.monotonic()
        wait_for(
            lambda: sum(1 for r in results if r[3] == 2) >= 20,
            timeout=30,
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
    time.sleep(api.settings.serving_check_seconds * 2)
    assert [call() for _ in range(5)] == [1] * 5
    metrics = api.client.get("/metrics", headers=api.headers("read")).text
    assert 'mlpoc_model_swaps_total{model="iris",outcome="rejected"}' in metrics

    # Pinned to the tampered version, with nothing to fall back on: 503, not a wrong model.
    pinned = api.client.post("/models/iris/predict?version=2", json={"row": row()}, headers=predict)
    assert pinned.status_code == 503
    message = pinned.json()["error"]["message"]
    assert "compiled artifact refused" in message and "fails its checksum" in message

    # Repaired (the same bytes back), the alias's version is picked up at the next check.
    for key, original in originals.items():
        api.adapters.blobs.put(key, original)
    wait_for(lambda: call() == 2, timeout=10, interval=0.1, what="the repaired version")


def test_a_move_through_the_api_is_served_at_once(local_rig: Rig) -> None:
    # An hour between alias checks: only the API's own warm-up after the move can bring the
    # new version in (calls during the load are still answered by the old one).
    made = make_api(local_rig, serving_check_seconds=3600)
    with made.client:
        assert made.upload().status_code == 201
        train_through_api(made)
        train_through_api(made, params={"estimator": "hist_gradient_boosting", "max_iter": 20})
        predict = made.headers("predict")

        def move(version: int, expected: int | None) -> None:
            response = made.client.put(
                "/models/iris/aliases/production",
                json={"version": version, "expected_version": expected},
                headers=made.headers(),
            )
            assert response.status_code == 200, response.text

        def served() -> int:
            response = made.client.post(
                "/models/iris/predict", json={"row": row(3)}, headers=predict
            )
            assert response.status_code == 200, response.text
            return int(response.json()["version"])

        move(1, None)
        assert served() == 1
        move(2, 1)
        wait_for(lambda: served() == 2, timeout=30, what="version 2 after the move")
        rolled_back = made.client.post(
            "/models/iris/aliases/production/rollback",
            json={"expected_version": 2},
            headers=made.headers(),
        )
        assert rolled_back.status_code == 200, rolled_back.text
        wait_for(lambda: served() == 1, timeout=30, what="version 1 after the rollback")
