"""The demo loop, against any running mlpoc API: upload scikit-learn's wine dataset with some
labels removed, label those records, train through the queue, promote, score every record
ahead (batch predict), answer a few predictions and look the stored ones up. `mlpoc demo`
runs it on the local backend, `mlpoc rehearse` on a stack deployed to the emulators.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from runtime.cli.base import format_metrics
from runtime.cli.client import Api
from runtime.cli.jobs import wait_for_job

DATASET = "wine"
MODEL = "wine"
UNLABELLED_SHARE = 0.3
JOB_SECONDS = 120


@dataclass
class Steps:
    """Prints each step as it ends, with its time, and keeps the times."""

    out: Console
    times: list[tuple[str, float]] = field(default_factory=list)

    def start(self, text: str) -> Callable[[str], None]:
        started = time.monotonic()

        def done(detail: str = "") -> None:
            took = time.monotonic() - started
            self.times.append((text, round(took, 1)))
            self.out.print(
                f"[green]✓[/green] {text}"
                + (f": {escape(detail)}" if detail else "")
                + f" ({took:.1f} s)",
                soft_wrap=True,
            )

        return done


def run_loop(api: Api, steps: Steps) -> dict[str, Any]:
    """The loop, step by step; what it made and measured."""
    frame, truth = _wine()
    done = steps.start("uploaded scikit-learn's wine dataset (as in examples/wine.csv)")
    if api.status(f"/datasets/{DATASET}") == 200:  # a --data-dir of an earlier demo
        dataset = api.get(f"/datasets/{DATASET}")
        done(f"already there, {dataset['rows']} rows")
    else:
        with steps.out.status("uploading the wine dataset"):
            dataset = api.post(
                "/datasets",
                files={"file": ("wine.csv", _csv(frame), "text/csv")},
                data={"name": DATASET, "target": "target", "id_column": "record_id"},
            )
        done(f"{dataset['rows']} rows, {dataset['labelled']} labelled")

    done = steps.start("labelled the unlabelled records through the API")
    with steps.out.status("labelling"):
        waiting = api.pages(f"/datasets/{DATASET}/records", unlabelled="true", limit=1000)
        labels = [{"record_id": r["record_id"], "label": truth[r["record_id"]]} for r in waiting]
        if labels:
            api.post(f"/datasets/{DATASET}/labels", json={"labels": labels})
    done(f"{len(labels)} labels")

    done = steps.start("trained through the job queue")
    train = api.post("/jobs", json={"type": "train", "dataset": DATASET, "model": MODEL})
    train = wait_for_job(api, train["id"], steps.out, "training", JOB_SECONDS)
    version = int(train["result"]["version"])
    metrics = train["result"]["metrics"]
    done(f"{MODEL} v{version}: {format_metrics(metrics)}")

    done = steps.start("promoted to production")
    current = None
    if api.status(f"/models/{MODEL}/aliases/production") == 200:
        current = api.get(f"/models/{MODEL}/aliases/production")["version"]
    api.put(
        f"/models/{MODEL}/aliases/production",
        json={"version": version, "expected_version": current, "reason": "mlpoc demo"},
    )
    done(f"production -> v{version}")

    done = steps.start("pre-computed predictions for every record")
    job = api.post(
        "/jobs",
        json={
            "type": "batch_predict",
            "dataset": DATASET,
            "model": MODEL,
            "alias": "production",
        },
    )
    scored = wait_for_job(api, job["id"], steps.out, "batch prediction", JOB_SECONDS)
    stored = api.pages(f"/datasets/{DATASET}/predictions", limit=1000)
    done(f"{len(stored)} stored")

    done = steps.start("answered predictions")
    samples = [frame.index[frame["target_true"] == c][0] for c in sorted(set(truth.values()))]
    answers = []
    for index in samples:
        record_id = str(frame.at[index, "record_id"])
        features = {c: float(frame.at[index, c]) for c in frame.columns if c not in _NOT_FEATURES}
        online = api.post(f"/models/{MODEL}/predict", json={"row": features})
        ahead = api.post(
            f"/datasets/{DATASET}/predictions/lookup", json={"record_ids": [record_id]}
        )["found"]
        answers.append(
            {
                "record_id": record_id,
                "expected": truth[record_id],
                "value": online["value"],
                "version": online["version"],
                "stored_value": ahead[0]["value"] if ahead else None,
            }
        )
    done(f"{sum(a['value'] == a['expected'] for a in answers)}/{len(answers)} right")
    api_metrics = _prometheus(api.get("/metrics"))

    return {
        "model": MODEL,
        "version": version,
        "metrics": metrics,
        "dataset": {
            "name": DATASET,
            "rows": dataset["rows"],
            "labelled_at_upload": dataset["labelled"],
            "labelled_through_api": len(labels),
        },
        "jobs": {"train": train["id"], "batch_predict": scored["id"]},
        "batch_predict": scored["result"],
        "stored_predictions": len(stored),
        "predictions": answers,
        "api_metrics": api_metrics,
    }


_NOT_FEATURES = ("record_id", "target", "target_true")


def _wine() -> tuple[Any, dict[str, str]]:
    """Wine as a frame with record ids and class names; some targets blanked out (the
    truth for every record is kept to play the annotator)."""
    import numpy as np
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame
    names = [str(n) for n in bunch.target_names]
    frame.insert(0, "record_id", [f"wine-{i:03d}" for i in range(len(frame))])
    frame["target_true"] = [names[t] for t in frame.pop("target")]
    blank = np.random.default_rng(0).random(len(frame)) < UNLABELLED_SHARE
    frame["target"] = frame["target_true"].where(~blank, "")
    truth = dict(zip(frame["record_id"], frame["target_true"], strict=True))
    return frame, truth


def wine_csv() -> bytes:
    """The CSV the demo uploads; the repository ships it as examples/wine.csv (the README's
    walk-through uploads that file, and a test keeps the two equal)."""
    return _csv(_wine()[0])


def _csv(frame: Any) -> bytes:
    text = io.StringIO()
    frame.drop(columns=["target_true"]).to_csv(text, index=False, quoting=csv.QUOTE_MINIMAL)
    return text.getvalue().encode()


def api_ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _prometheus(text: str) -> dict[str, float]:
    """The API's own counters worth showing: predictions and enqueued jobs."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(("mlpoc_predictions_total", "mlpoc_jobs_enqueued_total")):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples
