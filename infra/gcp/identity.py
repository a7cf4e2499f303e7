"""One service account per process (the `default` App Engine service runs as the API's, the
`worker` service as the worker's), each granted its process's logical access
(`infra.logical.Access`) on this project's resources, with IAM conditions where a role would
otherwise reach further:

- Cloud Storage: a role per object prefix (or exact key), conditioned on the object's name,
  and listing only the prefixes the process lists, conditioned on the listing's prefix.
- Firestore: IAM stops at the database, so the grant is conditioned on this stack's database
  (any collection in it); the operator-written collections (API keys) are in a database of
  their own, which the API may only read and the worker not at all.
- Pub/Sub: publisher on the jobs topic, subscriber on the subscriptions the process reads.
- Cloud Logging and Monitoring writers on the project (App Engine flexible VMs running as a
  user-managed account write their own logs and metrics; neither role reads anything).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_google.project_iam_member import (
    ProjectIamMember,
    ProjectIamMemberCondition,
)
from cdktf_cdktf_provider_google.pubsub_subscription_iam_member import (
    PubsubSubscriptionIamMember,
)
from cdktf_cdktf_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.storage_bucket import StorageBucket
from cdktf_cdktf_provider_google.storage_bucket_iam_member import (
    StorageBucketIamMember,
    StorageBucketIamMemberCondition,
)

from infra.build import BuildContext, BuildError, builder
from infra.gcp.account import Project
from infra.gcp.config import project_id
from infra.gcp.documents import Documents
from infra.gcp.queues import Queue
from infra.logical import PROCESSES, Access, Kind, Process, Verb
from runtime.schema import COLLECTIONS

# Object roles by what the prefix allows: reading; or writing too (create, overwrite, delete).
OBJECT_ROLES = {
    frozenset({Verb.READ}): "roles/storage.objectViewer",
    frozenset({Verb.READ, Verb.WRITE}): "roles/storage.objectUser",
}
DOCUMENT_ROLES = {False: "roles/datastore.viewer", True: "roles/datastore.user"}
PROJECT_ROLES = {
    "log_writer": "roles/logging.logWriter",
    "metric_writer": "roles/monitoring.metricWriter",
}


@dataclass(frozen=True)
class Identities:
    """The service account of each process, by process name."""

    accounts: dict[str, ServiceAccount]


def _slug(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key).strip("_")


def object_condition(bucket: str, key: str) -> str:
    """CEL on the object's resource name: a prefix ("datasets/") or one exact key."""
    name = f"projects/_/buckets/{bucket}/objects/{key}"
    return (
        f'resource.name.startsWith("{name}")' if key.endswith("/") else f'resource.name == "{name}"'
    )


def listing_condition(prefix: str) -> str:
    """CEL on a listing's prefix (a listing's resource is the bucket, so no object condition
    ever matches one): under `prefix` if it ends in "/", else exactly `prefix`."""
    listed = 'api.getAttribute("storage.googleapis.com/objectListPrefix", "")'
    return f'{listed}.startsWith("{prefix}")' if prefix.endswith("/") else f'{listed} == "{prefix}"'


def database_condition(project: str, database: str) -> str:
    return f'resource.name == "projects/{project}/databases/{database}"'


def _grant_objects(ctx: BuildContext, process: Process, member: str, bucket: StorageBucket) -> None:
    for key, verbs in process.access.objects.items():
        role = OBJECT_ROLES.get(verbs | {Verb.READ})
        if role is None:
            raise BuildError(f"{process.name}: no object role for {sorted(verbs)} on {key}")
        StorageBucketIamMember(
            ctx.stack,
            f"{ctx.id}_{process.name}_objects_{_slug(key)}",
            bucket=bucket.name,
            role=role,
            member=member,
            condition=StorageBucketIamMemberCondition(
                title=f"{process.name} {key}",
                description=f"mlpoc {process.name}: objects {key}",
                expression=object_condition(bucket.name, key),
            ),
        )
    for prefix in process.access.lists:
        StorageBucketIamMember(
            ctx.stack,
            f"{ctx.id}_{process.name}_lists_{_slug(prefix)}",
            bucket=bucket.name,
            role=OBJECT_ROLES[frozenset({Verb.READ})],
            member=member,
            condition=StorageBucketIamMemberCondition(
                title=f"{process.name} lists {prefix}",
                description=f"mlpoc {process.name}: listing {prefix} only",
                expression=listing_condition(prefix),
            ),
        )


