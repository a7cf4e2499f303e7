"""App Engine: the application, and two flexible services from the same image, `default`
(the API) and `worker`, running as the runtime service account."""

from __future__ import annotations

import re

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

from adapters.settings import Settings
from infra.build import BuildContext
from infra.config import ServiceSection
from infra.deploy_files import app_engine_service
from infra.gcp.registry import image_url
from infra.logical import API, HEALTH_PATH, PROCESSES, Component, Process

CPU_TARGET = 0.6


def runtime_settings(ctx: BuildContext) -> Settings:
    """The runtime's settings on GCP, with Terraform references to the resources."""
    config = ctx.config
    jobs, dead_letters = ctx.built["jobs_queue"], ctx.built["dead_letter_queue"]
    return Settings(
        backend="gcp",
        gcp_project=config.gcp.project_id,
        bucket=ctx.built["bucket"].name,
        queue=jobs.topic.name,
        dead_letter_queue=dead_letters.topic.name,
        subscription=jobs.subscription.name,
        dead_letter_subscription=dead_letters.subscription.name,
        table_prefix=config.table_prefix,
        firestore_database=ctx.built["documents"].database.name,
        max_deliveries=config.project.max_deliveries,
    )


def version_id(image_tag: str) -> str:
    """App Engine version ids: lowercase letters, digits and hyphens."""
    return "v-" + re.sub(r"[^a-z0-9-]", "-", image_tag.lower())[:60]


def _scaling(process: Process, bounds: ServiceSection) -> dict[str, object]:
    # The API scales on load; a worker with fixed bounds is simply that many instances.
    if process.serves_http or bounds.min_instances != bounds.max_instances:
        return {
            "automatic_scaling": AppEngineFlexibleAppVersionAutomaticScaling(
                min_total_instances=bounds.min_instances,
                max_total_instances=bounds.max_instances,
                cool_down_period="120s",
                cpu_utilization=AppEngineFlexibleAppVersionAutomaticScalingCpuUtilization(
                    target_utilization=CPU_TARGET
                ),
            )
        }
    return {
        "manual_scaling": AppEngineFlexibleAppVersionManualScaling(instances=bounds.min_instances)
    }


def build_services(ctx: BuildContext, component: Component) -> dict[str, object]:
    cid = component.id
    config = ctx.config
    application = AppEngineApplication(
        ctx.stack,
        cid,
        project=config.gcp.project_id,
        location_id=config.app_engine_location,
        depends_on=[ctx.built["apis"]["appengine"]],
    )
    environment = runtime_settings(ctx).to_env()
    image = image_url(ctx)
    built: dict[str, object] = {"application": application}
    for process in PROCESSES:
        bounds = config.api if process is API else config.worker
        built[process.name] = AppEngineFlexibleAppVersion(
            ctx.stack,
            f"{cid}_{process.name}",
            project=config.gcp.project_id,
            service=app_engine_service(process),
            version_id=version_id(config.project.image_tag),
            runtime="custom",
            deployment=AppEngineFlexibleAppVersionDeployment(
                container=AppEngineFlexibleAppVersionDeploymentContainer(image=image)
            ),
            env_variables=environment | process.environment,
            service_account=ctx.built["runtime_identity"].email,
            liveness_check=AppEngineFlexibleAppVersionLivenessCheck(path=HEALTH_PATH),
            readiness_check=AppEngineFlexibleAppVersionReadinessCheck(path=HEALTH_PATH),
            resources=AppEngineFlexibleAppVersionResources(
                cpu=bounds.cpu, memory_gb=bounds.memory_gb
            ),
            # Replacing a version leaves the previous one serving until the new one is up.
            noop_on_destroy=False,
            delete_service_on_destroy=not process.serves_http,
            depends_on=[application, ctx.built["apis"]["appengineflex"]],
            **_scaling(process, bounds),
        )
    ctx.output("service_url", f"https://{application.default_hostname}", "URL of the API")
    ctx.output("image", image, "Image both services run")
    return built
