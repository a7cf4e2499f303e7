"""`mlpoc models show|compare` and `mlpoc label --unlabelled --order uncertainty` as a user
runs them, against the API over a real socket (local backend, jobs run in-process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.rigs.base import Rig
from tests.support.api import Api, make_api
from tests.support.cli import clean_env, run_cli
from tests.support.data import species_csv
from tests.support.live import serving


@pytest.fixture
def served(local_rig: Rig) -> Iterator[tuple[Api, dict[str, str]]]:
    """Iris with blank labels, two versions (linear, then boosting), production on v1 and
    the dataset scored by it; the CLI's environment to reach it."""
    api = make_api(local_rig)
    with api.client, serving(api.app, api.settings) as (host, port):
        data, _ = species_csv()
        assert api.upload(data).status_code == 201
        for params in ({"estimator": "linear"}, {}):
            job = api.client.post(
                "/datasets/iris/retrain", json={"params": params}, headers=api.headers()
            )
            api.run_job(job.json()["id"])
        api.client.put(
            "/models/iris/aliases/production",
            json={"version": 1, "expected_version": None},
            headers=api.headers(),
        )
        scored = api.client.post(
            "/jobs",
            json={
                "type": "batch_predict",
                "dataset": "iris",
                "model": "iris",
                "alias": "production",
            },
            headers=api.headers(),
        )
        api.run_job(scored.json()["id"])
        env = clean_env(MLPOC_API_URL=f"http://{host}:{port}", MLPOC_API_KEY=api.tokens["admin"])
        yield api, env


def _cli(env: dict[str, str], *args: str, code: int = 0) -> Any:
    done = run_cli(*args, env=env, timeout=120)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    return json.loads(done.stdout) if "--json" in args and code == 0 else done


def test_show_and_compare_model_cards(served: tuple[Api, dict[str, str]]) -> None:
    api, env = served
    v1 = api.client.get("/models/iris/versions/1", headers=api.headers("read")).json()
    assert _cli(env, "models", "show", "iris", "1", "--json") == v1

    shown = _cli(env, "models", "show", "iris", "1").stdout
    card = v1["card"]
    assert "iris v1 (classification)" in shown
    assert f"{card['rows']['training']} rows for training" in shown
    assert "confusion matrix (rows: true, columns: predicted)" in shown
    for row in card["classification"]["per_class"]:
        assert row["class"] in shown and f"{row['f1']:.4f}" in shown
    top = card["importance"]["features"][0]
    assert top["name"] in shown and f"{top['mean']:.4f}" in shown

    compared = _cli(env, "models", "compare", "iris", "1", "2").stdout
    v2 = api.client.get("/models/iris/versions/2", headers=api.headers("read")).json()
    assert "iris: v1 and v2" in compared
    change = v2["metrics"]["accuracy"] - v1["metrics"]["accuracy"]
    assert f"{change:+.4f}" in compared or (change == 0 and "=" in compared)
    assert "param estimator" in compared and "hist_gradient_boosting" in compared
    assert compared.count("confusion matrix") == 2
    both = _cli(env, "models", "compare", "iris", "1", "2", "--json")
    assert (both["first"]["version"], both["second"]["version"]) == (1, 2)

    missing = _cli(env, "models", "show", "iris", "9", code=1)
    assert "9" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1


def test_label_lists_the_least_confident_first(served: tuple[Api, dict[str, str]]) -> None:
    _, env = served
    listed = _cli(env, "label", "iris", "--unlabelled", "--order", "uncertainty", "--json")
    confidences = [r["suggestion"]["confidence"] for r in listed]
    assert len(listed) == 38 and confidences == sorted(confidences)
    by_id = _cli(env, "label", "iris", "--unlabelled", "--json")
    assert [r["record_id"] for r in by_id] == sorted(r["record_id"] for r in listed)

    text = _cli(env, "label", "iris", "--unlabelled", "--order", "uncertainty").stdout
    assert "least confident first" in text and "suggested" in text
    first = listed[0]
    assert text.index(first["record_id"]) < text.index(listed[-1]["record_id"])
    assert f"{first['suggestion']['confidence']:.3f}" in text

    wrong = _cli(env, "label", "iris", "--unlabelled", "--order", "sideways", code=2)
    assert "--order must be one of" in wrong.stderr
