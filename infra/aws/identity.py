"""The Elastic Beanstalk instance profile: only the calls the runtime makes, only on this
project's resources."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

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
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
# GetAuthorizationToken has no resource-level permissions: AWS requires "*".
ECR_LOGIN_ACTIONS = ("ecr:GetAuthorizationToken",)


@builder(
    Kind.RUNTIME_IDENTITY,
    reads=(
        Kind.KEY,
        Kind.BUCKET,
        Kind.JOBS_QUEUE,
        Kind.DEAD_LETTER_QUEUE,
        Kind.DOCUMENTS,
        Kind.REGISTRY,
    ),
)
def build_runtime_identity(ctx: BuildContext) -> IamInstanceProfile:
    cid = ctx.id
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
        name=f"{ctx.config.name}-runtime",
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
            statement("PullImage", ECR_PULL_ACTIONS, [ctx.read(Kind.REGISTRY, EcrRepository).arn]),
            statement("RegistryLogin", ECR_LOGIN_ACTIONS, ["*"]),
        ],
    )
    IamRolePolicy(
        ctx.stack, f"{cid}_policy", name="mlpoc-runtime", role=role.id, policy=permissions.json
    )
    profile = IamInstanceProfile(ctx.stack, cid, name=f"{ctx.config.name}-runtime", role=role.name)
    ctx.output("runtime_role_arn", role.arn, "IAM role of the API and worker instances")
    return profile
