"""One Elastic Beanstalk instance profile per process (API, worker), each granted its process's
logical access (`infra.logical.Access`) on this project's resources and nothing else, plus
what Elastic Beanstalk's own agents on its instances need for that environment alone (log
streaming, enhanced health, reading the release bundle).

Neither role can write the api_keys table (operators create keys with their own credentials)
or anything under the bucket's `_deploy/` prefix, where the release bundle lives."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from infra.aws.config import EB_BUNDLE_PREFIX, application_name, environment_name
from infra.aws.documents import Tables
from infra.aws.security import policy_document, statement
from infra.build import BuildContext, builder
from infra.logical import PROCESSES, Access, Kind, Process, Verb

# The actions each logical verb means, per service. S3: HeadObject is GetObject's.
OBJECT_ACTIONS = {Verb.READ: ("s3:GetObject",), Verb.WRITE: ("s3:PutObject", "s3:DeleteObject")}
# Listing names only, on the bucket, for every process: without it S3 answers a missing key
# with 403, not 404, and the adapters could not tell "not found" (NotFound) from "not
# allowed"; it also covers the listings of `Access.lists` (the API's readiness probe).
BUCKET_ACTIONS = ("s3:ListBucket",)
# Every process resolves both queue URLs and reads the jobs queue's redrive policy.
QUEUE_LOOKUP_ACTIONS = ("sqs:GetQueueUrl", "sqs:GetQueueAttributes")
SEND_ACTIONS = ("sqs:SendMessage",)
RECEIVE_ACTIONS = ("sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage")
TABLE_ACTIONS = {
    Verb.READ: ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan"),
    Verb.WRITE: ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"),
}
# The runtime's indexed queries (runtime.schema): Query on a table's secondary indexes.
INDEX_ACTIONS = ("dynamodb:Query",)
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# Elastic Beanstalk's log streaming (the CloudWatch agent on each instance) ...
LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
)
# ... its enhanced health agent, as AWS's own instance policy grants them ...
HEALTH_ACTIONS = ("elasticbeanstalk:PutInstanceStatistics",)
# ... and the instance fetching the application version (AWS: "the instance profile ...
# retrieves application versions from Amazon S3"): reading the bundle, never writing it.
BUNDLE_ACTIONS = ("s3:GetObject",)


@dataclass(frozen=True)
class Identities:
    """The instance profile (and its role) of each process, by process name."""

    profiles: dict[str, IamInstanceProfile]
    roles: dict[str, IamRole]


def _verbs(verbs: frozenset[Verb], actions: Mapping[Verb, tuple[str, ...]]) -> list[str]:
    return [action for verb in (Verb.READ, Verb.WRITE) if verb in verbs for action in actions[verb]]


def _object_arn(bucket_arn: str, key: str) -> str:
    """A prefix ("datasets/") covers every key under it; anything else is one key."""
    return f"{bucket_arn}/{key}*" if key.endswith("/") else f"{bucket_arn}/{key}"


def data_statements(
    access: Access, bucket: str, jobs: str, dead_letters: str, tables: Tables, key: str
) -> Iterator[DataAwsIamPolicyDocumentStatement]:
    """`access` in IAM terms, on these resources' ARNs (one statement per resource group)."""
    by_actions: dict[tuple[str, ...], list[str]] = {}
    for prefix, verbs in access.objects.items():
        by_actions.setdefault(tuple(_verbs(verbs, OBJECT_ACTIONS)), []).append(
            _object_arn(bucket, prefix)
        )
    for number, (actions, arns) in enumerate(sorted(by_actions.items())):
        yield statement(f"Objects{number}", actions, sorted(arns))
    yield statement("BucketListing", BUCKET_ACTIONS, [bucket])
    yield statement("QueueLookup", QUEUE_LOOKUP_ACTIONS, [jobs, dead_letters])
    if access.send_jobs:
        yield statement("SendJobs", SEND_ACTIONS, [jobs])
    receive = ([jobs] if access.receive_jobs else []) + (
        [dead_letters] if access.receive_dead_letters else []
    )
    if receive:
        yield statement("ReceiveJobs", RECEIVE_ACTIONS, receive)
    by_table_actions: dict[tuple[str, ...], list[str]] = {}
    indexes = []
    for collection, verbs in sorted(access.collections.items()):
        table = tables.tables[collection]
        by_table_actions.setdefault(tuple(_verbs(verbs, TABLE_ACTIONS)), []).append(table.arn)
        if Verb.READ in verbs and collection in tables.indexed:
            indexes.append(f"{table.arn}/index/*")
    for number, (actions, arns) in enumerate(sorted(by_table_actions.items())):
        yield statement(f"Tables{number}", actions, arns)
    if indexes:
        yield statement("TableIndexes", INDEX_ACTIONS, indexes)
    yield statement("ProjectKey", KMS_ACTIONS, [key])


