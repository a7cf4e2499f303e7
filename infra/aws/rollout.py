"""How a release replaces the running one on Elastic Beanstalk (infra.logical.ROLLOUT_POLICY):
option settings of each environment, which the services builder applies.

The API rolls out with traffic splitting: new instances come up beside the old ones, take
`canary_percent` of the requests once their load balancer health check (the ready path)
passes, and for `evaluation_minutes` Elastic Beanstalk watches their health; only then does
the rest of the traffic move, else the new instances go and the old keep serving. The
worker, behind no load balancer, rolls out immutably: a new instance must be healthy before
the old one is stopped (SIGTERM: it releases its job, which is redelivered)."""

from __future__ import annotations

from dataclasses import dataclass

from infra.build import BuildContext, builder
from infra.logical import ROLLOUT_POLICY, Kind

Options = dict[tuple[str, str], str]
COMMAND = "aws:elasticbeanstalk:command"


@dataclass(frozen=True)
class RolloutOptions:
    api: Options
    worker: Options


def deployment_timeout_seconds() -> int:
    """A deploy builds the image on each new instance, starts it, then evaluates it."""
    policy = ROLLOUT_POLICY
    return 2 * policy.start_timeout_seconds + 60 * policy.evaluation_minutes


@builder(Kind.ROLLOUT)
def build_rollout(ctx: BuildContext) -> RolloutOptions:
    ctx.blockless("Elastic Beanstalk's deployment policy is option settings of each environment")
    policy = ROLLOUT_POLICY
    common = {
        (COMMAND, "HealthCheckSuccessThreshold"): "Ok",
        (COMMAND, "IgnoreHealthCheck"): "false",
        (COMMAND, "Timeout"): str(deployment_timeout_seconds()),
    }
    api = common | {
        (COMMAND, "DeploymentPolicy"): "TrafficSplitting",
        ("aws:elasticbeanstalk:trafficsplitting", "NewVersionPercent"): str(policy.canary_percent),
        ("aws:elasticbeanstalk:trafficsplitting", "EvaluationTime"): str(policy.evaluation_minutes),
        # An instance gets traffic once it is ready (its models loaded), not merely alive.
        ("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath"): (
            policy.ready_path
        ),
        ("aws:elasticbeanstalk:application", "Application Healthcheck URL"): policy.ready_path,
    }
    worker = common | {(COMMAND, "DeploymentPolicy"): "Immutable"}
    return RolloutOptions(api, worker)
