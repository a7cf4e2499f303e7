"""The Elastic Beanstalk instance profile: only the calls the runtime makes, only on this
project's resources."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from infra.aws.security import policy_document, statement
from infra.build import BuildContext
from infra.logical import Component, by_id

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


def build_runtime_identity(ctx: BuildContext, component: Component) -> IamInstanceProfile:
    cid = component.id
    bucket = ctx.built["bucket"]
    queues = [ctx.built["jobs_queue"].arn, ctx.built["dead_letter_queue"].arn]
    tables = ctx.built["documents"]
    table_arns = [table.arn for table in tables.values()]
    index_arns = [
        f"{tables[collection.name].arn}/index/*"
        for collection in by_id("documents").collections
        if collection.indexes
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
            statement("DocumentTables", DYNAMODB_ACTIONS, table_arns + index_arns),
            statement("ProjectKey", KMS_ACTIONS, [ctx.built["key"].arn]),
            statement("PullImage", ECR_PULL_ACTIONS, [ctx.built["registry"].arn]),
            statement("RegistryLogin", ECR_LOGIN_ACTIONS, ["*"]),
        ],
    )
    IamRolePolicy(
        ctx.stack, f"{cid}_policy", name="mlpoc-runtime", role=role.id, policy=permissions.json
    )
    profile = IamInstanceProfile(ctx.stack, cid, name=f"{ctx.config.name}-runtime", role=role.name)
    ctx.output("runtime_role_arn", role.arn, "IAM role of the API and worker instances")
    return profile
