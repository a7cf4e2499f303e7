"""Data Access audit logs of Cloud Storage and Firestore: who read or wrote which object or
document (Google turns them off by default; Admin Activity logs are always on). They go to
Cloud Logging's `_Default` bucket, kept for [gcp].log_retention_days (the logs component)."""

from __future__ import annotations

from cdktf_cdktf_provider_google.project_iam_audit_config import (
    ProjectIamAuditConfig,
    ProjectIamAuditConfigAuditLogConfig,
)

from infra.build import BuildContext, builder
from infra.gcp.config import project_id
from infra.logical import Kind

# Firestore's audit logs are recorded under the Datastore service name.
AUDITED_SERVICES = {"storage": "storage.googleapis.com", "firestore": "datastore.googleapis.com"}
LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


@builder(Kind.AUDIT)
def build_audit(ctx: BuildContext) -> dict[str, ProjectIamAuditConfig]:
    return {
        name: ProjectIamAuditConfig(
            ctx.stack,
            f"{ctx.id}_{name}",
            project=project_id(ctx.config),
            service=service,
            audit_log_config=[
                ProjectIamAuditConfigAuditLogConfig(log_type=log_type) for log_type in LOG_TYPES
            ],
        )
        for name, service in AUDITED_SERVICES.items()
    }
