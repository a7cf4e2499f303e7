"""Elastic Beanstalk: one Docker environment running the API and the worker as two
containers of the same image (deploy/aws/docker-compose.yml, zipped at synth time)."""

from __future__ import annotations

import base64
import hashlib

from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository
from cdktf_cdktf_provider_aws.elastic_beanstalk_application import ElasticBeanstalkApplication
from cdktf_cdktf_provider_aws.elastic_beanstalk_application_version import (
    ElasticBeanstalkApplicationVersion,
)
from cdktf_cdktf_provider_aws.elastic_beanstalk_environment import (
    ElasticBeanstalkEnvironment,
    ElasticBeanstalkEnvironmentSetting,
)
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from adapters.settings import Settings
from infra.aws.config import AwsSection
from infra.build import BuildContext, builder
from infra.deploy_files import IMAGE_VARIABLE, source_bundle
from infra.logical import HEALTH_PATH, Kind

ENVIRONMENT_NAMESPACE = "aws:elasticbeanstalk:application:environment"


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


def _settings(namespace: str, values: dict[str, str]) -> list[ElasticBeanstalkEnvironmentSetting]:
    return [
        ElasticBeanstalkEnvironmentSetting(namespace=namespace, name=name, value=value)
        for name, value in values.items()
    ]


@builder(
    Kind.SERVICES,
    reads=(
        Kind.KEY,
        Kind.BUCKET,
        Kind.JOBS_QUEUE,
        Kind.DEAD_LETTER_QUEUE,
        Kind.REGISTRY,
        Kind.RUNTIME_IDENTITY,
    ),
)
def build_services(ctx: BuildContext) -> ElasticBeanstalkEnvironment:
    cid = ctx.id
    config = ctx.config
    bundle = source_bundle()
    digest = hashlib.sha256(bundle).hexdigest()
    application = ElasticBeanstalkApplication(
        ctx.stack,
        cid,
        name=config.name,
        description=f"{config.name}: mlpoc API and worker",
        tags={"mlpoc:component": cid},
    )
    bundle_object = S3Object(
        ctx.stack,
        f"{cid}_bundle",
        bucket=ctx.read(Kind.BUCKET, S3Bucket).id,
        key=f"_deploy/elasticbeanstalk/{digest}.zip",
        content_base64=base64.b64encode(bundle).decode("ascii"),
        content_type="application/zip",
        server_side_encryption="aws:kms",
        kms_key_id=ctx.read(Kind.KEY, KmsKey).arn,
    )
    version = ElasticBeanstalkApplicationVersion(
        ctx.stack,
        f"{cid}_version",
        application=application.name,
        name=f"{config.project.image_tag}-{digest[:12]}",
        bucket=bundle_object.bucket,
        key=bundle_object.key,
        description="docker-compose.yml: api + worker",
    )
    registry = ctx.read(Kind.REGISTRY, EcrRepository)
    image = f"{registry.repository_url}:{config.project.image_tag}"
    environment = runtime_settings(ctx).to_env() | {IMAGE_VARIABLE: image}
    settings = (
        _settings(ENVIRONMENT_NAMESPACE, environment)
        + _settings(
            "aws:autoscaling:launchconfiguration",
            {
                "IamInstanceProfile": ctx.read(Kind.RUNTIME_IDENTITY, IamInstanceProfile).name,
                "InstanceType": AwsSection.of(config).instance_type,
                "DisableIMDSv1": "true",
            },
        )
        + _settings(
            "aws:autoscaling:asg",
            {
                "MinSize": str(config.api.min_instances),
                "MaxSize": str(config.api.max_instances),
            },
        )
        + _settings(
            "aws:elasticbeanstalk:environment",
            {"EnvironmentType": "LoadBalanced", "LoadBalancerType": "application"},
        )
        + _settings(
            "aws:elasticbeanstalk:environment:process:default",
            {"HealthCheckPath": HEALTH_PATH, "Port": "80", "Protocol": "HTTP"},
        )
        + _settings(
            "aws:elasticbeanstalk:application", {"Application Healthcheck URL": HEALTH_PATH}
        )
        # Basic health: enhanced health needs EB's own permissions on the instance role,
        # which carries only what the runtime calls.
        + _settings("aws:elasticbeanstalk:healthreporting:system", {"SystemType": "basic"})
        + _settings(
            "aws:elasticbeanstalk:managedactions",
            {"ManagedActionsEnabled": "true", "PreferredStartTime": "Sun:03:00"},
        )
        + _settings("aws:elasticbeanstalk:managedactions:platformupdate", {"UpdateLevel": "minor"})
    )
    env = ElasticBeanstalkEnvironment(
        ctx.stack,
        f"{cid}_environment",
        name=f"{config.name}-env",
        application=application.name,
        solution_stack_name=AwsSection.of(config).solution_stack,
        version_label=version.name,
        setting=settings,
        tags={"mlpoc:component": cid},
    )
    ctx.output("service_url", env.cname, "Elastic Beanstalk URL of the API")
    ctx.output("image", image, "MLPOC_IMAGE: image both containers run")
    return env