def _platform_statements(
    ctx: BuildContext, process: Process, account: str, bucket: str
) -> list[DataAwsIamPolicyDocumentStatement]:
    """What Elastic Beanstalk's agents on this process's instances do, for its environment."""
    config = ctx.config
    region = config.project.region
    environment = environment_name(config, process.name)
    log_groups = f"arn:aws:logs:{region}:{account}:log-group:/aws/elasticbeanstalk/{environment}/*"
    eb = f"arn:aws:elasticbeanstalk:{region}:{account}"
    return [
        statement("PlatformLogs", LOG_ACTIONS, [log_groups, f"{log_groups}:log-stream:*"]),
        statement(
            "PlatformHealth",
            HEALTH_ACTIONS,
            [
                f"{eb}:application/{application_name(config)}",
                f"{eb}:environment/{application_name(config)}/{environment}",
            ],
        ),
        statement("ReleaseBundle", BUNDLE_ACTIONS, [f"{bucket}/{EB_BUNDLE_PREFIX}/*"]),
    ]


@builder(
    Kind.RUNTIME_IDENTITY,
    reads=(
        Kind.ACCOUNT,
        Kind.KEY,
        Kind.BUCKET,
        Kind.JOBS_QUEUE,
        Kind.DEAD_LETTER_QUEUE,
        Kind.DOCUMENTS,
    ),
)
def build_runtime_identity(ctx: BuildContext) -> Identities:
    cid = ctx.id
    config = ctx.config
    account = ctx.read(Kind.ACCOUNT, DataAwsCallerIdentity).account_id
    bucket = ctx.read(Kind.BUCKET, S3Bucket).arn
    jobs = ctx.read(Kind.JOBS_QUEUE, SqsQueue).arn
    dead_letters = ctx.read(Kind.DEAD_LETTER_QUEUE, SqsQueue).arn
    tables = ctx.read(Kind.DOCUMENTS, Tables)
    key = ctx.read(Kind.KEY, KmsKey).arn
    assume = policy_document(
        ctx.stack,
        f"{cid}_assume",
        [
            statement(
                "Ec2AssumesRole",
                ["sts:AssumeRole"],
                [],
                principals=("Service", ["ec2.amazonaws.com"]),
            )
        ],
    )
    profiles, roles = {}, {}
    for process in PROCESSES:
        name = f"{cid}_{process.name}"
        role = IamRole(
            ctx.stack,
            f"{name}_role",
            name=f"{config.name}-{process.name}",
            assume_role_policy=assume.json,
            tags={"mlpoc:component": cid, "mlpoc:process": process.name},
        )
        permissions = policy_document(
            ctx.stack,
            f"{name}_permissions",
            [
                *data_statements(process.access, bucket, jobs, dead_letters, tables, key),
                *_platform_statements(ctx, process, account, bucket),
            ],
        )
        IamRolePolicy(
            ctx.stack,
            f"{name}_policy",
            name=f"mlpoc-{process.name}",
            role=role.id,
            policy=permissions.json,
        )
        profiles[process.name] = IamInstanceProfile(
            ctx.stack, name, name=f"{config.name}-{process.name}", role=role.name
        )
        roles[process.name] = role
        ctx.output(
            f"{process.name}_role_arn", role.arn, f"IAM role of the {process.name} instances"
        )
    return Identities(profiles, roles)
