"""The AWS stack: every logical component, built by its AWS builder."""

from __future__ import annotations

from cdktf import LocalBackend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from infra.aws.documents import build_documents
from infra.aws.identity import build_runtime_identity
from infra.aws.monitoring import build_budget, build_dlq_alarm
from infra.aws.queues import build_dead_letter_queue, build_jobs_queue
from infra.aws.registry import build_registry
from infra.aws.security import build_key
from infra.aws.services import build_services
from infra.aws.storage import build_bucket
from infra.build import STATE_PATH, BuildContext, Builder, build_system
from infra.config import ProjectConfig
from infra.logical import Kind

BUILDERS: dict[Kind, Builder] = {
    Kind.KEY: build_key,
    Kind.BUCKET: build_bucket,
    Kind.JOBS_QUEUE: build_jobs_queue,
    Kind.DEAD_LETTER_QUEUE: build_dead_letter_queue,
    Kind.DOCUMENTS: build_documents,
    Kind.REGISTRY: build_registry,
    Kind.RUNTIME_IDENTITY: build_runtime_identity,
    Kind.SERVICES: build_services,
    Kind.DLQ_ALARM: build_dlq_alarm,
    Kind.BUDGET: build_budget,
}


class AwsStack(TerraformStack):
    def __init__(self, scope: Construct, config: ProjectConfig) -> None:
        super().__init__(scope, "aws")
        # State beside cdktf.json, written relative to cdktf.out/stacks/aws/ (cdktf's default
        # is the same file but an absolute path, which makes the output depend on the cwd).
        LocalBackend(self, path=STATE_PATH.format(cloud="aws"))
        AwsProvider(
            self,
            "aws",
            region=config.project.region,
            default_tags=[AwsProviderDefaultTags(tags={"mlpoc:project": config.name})],
        )
        ctx = BuildContext(self, config)
        build_system(ctx, BUILDERS)
        ctx.output("region", config.project.region, "MLPOC_REGION")
        ctx.output(
            "max_deliveries", config.project.max_deliveries, "MLPOC_MAX_DELIVERIES (= redrive)"
        )
