"""Where the project's logs are kept, and for how long: Cloud Logging's `_Default` bucket,
which receives the App Engine services' logs and the Data Access audit logs (the audit
component), with [gcp].log_retention_days (Google's default is 30).

The bucket is the project's own (it exists before the stack and outlives it): Terraform takes
over its settings, and a destroy only forgets it. The AWS stack's counterpart is a log bucket
in S3; Cloud Storage usage logs are not used (Google recommends Data Access audit logs for
auditing object access, and they carry who made each call)."""

from __future__ import annotations

from cdktf_cdktf_provider_google.logging_project_bucket_config import (
    LoggingProjectBucketConfig,
)

from infra.build import BuildContext, builder
from infra.gcp.account import Project
from infra.gcp.config import GcpSection, project_id
from infra.logical import Kind


@builder(Kind.LOGS, reads=(Kind.ACCOUNT,))
def build_logs(ctx: BuildContext) -> LoggingProjectBucketConfig:
    return LoggingProjectBucketConfig(
        ctx.stack,
        ctx.id,
        project=project_id(ctx.config),
        location="global",
        bucket_id="_Default",
        retention_days=GcpSection.of(ctx.config).log_retention_days,
        depends_on=[ctx.read(Kind.ACCOUNT, Project).apis["logging"]],
    )
