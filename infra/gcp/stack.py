"""The GCP stack: the project's APIs, then every logical component by its GCP builder."""

from __future__ import annotations

from cdktf import LocalBackend, TerraformStack
from cdktf_cdktf_provider_google.data_google_project import DataGoogleProject
from cdktf_cdktf_provider_google.project_service import ProjectService
from cdktf_cdktf_provider_google.provider import GoogleProvider
from constructs import Construct

from infra.build import STATE_PATH, BuildContext, Builder, build_system
from infra.config import ProjectConfig
from infra.gcp.documents import build_documents
from infra.gcp.identity import build_runtime_identity
from infra.gcp.monitoring import build_budget, build_dlq_alarm
from infra.gcp.queues import build_dead_letter_queue, build_jobs_queue
from infra.gcp.registry import build_registry
from infra.gcp.security import build_key
from infra.gcp.services import build_services
from infra.gcp.storage import build_bucket
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

# `<name>.googleapis.com` services the stack uses.
APIS = (
    "storage",
    "pubsub",
    "firestore",
    "cloudkms",
    "artifactregistry",
    "appengine",
    "appengineflex",
    "billingbudgets",
    "iam",
    "monitoring",
)


class GcpStack(TerraformStack):
    def __init__(self, scope: Construct, config: ProjectConfig) -> None:
        super().__init__(scope, "gcp")
        LocalBackend(self, path=STATE_PATH.format(cloud="gcp"))
        project = config.gcp.project_id
        GoogleProvider(
            self,
            "google",
            project=project,
            region=config.project.region,
            default_labels={"mlpoc_project": config.name},
            # The Budget API needs a quota project: bill its calls to this one.
            user_project_override=True,
            billing_project=project,
        )
        ctx = BuildContext(self, config)
        ctx.built["project"] = DataGoogleProject(self, "project", project_id=project)
        ctx.built["apis"] = {
            api: ProjectService(
                self,
                f"project_service_{api}",
                project=project,
                service=f"{api}.googleapis.com",
                # Other things in the project may use the API too.
                disable_on_destroy=False,
            )
            for api in APIS
        }
        build_system(ctx, BUILDERS)
        ctx.output("gcp_project", project, "MLPOC_GCP_PROJECT")
        ctx.output("region", config.project.region, "Region of every resource")
        ctx.output(
            "max_deliveries", config.project.max_deliveries, "MLPOC_MAX_DELIVERIES (= DLQ policy)"
        )
