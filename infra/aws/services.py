"""Elastic Beanstalk: one application, two Docker environments from the same release bundle
(infra.bundle), which Terraform uploads to the bucket as an application version and each
instance builds: the API behind an application load balancer that only CloudFront can reach
(the edge component), and the worker alone on a single instance (Spot if [worker].spot),
each with its own instance profile. The bundle's compose file holds both services; an
environment starts its own (COMPOSE_PROFILES). Every option setting has its reason in
`OPTION_REASONS`."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_ec2_managed_prefix_list import (
    DataAwsEc2ManagedPrefixList,
)
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_random_password import (
    DataAwsSecretsmanagerRandomPassword,
)
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.elastic_beanstalk_application import ElasticBeanstalkApplication
from cdktf_cdktf_provider_aws.elastic_beanstalk_application_version import (
    ElasticBeanstalkApplicationVersion,
)
from cdktf_cdktf_provider_aws.elastic_beanstalk_environment import (
    ElasticBeanstalkEnvironment,
    ElasticBeanstalkEnvironmentSetting,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.security_group import (
    SecurityGroup,
    SecurityGroupEgress,
    SecurityGroupIngress,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from adapters.settings import Settings
from infra.assets import release_asset
from infra.aws.config import EB_BUNDLE_PREFIX, AwsSection, application_name, environment_name
from infra.aws.identity import Identities
from infra.aws.logs import LOAD_BALANCER_PREFIX, LogBucket
from infra.aws.rollout import RolloutOptions
from infra.aws.security import policy_document, statement
from infra.build import BuildContext, builder
from infra.bundle import Bundle
from infra.deploy_files import MEMORY_VARIABLE, PROFILES_VARIABLE, PUBLIC_PORT
from infra.logical import API, WORKER, Kind, Process, api_setting

ENVIRONMENT_NAMESPACE = "aws:elasticbeanstalk:application:environment"
HEALTH_LOGS = "aws:elasticbeanstalk:cloudwatch:logs:health"
# The policies AWS documents for an Elastic Beanstalk service role: enhanced health, and
# managed platform updates (which need enhanced health). Nothing else.
SERVICE_ROLE_POLICIES = {
    "health": "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
    "updates": "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
}
BUNDLE_PREFIX = EB_BUNDLE_PREFIX
# The AWS-managed prefix list of the addresses CloudFront connects to origins from.
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"

# Every option setting an environment gets (namespace, name) -> why. A test checks that each
# one the stack sets has its reason here and each reason is used.
OPTION_REASONS: dict[tuple[str, str], str] = {
    ("aws:autoscaling:launchconfiguration", "IamInstanceProfile"): (
        "the process's own identity: only the calls it makes, on this project's resources"
    ),
    ("aws:autoscaling:launchconfiguration", "InstanceType"): "[aws].instance_type (the API)",
    ("aws:autoscaling:launchconfiguration", "DisableIMDSv1"): (
        "instance metadata only through IMDSv2 (session tokens)"
    ),
    ("aws:ec2:instances", "InstanceTypes"): (
        "[aws].worker_instance_type (default: instance_type) for the worker"
    ),
    ("aws:ec2:instances", "EnableSpot"): "[worker].spot: the worker on Spot capacity",
    ("aws:ec2:instances", "SpotFleetOnDemandBase"): "0: with spot on, no on-demand instance",
    ("aws:ec2:instances", "SpotFleetOnDemandAboveBasePercentage"): "0: all of it on Spot",
    ("aws:autoscaling:asg", "MinSize"): "[api].min_instances",
    ("aws:autoscaling:asg", "MaxSize"): "[api].max_instances",
    ("aws:elasticbeanstalk:environment", "EnvironmentType"): (
        "API: LoadBalanced (instances replaceable behind it); worker: SingleInstance (it "
        "serves nothing, so no load balancer to pay for)"
    ),
    ("aws:elasticbeanstalk:environment", "LoadBalancerType"): (
        "application: HTTP health checks on the ready path"
    ),
    ("aws:elasticbeanstalk:environment", "ServiceRole"): (
        "the service role enhanced health and managed updates act as"
    ),
    ("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath"): (
        "the rollout's ready path: an instance takes traffic once its models are loaded"
    ),
    ("aws:elasticbeanstalk:environment:process:default", "Port"): (
        "80: the API container's published port on the instance"
    ),
    ("aws:elasticbeanstalk:environment:process:default", "Protocol"): (
        "HTTP from the load balancer to the instance, inside the VPC"
    ),
    ("aws:elasticbeanstalk:application", "Application Healthcheck URL"): (
        "Elastic Beanstalk's own health check asks the ready path too"
    ),
    ("aws:elasticbeanstalk:healthreporting:system", "SystemType"): (
        "enhanced: what traffic splitting and managed platform updates require"
    ),
    ("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled"): (
        "the platform's security patches applied without a deploy"
    ),
    ("aws:elasticbeanstalk:managedactions", "PreferredStartTime"): "a quiet weekly window",
    ("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel"): (
        "minor: patch and minor platform versions only, never a new major"
    ),
    ("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs"): (
        "instance and container logs outlive the instance (mlpoc logs reads them)"
    ),
    ("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate"): (
        "false: the logs stay when the environment goes"
    ),
    ("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays"): "[aws].log_retention_days",
    ("aws:elasticbeanstalk:cloudwatch:logs:health", "HealthStreamingEnabled"): (
        "enhanced health's transitions kept in CloudWatch Logs (why a rollout stopped)"
    ),
    ("aws:elasticbeanstalk:cloudwatch:logs:health", "DeleteOnTerminate"): (
        "false: the health history stays when the environment goes"
    ),
    ("aws:elasticbeanstalk:cloudwatch:logs:health", "RetentionInDays"): (
        "[aws].log_retention_days"
    ),
    ("aws:elbv2:loadbalancer", "SecurityGroups"): (
        "the load balancer's own group: port 80 from CloudFront's origin-facing addresses only"
    ),
    ("aws:elbv2:loadbalancer", "ManagedSecurityGroup"): (
        "that group, not one Elastic Beanstalk would open to the internet"
    ),
    ("aws:elbv2:loadbalancer", "AccessLogsS3Enabled"): "every request, to the log bucket",
    ("aws:elbv2:loadbalancer", "AccessLogsS3Bucket"): "the log bucket",
    ("aws:elbv2:loadbalancer", "AccessLogsS3Prefix"): "alb/ in the log bucket",
    ("aws:elasticbeanstalk:command", "DeploymentPolicy"): (
        "the rollout: API TrafficSplitting (a canary, then all), worker Immutable"
    ),
    ("aws:elasticbeanstalk:command", "HealthCheckSuccessThreshold"): (
        "a new instance must be Ok, not merely Warning, to pass"
    ),
    ("aws:elasticbeanstalk:command", "IgnoreHealthCheck"): (
        "false: a failing health check stops the rollout"
    ),
    ("aws:elasticbeanstalk:command", "Timeout"): (
        "room to build the image on a new instance, start it and evaluate it"
    ),
    ("aws:elasticbeanstalk:trafficsplitting", "NewVersionPercent"): (
        "the canary's share of requests"
    ),
    ("aws:elasticbeanstalk:trafficsplitting", "EvaluationTime"): (
        "minutes the canary's health is watched before all traffic moves"
    ),
}


def runtime_settings(ctx: BuildContext) -> Settings:
    """The runtime's settings on AWS, with Terraform references where a name is an attribute
    of a resource (so the environment also depends on it)."""
    config = ctx.config
    return Settings(
        backend="aws",
        bucket=ctx.read(Kind.BUCKET, S3Bucket).bucket,
        queue=ctx.read(Kind.JOBS_QUEUE, SqsQueue).name,
        dead_letter_queue=ctx.read(Kind.DEAD_LETTER_QUEUE, SqsQueue).name,
        table_prefix=config.table_prefix,
        max_deliveries=config.project.max_deliveries,
        region=config.project.region,
    )


def _service_role(ctx: BuildContext) -> IamRole:
    """The role Elastic Beanstalk itself acts as (health, managed updates)."""
    assume = policy_document(
        ctx.stack,
        f"{ctx.id}_service_assume",
        [
            statement(
                "ElasticBeanstalkAssumesRole",
                ["sts:AssumeRole"],
                [],
                principals=("Service", ["elasticbeanstalk.amazonaws.com"]),
                condition=("StringEquals", "sts:ExternalId", ["elasticbeanstalk"]),
            )
        ],
    )
    role = IamRole(
        ctx.stack,
        f"{ctx.id}_service_role",
        name=f"{ctx.config.name}-eb-service",
        assume_role_policy=assume.json,
        tags={"mlpoc:component": ctx.id},
    )
    for name, arn in SERVICE_ROLE_POLICIES.items():
        IamRolePolicyAttachment(
            ctx.stack, f"{ctx.id}_service_role_{name}", role=role.name, policy_arn=arn
        )
    return role


def _bundle_object(ctx: BuildContext, bundle: Bundle) -> S3Object:
    """The release bundle as a Terraform asset, uploaded under its digest. A new release is a
    new object and a new application version, made before the old ones go."""
    return S3Object(
        ctx.stack,
        f"{ctx.id}_bundle",
        bucket=ctx.read(Kind.BUCKET, S3Bucket).id,
        key=f"{BUNDLE_PREFIX}/{bundle.digest}.zip",
        source=release_asset(ctx.stack, bundle),
        content_type="application/zip",
        server_side_encryption="aws:kms",
        kms_key_id=ctx.read(Kind.KEY, KmsKey).arn,
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
    )


def _settings(values: dict[tuple[str, str], str]) -> list[ElasticBeanstalkEnvironmentSetting]:
    unknown = sorted(key for key in values if key[0] != ENVIRONMENT_NAMESPACE)
    unknown = [key for key in unknown if key not in OPTION_REASONS]
    if unknown:
        raise ValueError(f"Elastic Beanstalk option settings without a reason: {unknown}")
    return [
        ElasticBeanstalkEnvironmentSetting(namespace=namespace, name=name, value=value)
        for (namespace, name), value in values.items()
    ]


def _origin_secret(ctx: BuildContext) -> SsmParameter:
    """A random value only CloudFront and the API know (the edge sends it as a header; the
    API refuses requests without it). Made once: Terraform keeps it in the parameter."""
    random = DataAwsSecretsmanagerRandomPassword(
        ctx.stack, f"{ctx.id}_origin_secret_random", password_length=48, exclude_punctuation=True
    )
    return SsmParameter(
        ctx.stack,
        f"{ctx.id}_origin_secret",
        name=f"/{ctx.config.name}/origin-secret",
        description="Header value CloudFront sends to the API's load balancer",
        type="SecureString",
        key_id=ctx.read(Kind.KEY, KmsKey).arn,
        value=random.random_password,
        # The random source answers anew on every plan: keep the first value.
        lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        tags={"mlpoc:component": ctx.id},
    )


@dataclass(frozen=True)
class LoadBalancerNetwork:
    group: SecurityGroup
    vpc_cidr: str


def _load_balancer_group(ctx: BuildContext) -> LoadBalancerNetwork:
    """The API load balancer's security group: port 80 from CloudFront's origin-facing
    addresses and nothing else, and out to the instances of this VPC on port 80 only."""
    vpc = DataAwsVpc(ctx.stack, f"{ctx.id}_vpc", default=True)
    cloudfront = DataAwsEc2ManagedPrefixList(
        ctx.stack, f"{ctx.id}_cloudfront_origins", name=CLOUDFRONT_ORIGIN_FACING
    )
    group = SecurityGroup(
        ctx.stack,
        f"{ctx.id}_load_balancer",
        name=f"{ctx.config.name}-api-load-balancer",
        description="mlpoc API load balancer: reachable from CloudFront only",
        vpc_id=vpc.id,
        ingress=[
            SecurityGroupIngress(
                description="HTTP from the CloudFront origin-facing servers",
                protocol="tcp",
                from_port=PUBLIC_PORT,
                to_port=PUBLIC_PORT,
                prefix_list_ids=[cloudfront.id],
                cidr_blocks=[],
                ipv6_cidr_blocks=[],
                security_groups=[],
                self_attribute=False,
            )
        ],
        egress=[
            SecurityGroupEgress(
                description="HTTP to the API instances in this VPC",
                protocol="tcp",
                from_port=PUBLIC_PORT,
                to_port=PUBLIC_PORT,
                cidr_blocks=[vpc.cidr_block],
                ipv6_cidr_blocks=[],
                prefix_list_ids=[],
                security_groups=[],
                self_attribute=False,
            )
        ],
        tags={"mlpoc:component": ctx.id},
    )
    return LoadBalancerNetwork(group, vpc.cidr_block)


@dataclass(frozen=True)
class Environments:
    """The application and its two environments; what the edge puts in front of the API."""

    application: ElasticBeanstalkApplication
    api: ElasticBeanstalkEnvironment
    worker: ElasticBeanstalkEnvironment
    origin_secret: str  # a reference to the parameter's value


def _common_options(
    ctx: BuildContext, process: Process, identities: Identities, service_role: IamRole
) -> dict[tuple[str, str], str]:
    aws = AwsSection.of(ctx.config)
    return {
        ("aws:autoscaling:launchconfiguration", "IamInstanceProfile"): (
            identities.profiles[process.name].name
        ),
        ("aws:autoscaling:launchconfiguration", "DisableIMDSv1"): "true",
        ("aws:elasticbeanstalk:environment", "ServiceRole"): service_role.arn,
        ("aws:elasticbeanstalk:healthreporting:system", "SystemType"): "enhanced",
        ("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled"): "true",
        ("aws:elasticbeanstalk:managedactions", "PreferredStartTime"): "Sun:03:00",
        ("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel"): "minor",
        ("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs"): "true",
        ("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate"): "false",
        ("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays"): str(aws.log_retention_days),
        (HEALTH_LOGS, "HealthStreamingEnabled"): "true",
        (HEALTH_LOGS, "DeleteOnTerminate"): "false",
        (HEALTH_LOGS, "RetentionInDays"): str(aws.log_retention_days),
    }


def _process_environment(process: Process, memory_mib: int) -> dict[str, str]:
    """What an environment's instances need on top of the runtime's settings: which compose
    service to start, and how much memory its container may take."""
    return {PROFILES_VARIABLE: process.name, MEMORY_VARIABLE: f"{memory_mib}m"}


@builder(
    Kind.SERVICES,
    reads=(
        Kind.KEY,
        Kind.LOGS,
        Kind.BUCKET,
        Kind.JOBS_QUEUE,
        Kind.DEAD_LETTER_QUEUE,
        Kind.RUNTIME_IDENTITY,
        Kind.ROLLOUT,
    ),
)
def build_services(ctx: BuildContext) -> Environments:
    cid = ctx.id
    config = ctx.config
    aws = AwsSection.of(config)
    identities = ctx.read(Kind.RUNTIME_IDENTITY, Identities)
    rollout = ctx.read(Kind.ROLLOUT, RolloutOptions)
    logs = ctx.read(Kind.LOGS, LogBucket)
    bundle = Bundle()
    application = ElasticBeanstalkApplication(
        ctx.stack,
        cid,
        name=application_name(config),
        description=f"{config.name}: mlpoc API and worker",
        tags={"mlpoc:component": cid},
    )
    bundle_object = _bundle_object(ctx, bundle)
    version = ElasticBeanstalkApplicationVersion(
        ctx.stack,
        f"{cid}_version",
        application=application.name,
        name=f"{config.project.image_tag}-{bundle.digest[:12]}",
        bucket=bundle_object.bucket,
        key=bundle_object.key,
        description=f"release bundle sha256 {bundle.digest}",
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
    )
    service_role = _service_role(ctx)
    settings = runtime_settings(ctx).to_env()
    secret = _origin_secret(ctx)
    network = _load_balancer_group(ctx)

    api_env = (
        settings
        | _process_environment(API, aws.container_memory(aws.instance_type))
        | {
            api_setting("origin_secret"): secret.value,
            # The load balancer's nodes live in the VPC: their X-Forwarded-For is believed.
            api_setting("forwarded_allow_ips"): network.vpc_cidr,
        }
    )
    api_options = (
        _common_options(ctx, API, identities, service_role)
        | {
            ("aws:autoscaling:launchconfiguration", "InstanceType"): aws.instance_type,
            ("aws:autoscaling:asg", "MinSize"): str(config.api.min_instances),
            ("aws:autoscaling:asg", "MaxSize"): str(config.api.max_instances),
            ("aws:elasticbeanstalk:environment", "EnvironmentType"): "LoadBalanced",
            ("aws:elasticbeanstalk:environment", "LoadBalancerType"): "application",
            ("aws:elasticbeanstalk:environment:process:default", "Port"): str(PUBLIC_PORT),
            ("aws:elasticbeanstalk:environment:process:default", "Protocol"): "HTTP",
            ("aws:elbv2:loadbalancer", "SecurityGroups"): network.group.id,
            ("aws:elbv2:loadbalancer", "ManagedSecurityGroup"): network.group.id,
            ("aws:elbv2:loadbalancer", "AccessLogsS3Enabled"): "true",
            ("aws:elbv2:loadbalancer", "AccessLogsS3Bucket"): logs.bucket.id,
            ("aws:elbv2:loadbalancer", "AccessLogsS3Prefix"): LOAD_BALANCER_PREFIX,
        }
        | rollout.api
    )
    worker_type = aws.worker_type
    worker_options = (
        _common_options(ctx, WORKER, identities, service_role)
        | {
            ("aws:elasticbeanstalk:environment", "EnvironmentType"): "SingleInstance",
            ("aws:ec2:instances", "InstanceTypes"): worker_type,
            ("aws:ec2:instances", "EnableSpot"): str(config.worker.spot).lower(),
        }
        | (
            {
                ("aws:ec2:instances", "SpotFleetOnDemandBase"): "0",
                ("aws:ec2:instances", "SpotFleetOnDemandAboveBasePercentage"): "0",
            }
            if config.worker.spot
            else {}
        )
        | rollout.worker
    )
    worker_env = settings | _process_environment(WORKER, aws.container_memory(worker_type))
    environments = {}
    for process, env_vars, options in (
        (API, api_env, api_options),
        (WORKER, worker_env, worker_options),
    ):
        environment = {(ENVIRONMENT_NAMESPACE, name): value for name, value in env_vars.items()}
        environments[process.name] = ElasticBeanstalkEnvironment(
            ctx.stack,
            f"{cid}_{process.name}",
            name=environment_name(config, process.name),
            application=application.name,
            solution_stack_name=aws.solution_stack,
            version_label=version.name,
            setting=_settings(environment | options),
            tags={"mlpoc:component": cid, "mlpoc:process": process.name},
        )
    api, worker = environments[API.name], environments[WORKER.name]
    ctx.output("release", version.name, "Application version running (tag-bundle digest)")
    ctx.output("environment", api.name, "Elastic Beanstalk environment of the API (mlpoc logs)")
    ctx.output("worker_environment", worker.name, "Elastic Beanstalk environment of the worker")
    ctx.output("settings", settings, "MLPOC_* settings the API and the worker run with")
    return Environments(application, api, worker, secret.value)


def option_table() -> str:
    """The README's table of every option setting, with its reason (a test keeps it equal)."""
    rows = ["| namespace | option | why |", "| --- | --- | --- |"]
    rows += [f"| `{ns}` | `{name}` | {why} |" for (ns, name), why in OPTION_REASONS.items()]
    return "\n".join(rows)
