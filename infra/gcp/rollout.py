"""How a release replaces the running one on App Engine (infra.logical.ROLLOUT_POLICY): each
release is a new version of each service; App Engine starts its instances and waits until
they pass their readiness check (the API's ready path: backends answer, production models
loaded) within the start timeout, or the deploy fails and the old version keeps all traffic.
Only then does the services builder move the traffic (a split naming the new version).

App Engine flexible has no canary percentage with a health evaluation of its own (a split
is manual), so the canary of the AWS rollout has no counterpart here: the readiness gate is
the evaluation. Settings of each version, which the services builder applies."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_google.app_engine_flexible_app_version import (
    AppEngineFlexibleAppVersionLivenessCheck,
    AppEngineFlexibleAppVersionReadinessCheck,
)

from infra.build import BuildContext, builder
from infra.logical import PROCESSES, ROLLOUT_POLICY, Kind, Process, ready_path


@dataclass(frozen=True)
class Probes:
    readiness: dict[str, AppEngineFlexibleAppVersionReadinessCheck]  # by process name
    liveness: AppEngineFlexibleAppVersionLivenessCheck


def readiness(process: Process) -> AppEngineFlexibleAppVersionReadinessCheck:
    return AppEngineFlexibleAppVersionReadinessCheck(
        path=ready_path(process), app_start_timeout=f"{ROLLOUT_POLICY.start_timeout_seconds}s"
    )


@builder(Kind.ROLLOUT)
def build_rollout(ctx: BuildContext) -> Probes:
    ctx.blockless("App Engine's readiness gate is settings of each version")
    return Probes(
        {process.name: readiness(process) for process in PROCESSES},
        AppEngineFlexibleAppVersionLivenessCheck(path=ROLLOUT_POLICY.live_path),
    )
