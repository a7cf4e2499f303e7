"""Elastic Beanstalk: one Docker environment running the API and the worker as two
containers, built on each instance from the release bundle (infra.bundle), which Terraform
uploads to the bucket as an application version. Every option setting has its reason in
`OPTION_REASONS` (the README lists them)."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.elastic_beanstalk_application import ElasticBeanstalkApplication
from cdktf_cdktf_provider_aws.elastic_beanstalk_application_version import (
    ElasticBeanstalkApplicationVersion,
)
from cdktf_cdktf_provider_aws.elastic_beanstalk_environment import (
    ElasticBeanstalkEnvironment,
    ElasticBeanstalkEnvironmentSetting,
)
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from adapters.settings import Settings
from infra.assets import release_asset
from infra.aws.config import AwsSection, application_name, environment_name
from infra.aws.security import policy_document, statement
from infra.build import BuildContext, builder
from infra.bundle import Bundle
from infra.logical import HEALTH_PATH, Kind

ENVIRONMENT_NAMESPACE = "aws:elasticbeanstalk:application:environment"
# The policies AWS documents for an Elastic Beanstalk service role: enhanced health, and
# managed platform updates (which need enhanced health). Nothing else.
SERVICE_ROLE_POLICIES = {
    "health": "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
    "updates": "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
}
BUNDLE_PREFIX = "_deploy/elasticbeanstalk"

# Every option setting the environment gets (namespace, name) -> why. A test checks that the
# stack sets exactly these, and the README lists them.
OPTION_REASONS: dict[tuple[str, str], str] = {
    ("aws:autoscaling:launchconfiguration", "IamInstanceProfile"): (
        "the runtime identity: only the calls the runtime makes, on this project's resources"
    ),
    ("aws:autoscaling:launchconfiguration", "InstanceType"): "[aws].instance_type",
    ("aws:autoscaling:launchconfiguration", "DisableIMDSv1"): (
        "instance metadata only through IMDSv2 (session tokens)"
    ),
    ("aws:autoscaling:asg", "MinSize"): "[api].min_instances",
    ("aws:autoscaling:asg", "MaxSize"): "[api].max_instances",
    ("aws:elasticbeanstalk:environment", "EnvironmentType"): (
        "LoadBalanced: the API behind a load balancer, instances replaceable"
    ),
    ("aws:elasticbeanstalk:environment", "LoadBalancerType"): (
        "application: HTTP health checks on /healthz"
    ),
    ("aws:elasticbeanstalk:environment", "ServiceRole"): (
        "the service role enhanced health and managed updates act as"
    ),
    ("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath"): (
        "the API's /healthz answers the load balancer"
    ),
    ("aws:elasticbeanstalk:environment:process:default", "Port"): (
        "80: the API container's published port on the instance"
    ),
    ("aws:elasticbeanstalk:environment:process:default", "Protocol"): "HTTP to the instance",
    ("aws:elasticbeanstalk:application", "Application Healthcheck URL"): (
        "Elastic Beanstalk's own health check hits /healthz too"
    ),
    ("aws:elasticbeanstalk:healthreporting:system", "SystemType"): (
        "enhanced: what managed platform updates require"
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
    missing = sorted(set(OPTION_REASONS) - set(values))
    unknown = sorted(set(values) - set(OPTION_REASONS))
    if missing or unknown:
        raise ValueError(f"EB option settings without a reason {unknown} or unset {missing}")
    return [
        ElasticBeanstalkEnvironmentSetting(namespace=namespace, name=name, value=value)
        for (namespace, name), value in values.items()
    ]


@builder(
    Kind.SERVICES,
    reads=(Kind.KEY, Kind.BUCKET, Kind.JOBS_QUEUE, Kind.DEAD_LETTER_QUEUE, Kind.RUNTIME_IDENTITY),
)
def build_services(ctx: BuildContext) -> ElasticBeanstalkEnvironment:
    cid = ctx.id
    config = ctx.config
    aws = AwsSection.of(config)
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
    environment = {(ENVIRONMENT_NAMESPACE, name): value for name, value in settings.items()}
    options = {
        ("aws:autoscaling:launchconfiguration", "IamInstanceProfile"): ctx.read(
            Kind.RUNTIME_IDENTITY, IamInstanceProfile
        ).name,
        ("aws:autoscaling:launchconfiguration", "InstanceType"): aws.instance_type,
        ("aws:autoscaling:launchconfiguration", "DisableIMDSv1"): "true",
        ("aws:autoscaling:asg", "MinSize"): str(config.api.min_instances),
        ("aws:autoscaling:asg", "MaxSize"): str(config.api.max_instances),
        ("aws:elasticbeanstalk:environment", "EnvironmentType"): "LoadBalanced",
        ("aws:elasticbeanstalk:environment", "LoadBalancerType"): "application",
        ("aws:elasticbeanstalk:environment", "ServiceRole"): service_role.arn,
        ("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath"): HEALTH_PATH,
        ("aws:elasticbeanstalk:environment:process:default", "Port"): "80",
        ("aws:elasticbeanstalk:environment:process:default", "Protocol"): "HTTP",
        ("aws:elasticbeanstalk:application", "Application Healthcheck URL"): HEALTH_PATH,
        ("aws:elasticbeanstalk:healthreporting:system", "SystemType"): "enhanced",
        ("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled"): "true",
        ("aws:elasticbeanstalk:managedactions", "PreferredStartTime"): "Sun:03:00",
        ("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel"): "minor",
        ("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs"): "true",
        ("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate"): "false",
        ("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays"): str(aws.log_retention_days),
    }
    env = ElasticBeanstalkEnvironment(
        ctx.stack,
        f"{cid}_environment",
        name=environment_name(config),
        application=application.name,
        solution_stack_name=aws.solution_stack,
        version_label=version.name,
        setting=[*_environment_settings(environment), *_settings(options)],
        tags={"mlpoc:component": cid},
    )
    ctx.output("service_url", f"http://{env.cname}", "URL of the API")
    ctx.output("release", version.name, "Application version running (tag-bundle digest)")
    ctx.output("environment", env.name, "Elastic Beanstalk environment (logs: mlpoc logs)")
    ctx.output("settings", settings, "MLPOC_* settings the API and the worker run with")
    return env


def _environment_settings(
    values: dict[tuple[str, str], str],
) -> list[ElasticBeanstalkEnvironmentSetting]:
    """The runtime's settings as environment properties (written to the containers' .env)."""
    return [
        ElasticBeanstalkEnvironmentSetting(namespace=namespace, name=name, value=value)
        for (namespace, name), value in values.items()
    ]


def option_table() -> str:
    """The README's table of every option setting, with its reason (a test keeps it equal)."""
    rows = ["| namespace | option | why |", "| --- | --- | --- |"]
    rows += [f"| `{ns}` | `{name}` | {why} |" for (ns, name), why in OPTION_REASONS.items()]
    return "\n".join(rows)
