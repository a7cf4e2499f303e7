"""The Google Cloud project the stack deploys into, and the APIs it switches on there."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_google.data_google_project import DataGoogleProject
from cdktf_cdktf_provider_google.project_service import ProjectService

from infra.build import BuildContext, builder
from infra.gcp.config import project_id as gcp_project_id
from infra.logical import Kind

# `<name>.googleapis.com` services the stack uses.
APIS = (
    "storage",
    "pubsub",
    "firestore",
    "cloudkms",
    "appengine",
    "appengineflex",
    "cloudbuild",  # App Engine flexible builds each version's image from the bundle
    "billingbudgets",
    "iam",
    "logging",
    "monitoring",
)


@dataclass(frozen=True)
class Project:
    project: DataGoogleProject
    apis: dict[str, ProjectService]  # by short name: what a resource waits for

    def service_agent(self, service: str) -> str:
        """The Google-managed service agent of `service` in this project (by number)."""
        number = self.project.number
        return f"serviceAccount:service-{number}@gcp-sa-{service}.iam.gserviceaccount.com"


@builder(Kind.ACCOUNT)
def build_account(ctx: BuildContext) -> Project:
    project_id = gcp_project_id(ctx.config)
    project = DataGoogleProject(ctx.stack, "project", project_id=project_id)
    apis = {
        api: ProjectService(
            ctx.stack,
            f"project_service_{api}",
            project=project_id,
            service=f"{api}.googleapis.com",
            # Other things in the project may use the API too.
            disable_on_destroy=False,
        )
        for api in APIS
    }
    ctx.output("gcp_project", project_id, "MLPOC_GCP_PROJECT")
    ctx.output("region", ctx.config.project.region, "Region of every resource")
    return Project(project, apis)
