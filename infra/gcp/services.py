"""App Engine: the application, and two flexible services from the same image, `default`
(the API) and `worker`, running as the runtime service account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_google.app_engine_application import AppEngineApplication
from cdktf_cdktf_provider_google.app_engine_flexible_app_version import (
    AppEngineFlexibleAppVersion,
    AppEngineFlexibleAppVersionAutomaticScaling,
    AppEngineFlexibleAppVersionAutomaticScalingCpuUtilization,
    AppEngineFlexibleAppVersionDeployment,
    AppEngineFlexibleAppVersionDeploymentContainer,
    AppEngineFlexibleAppVersionLivenessCheck,
    AppEngineFlexibleAppVersionManualScaling,
    AppEngineFlexibleAppVersionReadinessCheck,
    AppEngineFlexibleAppVersionResources,
)
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.storage_bucket import StorageBucket

from adapters.settings import Settings
from infra.build import BuildContext, builder
from infra.config import ServiceSection
from infra.deploy_files import app_engine_service
from infra.gcp.account import Project
from infra.gcp.config import app_engine_location, project_id
from infra.gcp.documents import Documents
from infra.gcp.queues import Queue
from infra.gcp.registry import Registry
from infra.logical import API, HEALTH_PATH, PROCESSES, Kind, Process

CPU_TARGET = 0.6


def runtime_settings(ctx: BuildContext) -> Settings:
    """The runtime's settings on GCP, with Terraform references to the resources."""
    config = ctx.config
    jobs = ctx.read(Kind.JOBS_QUEUE, Queue)
    dead_letters = ctx.read(Kind.DEAD_LETTER_QUEUE, Queue)
    return Settings(
        backend="gcp",
        gcp_project=project_id(config),
        bucket=ctx.read(Kind.BUCKET, StorageBucket).name,
        queue=jobs.topic.name,
        dead_letter_queue=dead_letters.topic.name,
        subscription=jobs.subscription.name,
        dead_letter_subscription=dead_letters.subscription.name,
        table_prefix=config.table_prefix,
        firestore_database=ctx.read(Kind.DOCUMENTS, Documents).database.name,
        max_deliveries=config.project.max_deliveries,
    )


def version_id(image_tag: str) -> str:
    """App Engine version ids: lowercase letters, digits and hyphens."""
    return "v-" + re.sub(r"[^a-z0-9-]", "-", image_tag.lower())[:60]


def _scaling(
    process: Process, bounds: ServiceSection
) -> tuple[
    AppEngineFlexibleAppVersionAutomaticScaling | None,
    AppEngineFlexibleAppVersionManualScaling | None,
]:
    """(automatic, manual): the API scales on load; a worker with fixed bounds is simply
    that many instances."""
    if process.serves_http or bounds.min_instances != bounds.max_instances:
        automatic = AppEngineFlexibleAppVersionAutomaticScaling(
            min_total_instances=bounds.min_instances,
            max_total_instances=bounds.max_instances,
            cool_down_period="120s",
            cpu_utilization=AppEngineFlexibleAppVersionAutomaticScalingCpuUtilization(
                target_utilization=CPU_TARGET
            ),
        )
        return automatic, None
    return None, AppEngineFlexibleAppVersionManualScaling(instances=bounds.min_instances)


@dataclass(frozen=True)
class Services:
    application: AppEngineApplication
    versions: dict[str, AppEngineFlexibleAppVersion]  # by process name


@builder(
    Kind.SERVICES,
    reads=(
        Kind.ACCOUNT,
        Kind.BUCKET,
        Kind.JOBS_QUEUE,
        Kind.DEAD_LETTER_QUEUE,
        Kind.DOCUMENTS,
        Kind.REGISTRY,
        Kind.RUNTIME_IDENTITY,
    ),
)
def build_services(ctx: BuildContext) -> Services:
    cid = ctx.id
    config = ctx.config
    project = project_id(config)
    apis = ctx.read(Kind.ACCOUNT, Project).apis
    application = AppEngineApplication(
        ctx.stack,
        cid,
        project=project,
        location_id=app_engine_location(config),
        depends_on=[apis["appengine"]],
    )
    environment = runtime_settings(ctx).to_env()
    image = ctx.read(Kind.REGISTRY, Registry).image
    versions = {}
    for process in PROCESSES:
        bounds = config.api if process is API else config.worker
        automatic_scaling, manual_scaling = _scaling(process, bounds)
        versions[process.name] = AppEngineFlexibleAppVersion(
            ctx.stack,
            f"{cid}_{process.name}",
            project=project,
            service=app_engine_service(process),
            version_id=version_id(config.project.image_tag),
            runtime="custom",
            deployment=AppEngineFlexibleAppVersionDeployment(
                container=AppEngineFlexibleAppVersionDeploymentContainer(image=image)
            ),
            env_variables=environment | process.environment,
            service_account=ctx.read(Kind.RUNTIME_IDENTITY, ServiceAccount).email,
            liveness_check=AppEngineFlexibleAppVersionLivenessCheck(path=HEALTH_PATH),
            readiness_check=AppEngineFlexibleAppVersionReadinessCheck(path=HEALTH_PATH),
            resources=AppEngineFlexibleAppVersionResources(
                cpu=bounds.cpu, memory_gb=bounds.memory_gb
            ),
            # Replacing a version leaves the previous one serving until the new one is up.
            noop_on_destroy=False,
            delete_service_on_destroy=not process.serves_http,
            depends_on=[application, apis["appengineflex"]],
            automatic_scaling=automatic_scaling,
            manual_scaling=manual_scaling,
        )
    ctx.output("service_url", f"https://{application.default_hostname}", "URL of the API")
    ctx.output("image", image, "Image both services run")
    return Services(application, versions)
