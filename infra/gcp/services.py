"""App Engine: the application, and two flexible services, `default` (the API) and `worker`,
each running as its own service account (infra.gcp.identity). Each version is built by Cloud
Build from the release bundle (infra.bundle), which Terraform uploads to the bucket; a new
release is a new version that takes all traffic once it is ready (infra.gcp.rollout), and the
old one goes after."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_google.app_engine_application import AppEngineApplication
from cdktf_cdktf_provider_google.app_engine_flexible_app_version import (
    AppEngineFlexibleAppVersion,
    AppEngineFlexibleAppVersionAutomaticScaling,
    AppEngineFlexibleAppVersionAutomaticScalingCpuUtilization,
    AppEngineFlexibleAppVersionDeployment,
    AppEngineFlexibleAppVersionDeploymentCloudBuildOptions,
    AppEngineFlexibleAppVersionDeploymentZip,
    AppEngineFlexibleAppVersionManualScaling,
    AppEngineFlexibleAppVersionResources,
)
from cdktf_cdktf_provider_google.app_engine_service_split_traffic import (
    AppEngineServiceSplitTraffic,
    AppEngineServiceSplitTrafficSplit,
)
from cdktf_cdktf_provider_google.storage_bucket import StorageBucket
from cdktf_cdktf_provider_google.storage_bucket_object import StorageBucketObject

from adapters.settings import Settings
from infra.assets import release_asset
from infra.build import BuildContext, builder
from infra.bundle import Bundle
from infra.config import ServiceSection
from infra.deploy_files import app_engine_service, app_engine_yaml_name
from infra.gcp.account import Project
from infra.gcp.config import app_engine_location, project_id
from infra.gcp.documents import Documents
from infra.gcp.identity import Identities
from infra.gcp.queues import Queue
from infra.gcp.rollout import Probes
from infra.logical import API, PROCESSES, Kind, Process, api_setting

CPU_TARGET = 0.6
BUNDLE_PREFIX = "_deploy/appengine"
CLOUD_BUILD_TIMEOUT = "1200s"


def runtime_settings(ctx: BuildContext) -> Settings:
    """The runtime's settings on GCP, with Terraform references to the resources."""
    config = ctx.config
    jobs = ctx.read(Kind.JOBS_QUEUE, Queue)
    dead_letters = ctx.read(Kind.DEAD_LETTER_QUEUE, Queue)
    documents = ctx.read(Kind.DOCUMENTS, Documents)
    return Settings(
        backend="gcp",
        gcp_project=project_id(config),
        bucket=ctx.read(Kind.BUCKET, StorageBucket).name,
        queue=jobs.topic.name,
        dead_letter_queue=dead_letters.topic.name,
        subscription=jobs.subscription.name,
        dead_letter_subscription=dead_letters.subscription.name,
        table_prefix=config.table_prefix,
        firestore_database=documents.database.name,
        firestore_operator_database=documents.operators.name,
        max_deliveries=config.project.max_deliveries,
    )


def version_id(image_tag: str, digest: str) -> str:
    """The release as an App Engine version id (lowercase letters, digits and hyphens, at most
    63): the tag, then the bundle digest, so that new code is a new version."""
    return f"v-{re.sub(r'[^a-z0-9-]', '-', image_tag.lower())[:48]}-{digest[:12]}"


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


def _front_end(process: Process) -> dict[str, str]:
    """The API believes the forwarded headers of whoever reaches its container: on App Engine
    flexible that is only the VM's own proxy, behind Google's front end (the container's port
    is not reachable otherwise), and the proxy's address is not fixed."""
    return {api_setting("forwarded_allow_ips"): "*"} if process.serves_http else {}


@dataclass(frozen=True)
class Services:
    application: AppEngineApplication
    versions: dict[str, AppEngineFlexibleAppVersion]  # by process name


def _bundle_object(ctx: BuildContext, bundle: Bundle) -> StorageBucketObject:
    """The release bundle as a Terraform asset, uploaded under its digest (the bucket's
    default key encrypts it)."""
    return StorageBucketObject(
        ctx.stack,
        f"{ctx.id}_bundle",
        bucket=ctx.read(Kind.BUCKET, StorageBucket).name,
        name=f"{BUNDLE_PREFIX}/{bundle.digest}.zip",
        source=release_asset(ctx.stack, bundle),
        content_type="application/zip",
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
    )


@builder(
    Kind.SERVICES,
    reads=(
        Kind.ACCOUNT,
        Kind.BUCKET,
        Kind.JOBS_QUEUE,
        Kind.DEAD_LETTER_QUEUE,
        Kind.DOCUMENTS,
        Kind.RUNTIME_IDENTITY,
        Kind.ROLLOUT,
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
    bundle = Bundle()
    bundle_object = _bundle_object(ctx, bundle)
    source_url = f"https://storage.googleapis.com/{bundle_object.bucket}/{bundle_object.name}"
    settings = runtime_settings(ctx).to_env()
    release = version_id(config.project.image_tag, bundle.digest)
    accounts = ctx.read(Kind.RUNTIME_IDENTITY, Identities).accounts
    probes = ctx.read(Kind.ROLLOUT, Probes)
    versions = {}
    for process in PROCESSES:
        bounds = config.api if process is API else config.worker
        automatic_scaling, manual_scaling = _scaling(process, bounds)
        service = app_engine_service(process)
        version = AppEngineFlexibleAppVersion(
            ctx.stack,
            f"{cid}_{process.name}",
            project=project,
            service=service,
            version_id=release,
            runtime="custom",
            deployment=AppEngineFlexibleAppVersionDeployment(
                zip=AppEngineFlexibleAppVersionDeploymentZip(
                    source_url=source_url, files_count=len(bundle.members)
                ),
                cloud_build_options=AppEngineFlexibleAppVersionDeploymentCloudBuildOptions(
                    app_yaml_path=app_engine_yaml_name(process),
                    cloud_build_timeout=CLOUD_BUILD_TIMEOUT,
                ),
            ),
            env_variables=settings | process.environment | _front_end(process),
            service_account=accounts[process.name].email,
            liveness_check=probes.liveness,
            readiness_check=probes.readiness[process.name],
            resources=AppEngineFlexibleAppVersionResources(
                cpu=bounds.cpu, memory_gb=bounds.memory_gb
            ),
            # A release is a new version: made (and given the traffic) before the old goes.
            noop_on_destroy=False,
            delete_service_on_destroy=not process.serves_http,
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[application, apis["appengineflex"], apis["cloudbuild"]],
            automatic_scaling=automatic_scaling,
            manual_scaling=manual_scaling,
        )
        AppEngineServiceSplitTraffic(
            ctx.stack,
            f"{cid}_{process.name}_traffic",
            project=project,
            service=service,
            migrate_traffic=False,
            # The version id is known here: a literal map key (Terraform JSON keys are not
            # expressions), with the dependency spelled out.
            split=AppEngineServiceSplitTrafficSplit(allocations={release: "1"}),
            depends_on=[version],
        )
        versions[process.name] = version
    ctx.output("release", release, "App Engine version running (tag-bundle digest)")
    ctx.output("settings", settings, "MLPOC_* settings the API and the worker run with")
    return Services(application, versions)
