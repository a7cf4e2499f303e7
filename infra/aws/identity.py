"""The Elastic Beanstalk instance profile: only the calls the runtime makes, only on this
project's resources, plus what the platform's agents on the instance need for this
environment alone (log streaming, enhanced health)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from infra.aws.config import application_name, environment_name
from infra.aws.documents import Tables
from infra.aws.security import policy_document, statement
from infra.build import BuildContext, builder
from infra.logical import Kind

S3_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
S3_BUCKET_ACTIONS = ("s3:ListBucket",)
SQS_ACTIONS = (
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
)
DYNAMODB_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:BatchWriteItem",
    "dynamodb:DescribeTable",
)
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# Elastic Beanstalk's log streaming (the CloudWatch agent on each instance) ...
LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
)
# ... and its enhanced health agent, as AWS's own instance policy grants them.
HEALTH_ACTIONS = ("elasticbeanstalk:PutInstanceStatistics",)


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
def build_runtime_identity(ctx: BuildContext) -> IamInstanceProfile:
    cid = ctx.id
    config = ctx.config
    account = ctx.read(Kind.ACCOUNT, DataAwsCallerIdentity).account_id
    region = config.project.region
    environment = environment_name(config)
    log_groups = f"arn:aws:logs:{region}:{account}:log-group:/aws/elasticbeanstalk/{environment}/*"
    eb = f"arn:aws:elasticbeanstalk:{region}:{account}"
    bucket = ctx.read(Kind.BUCKET, S3Bucket)
    queues = [
        ctx.read(Kind.JOBS_QUEUE, SqsQueue).arn,
        ctx.read(Kind.DEAD_LETTER_QUEUE, SqsQueue).arn,
    ]
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
    role = IamRole(
        ctx.stack,
        f"{cid}_role",
        name=f"{config.name}-runtime",
        assume_role_policy=assume.json,
        tags={"mlpoc:component": cid},
    )
    permissions = policy_document(
        ctx.stack,
        f"{cid}_permissions",
        [
            statement("BucketObjects", S3_OBJECT_ACTIONS, [f"{bucket.arn}/*"]),
            statement("BucketListing", S3_BUCKET_ACTIONS, [bucket.arn]),
            statement("JobQueues", SQS_ACTIONS, queues),
            statement("DocumentTables", DYNAMODB_ACTIONS, ctx.read(Kind.DOCUMENTS, Tables).arns()),
            statement("ProjectKey", KMS_ACTIONS, [ctx.read(Kind.KEY, KmsKey).arn]),
            statement("PlatformLogs", LOG_ACTIONS, [log_groups, f"{log_groups}:log-stream:*"]),
            statement(
                "PlatformHealth",
                HEALTH_ACTIONS,
                [
                    f"{eb}:application/{application_name(config)}",
                    f"{eb}:environment/{application_name(config)}/{environment}",
                ],
            ),
        ],
    )
    IamRolePolicy(
        ctx.stack, f"{cid}_policy", name="mlpoc-runtime", role=role.id, policy=permissions.json
    )
    profile = IamInstanceProfile(ctx.stack, cid, name=f"{ctx.config.name}-runtime", role=role.name)
    ctx.output("runtime_role_arn", role.arn, "IAM role of the API and worker instances")
    return profile
