"""A CloudTrail trail of this stack's data events: every object read and write of the data
bucket and every item call on the tables, by whom, into the log bucket (`cloudtrail/`),
encrypted with the project key and digest-validated. Management events stay with the
account's own trail (the first copy of those is free; a second would be billed)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudtrail import (
    Cloudtrail,
    CloudtrailEventSelector,
    CloudtrailEventSelectorDataResource,
)
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

from infra.aws.config import trail_name
from infra.aws.documents import Tables
from infra.aws.logs import TRAIL_PREFIX, LogBucket
from infra.build import BuildContext, builder
from infra.logical import Kind


@builder(Kind.AUDIT, reads=(Kind.KEY, Kind.LOGS, Kind.BUCKET, Kind.DOCUMENTS))
def build_audit(ctx: BuildContext) -> Cloudtrail:
    logs = ctx.read(Kind.LOGS, LogBucket)
    bucket = ctx.read(Kind.BUCKET, S3Bucket)
    tables = ctx.read(Kind.DOCUMENTS, Tables)
    trail = Cloudtrail(
        ctx.stack,
        ctx.id,
        name=trail_name(ctx.config),
        s3_bucket_name=logs.bucket.id,
        s3_key_prefix=TRAIL_PREFIX,
        kms_key_id=ctx.read(Kind.KEY, KmsKey).arn,
        enable_log_file_validation=True,
        # A multi-Region trail must include global service events; with management events
        # off, neither adds anything but CloudTrail's own guarantees.
        is_multi_region_trail=True,
        include_global_service_events=True,
        enable_logging=True,
        event_selector=[
            CloudtrailEventSelector(
                read_write_type="All",
                include_management_events=False,
                data_resource=[
                    # Every object of the data bucket (the trailing slash: all keys).
                    CloudtrailEventSelectorDataResource(
                        type="AWS::S3::Object", values=[f"{bucket.arn}/"]
                    ),
                    CloudtrailEventSelectorDataResource(
                        type="AWS::DynamoDB::Table",
                        values=[table.arn for table in tables.tables.values()],
                    ),
                ],
            )
        ],
        tags={"mlpoc:component": ctx.id},
        # CloudTrail checks at creation that the bucket policy lets it write.
        depends_on=[logs.policy],
    )
    ctx.output("trail", trail.name, "CloudTrail trail of the bucket's and tables' data events")
    return trail
