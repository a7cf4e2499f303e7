"""The runtime's service account (both App Engine services run as it), with roles granted on
this project's resources only."""

from __future__ import annotations

from cdktf_cdktf_provider_google.project_iam_member import ProjectIamMember
from cdktf_cdktf_provider_google.pubsub_subscription_iam_member import (
    PubsubSubscriptionIamMember,
)
from cdktf_cdktf_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.storage_bucket import StorageBucket
from cdktf_cdktf_provider_google.storage_bucket_iam_member import StorageBucketIamMember

from infra.build import BuildContext, builder
from infra.gcp.account import Project
from infra.gcp.config import project_id
from infra.gcp.queues import Queue
from infra.logical import Kind

# Project-level roles, each with its reason: Firestore has no IAM finer than the project, and
# App Engine flexible VMs running as a user-managed account must write their own logs/metrics.
PROJECT_ROLES = {
    "datastore_user": "roles/datastore.user",
    "log_writer": "roles/logging.logWriter",
    "metric_writer": "roles/monitoring.metricWriter",
}


@builder(
    Kind.RUNTIME_IDENTITY,
    reads=(Kind.ACCOUNT, Kind.BUCKET, Kind.JOBS_QUEUE, Kind.DEAD_LETTER_QUEUE),
)
def build_runtime_identity(ctx: BuildContext) -> ServiceAccount:
    cid = ctx.id
    config = ctx.config
    account = ServiceAccount(
        ctx.stack,
        cid,
        account_id=f"{config.name}-runtime",
        display_name=f"{config.name} runtime (API and worker)",
        depends_on=[ctx.read(Kind.ACCOUNT, Project).apis["iam"]],
    )
    member = account.member
    StorageBucketIamMember(
        ctx.stack,
        f"{cid}_bucket_objects",
        bucket=ctx.read(Kind.BUCKET, StorageBucket).name,
        role="roles/storage.objectAdmin",
        member=member,
    )
    jobs = ctx.read(Kind.JOBS_QUEUE, Queue)
    dead_letters = ctx.read(Kind.DEAD_LETTER_QUEUE, Queue)
    PubsubTopicIamMember(
        ctx.stack,
        f"{cid}_jobs_publisher",
        topic=jobs.topic.name,
        role="roles/pubsub.publisher",
        member=member,
    )
    for name, queue in (("jobs", jobs), ("dead_letters", dead_letters)):
        PubsubSubscriptionIamMember(
            ctx.stack,
            f"{cid}_{name}_subscriber",
            subscription=queue.subscription.name,
            role="roles/pubsub.subscriber",
            member=member,
        )
    for name, role in PROJECT_ROLES.items():
        ProjectIamMember(
            ctx.stack,
            f"{cid}_{name}",
            project=project_id(config),
            role=role,
            member=member,
        )
    # No Cloud KMS role: the services' own agents encrypt and decrypt with the key (CMEK).
    ctx.output("runtime_service_account", account.email, "Service account of the runtime")
    return account
