"""Prometheus metrics, one registry per app (so several apps in one process, as in tests,
do not collide): request latency by route template, predictions by model version, jobs by
type enqueued here, and jobs by state as the DocumentStore holds them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from adapters.ports import Adapters
from runtime import jobs
from runtime.jobs import STATES

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# Job states are counted by paging through the state index; beyond this many per state the
# gauge reports the cap (a dashboard wants "many failed", not an exact census).
JOB_COUNT_CAP = 1000
JOB_COUNT_CACHE_SECONDS = 15.0


class ApiMetrics:
    def __init__(self, adapters: Adapters) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "mlpoc_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "mlpoc_predictions",
            "Rows predicted, by model and version.",
            ("model", "version"),
            registry=self.registry,
        )
        self.model_swaps = Counter(
            "mlpoc_model_swaps",
            "Served model changes (outcome: swapped, or rejected when the load failed).",
            ("model", "outcome"),
            registry=self.registry,
        )
        self.jobs_enqueued = Counter(
            "mlpoc_jobs_enqueued",
            "Jobs enqueued through this API, by type.",
            ("type",),
            registry=self.registry,
        )
        self.registry.register(JobStates(adapters))


class JobStates(Collector):
    """`mlpoc_jobs{state}`: jobs per state (succeeded and failed are the job outcomes),
    counted at scrape time and cached briefly."""

    def __init__(self, adapters: Adapters) -> None:
        self.adapters = adapters
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, int]] | None = None

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "mlpoc_jobs", f"Jobs by state (capped at {JOB_COUNT_CAP}).", labels=["state"]
        )
        for state, count in self._counts().items():
            gauge.add_metric([state], count)
        yield gauge

    def _counts(self) -> dict[str, int]:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < JOB_COUNT_CACHE_SECONDS:
                return self._cached[1]
            counts = {
                state: jobs.count(self.adapters.documents, state, cap=JOB_COUNT_CAP)
                for state in STATES
            }
            self._cached = (time.monotonic(), counts)
            return counts
