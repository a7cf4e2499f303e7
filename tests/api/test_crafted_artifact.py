"""A crafted HistGradientBoosting artifact (child indices past the node array: predict
would read arbitrary memory and crash the process) registered as a new version: the API,
running as deployed in its own process, refuses to load it, keeps serving the previous
version, says why when the version is asked for by number, and does not crash."""

from __future__ import annotations

import httpx

from adapters import build_adapters
from runtime import api_keys
from runtime.api.settings import ApiSettings
from runtime.registry import Registry
from runtime.schema import COLLECTIONS
from tests.rigs.base import Rig
from tests.runtime.crafted import child_past_the_end, crafted, good_artifact, register
from tests.support.data import row
from tests.support.live import api_process
from tests.support.waiting import wait_for


def test_a_crafted_tree_is_refused_and_the_previous_version_served(rig: Rig) -> None:
    base = rig.settings(COLLECTIONS)
    settings = ApiSettings(serving_check_seconds=0.2, api_key_cache_seconds=0)
    adapters = build_adapters(COLLECTIONS, base)
    registry = Registry(adapters)
    good = register(adapters, good_artifact())
    bad = register(adapters, crafted(child_past_the_end))
    registry.move_alias("iris", "production", good.version, expected=None)
    _, admin = api_keys.create(adapters.documents, "admin", ["admin"])
    headers = {"X-API-Key": admin}

    with api_process({**rig.environment(), **base.to_env(), **settings.to_env()}) as (url, proc):
        client = httpx.Client(base_url=url, headers=headers, timeout=30)

        def served_version() -> int:
            response = client.post("/models/iris/predict", json={"row": row()})
            assert response.status_code == 200, response.text
            return int(response.json()["version"])

        assert served_version() == good.version
        moved = client.put(
            "/models/iris/aliases/production",
            json={"version": bad.version, "expected_version": good.version},
        )
        assert moved.status_code == 200, moved.text

        def rejected() -> bool:
            metrics = client.get("/metrics").text
            return 'mlpoc_model_swaps_total{model="iris",outcome="rejected"}' in metrics

        wait_for(rejected, timeout=30, what="the crafted version to be refused")
        assert [served_version() for _ in range(5)] == [good.version] * 5

        pinned = client.post(f"/models/iris/predict?version={bad.version}", json={"row": row()})
        assert pinned.status_code == 503, pinned.text
        message = pinned.json()["error"]["message"]
        assert "artifact refused" in message and "child index is past" in message
        assert served_version() == good.version
        assert proc.poll() is None, f"the API died (exit {proc.returncode})"