def _grant_documents(
    ctx: BuildContext, process: Process, member: str, documents: Documents
) -> None:
    access: Access = process.access
    declared = {c.name: c for c in COLLECTIONS}
    runtime_write = operators_read = runtime_read = False
    for name, verbs in access.collections.items():
        if declared[name].operator_written:
            if Verb.WRITE in verbs:
                raise BuildError(f"{process.name} may not write {name}: operators write it")
            operators_read = True
        else:
            runtime_read = True
            runtime_write = runtime_write or Verb.WRITE in verbs
    project = project_id(ctx.config)
    grants = []
    if runtime_read:
        grants.append(("documents", DOCUMENT_ROLES[runtime_write], documents.database))
    if operators_read:
        grants.append(("operator_documents", DOCUMENT_ROLES[False], documents.operators))
    for suffix, role, database in grants:
        ProjectIamMember(
            ctx.stack,
            f"{ctx.id}_{process.name}_{suffix}",
            project=project,
            role=role,
            member=member,
            condition=ProjectIamMemberCondition(
                title=f"{process.name} {suffix.replace('_', ' ')}",
                description=f"mlpoc {process.name}: this stack's Firestore database only",
                expression=database_condition(project, database.name),
            ),
        )


def _grant_queues(
    ctx: BuildContext, process: Process, member: str, jobs: Queue, dead_letters: Queue
) -> None:
    access = process.access
    if access.send_jobs:
        PubsubTopicIamMember(
            ctx.stack,
            f"{ctx.id}_{process.name}_jobs_publisher",
            topic=jobs.topic.name,
            role="roles/pubsub.publisher",
            member=member,
        )
    for name, queue, wanted in (
        ("jobs", jobs, access.receive_jobs),
        ("dead_letters", dead_letters, access.receive_dead_letters),
    ):
        if wanted:
            PubsubSubscriptionIamMember(
                ctx.stack,
                f"{ctx.id}_{process.name}_{name}_subscriber",
                subscription=queue.subscription.name,
                role="roles/pubsub.subscriber",
                member=member,
            )


@builder(
    Kind.RUNTIME_IDENTITY,
    reads=(Kind.ACCOUNT, Kind.BUCKET, Kind.JOBS_QUEUE, Kind.DEAD_LETTER_QUEUE, Kind.DOCUMENTS),
)
def build_runtime_identity(ctx: BuildContext) -> Identities:
    cid = ctx.id
    config = ctx.config
    iam_api = ctx.read(Kind.ACCOUNT, Project).apis["iam"]
    bucket = ctx.read(Kind.BUCKET, StorageBucket)
    documents = ctx.read(Kind.DOCUMENTS, Documents)
    jobs = ctx.read(Kind.JOBS_QUEUE, Queue)
    dead_letters = ctx.read(Kind.DEAD_LETTER_QUEUE, Queue)
    accounts = {}
    for process in PROCESSES:
        account = ServiceAccount(
            ctx.stack,
            f"{cid}_{process.name}",
            account_id=f"{config.name}-{process.name}",
            display_name=f"{config.name} {process.name}",
            depends_on=[iam_api],
        )
        member = account.member
        _grant_objects(ctx, process, member, bucket)
        _grant_documents(ctx, process, member, documents)
        _grant_queues(ctx, process, member, jobs, dead_letters)
        for name, role in PROJECT_ROLES.items():
            ProjectIamMember(
                ctx.stack,
                f"{cid}_{process.name}_{name}",
                project=project_id(config),
                role=role,
                member=member,
            )
        accounts[process.name] = account
        ctx.output(
            f"{process.name}_service_account",
            account.email,
            f"Service account of the {process.name} service",
        )
    # No Cloud KMS role: the services' own agents encrypt and decrypt with the key (CMEK).
    return Identities(accounts)
