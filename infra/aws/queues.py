"""SQS jobs queue and its dead-letter queue, KMS-encrypted."""

from __future__ import annotations

import json

from cdktf import Token
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from infra.build import BuildContext, builder
from infra.logical import Kind

# The runtime extends leases in the background, so the default lease can stay short.
VISIBILITY_TIMEOUT_SECONDS = 60
JOBS_RETENTION_SECONDS = 4 * 24 * 3600
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum: time to look at failures
KMS_DATA_KEY_REUSE_SECONDS = 300


@builder(Kind.DEAD_LETTER_QUEUE, reads=(Kind.KEY,))
def build_dead_letter_queue(ctx: BuildContext) -> SqsQueue:
    queue = SqsQueue(
        ctx.stack,
        ctx.id,
        name=ctx.config.dead_letter_queue_name,
        message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        kms_master_key_id=ctx.read(Kind.KEY, KmsKey).arn,
        kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS,
        tags={"mlpoc:component": ctx.id},
    )
    ctx.output("dead_letter_queue", queue.name, "MLPOC_DEAD_LETTER_QUEUE: SQS dead-letter queue")
    ctx.output("dead_letter_queue_url", queue.url, "SQS dead-letter queue URL")
    return queue


@builder(Kind.JOBS_QUEUE, reads=(Kind.KEY, Kind.DEAD_LETTER_QUEUE))
def build_jobs_queue(ctx: BuildContext) -> SqsQueue:
    dead_letters = ctx.read(Kind.DEAD_LETTER_QUEUE, SqsQueue)
    redrive = {
        "deadLetterTargetArn": Token.as_string(dead_letters.arn),
        # Must equal the runtime's MLPOC_MAX_DELIVERIES (both come from the config).
        "maxReceiveCount": ctx.config.project.max_deliveries,
    }
    queue = SqsQueue(
        ctx.stack,
        ctx.id,
        name=ctx.config.queue_name,
        visibility_timeout_seconds=VISIBILITY_TIMEOUT_SECONDS,
        message_retention_seconds=JOBS_RETENTION_SECONDS,
        receive_wait_time_seconds=0,
        redrive_policy=json.dumps(redrive, separators=(",", ":")),
        kms_master_key_id=ctx.read(Kind.KEY, KmsKey).arn,
        kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS,
        tags={"mlpoc:component": ctx.id},
    )
    ctx.output("queue", queue.name, "MLPOC_QUEUE: SQS jobs queue")
    ctx.output("queue_url", queue.url, "SQS jobs queue URL")
    ctx.output(
        "max_deliveries", ctx.config.project.max_deliveries, "MLPOC_MAX_DELIVERIES (= redrive)"
    )
    return queue
