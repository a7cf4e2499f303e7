"""Pub/Sub: jobs topic + subscription with a dead-letter policy, and the dead-letter topic
with its own subscription (where the runtime reads dead letters)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_google.pubsub_subscription import (
    PubsubSubscription,
    PubsubSubscriptionDeadLetterPolicy,
    PubsubSubscriptionExpirationPolicy,
    PubsubSubscriptionRetryPolicy,
)
from cdktf_cdktf_provider_google.pubsub_subscription_iam_member import (
    PubsubSubscriptionIamMember,
)
from cdktf_cdktf_provider_google.pubsub_topic import PubsubTopic
from cdktf_cdktf_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember

from infra.build import BuildContext, builder
from infra.gcp.account import Project
from infra.gcp.security import Key
from infra.logical import Kind

# The runtime extends leases in the background, so the default lease can stay short.
ACK_DEADLINE_SECONDS = 60
JOBS_RETENTION = f"{4 * 24 * 3600}s"
DEAD_LETTER_RETENTION = f"{7 * 24 * 3600}s"  # the Pub/Sub maximum
MIN_BACKOFF = "10s"
MAX_BACKOFF = "600s"


@dataclass(frozen=True)
class Queue:
    topic: PubsubTopic
    subscription: PubsubSubscription


def _topic(ctx: BuildContext, name: str) -> PubsubTopic:
    key = ctx.read(Kind.KEY, Key)
    return PubsubTopic(
        ctx.stack,
        ctx.id,
        name=name,
        kms_key_name=key.key.id,
        labels={"mlpoc-component": ctx.id},
        depends_on=[key.grants["pubsub"]],
    )


def _never_expires() -> PubsubSubscriptionExpirationPolicy:
    return PubsubSubscriptionExpirationPolicy(ttl="")


@builder(Kind.DEAD_LETTER_QUEUE, reads=(Kind.ACCOUNT, Kind.KEY))
def build_dead_letter_queue(ctx: BuildContext) -> Queue:
    config = ctx.config
    topic = _topic(ctx, config.dead_letter_queue_name)
    subscription = PubsubSubscription(
        ctx.stack,
        f"{ctx.id}_subscription",
        name=f"{config.dead_letter_queue_name}-sub",
        topic=topic.id,
        ack_deadline_seconds=ACK_DEADLINE_SECONDS,
        message_retention_duration=DEAD_LETTER_RETENTION,
        expiration_policy=_never_expires(),
        labels={"mlpoc-component": ctx.id},
    )
    # Pub/Sub forwards dead letters as its service agent: it must publish to this topic.
    PubsubTopicIamMember(
        ctx.stack,
        f"{ctx.id}_pubsub_agent_publishes",
        topic=topic.name,
        role="roles/pubsub.publisher",
        member=ctx.read(Kind.ACCOUNT, Project).service_agent("pubsub"),
    )
    ctx.output("dead_letter_queue", topic.name, "MLPOC_DEAD_LETTER_QUEUE: dead-letter topic")
    ctx.output(
        "dead_letter_subscription",
        subscription.name,
        "MLPOC_DEAD_LETTER_SUBSCRIPTION: subscription on the dead-letter topic",
    )
    return Queue(topic, subscription)


@builder(Kind.JOBS_QUEUE, reads=(Kind.ACCOUNT, Kind.KEY, Kind.DEAD_LETTER_QUEUE))
def build_jobs_queue(ctx: BuildContext) -> Queue:
    config = ctx.config
    dead_letters = ctx.read(Kind.DEAD_LETTER_QUEUE, Queue)
    topic = _topic(ctx, config.queue_name)
    subscription = PubsubSubscription(
        ctx.stack,
        f"{ctx.id}_subscription",
        name=f"{config.queue_name}-sub",
        topic=topic.id,
        ack_deadline_seconds=ACK_DEADLINE_SECONDS,
        message_retention_duration=JOBS_RETENTION,
        expiration_policy=_never_expires(),
        dead_letter_policy=PubsubSubscriptionDeadLetterPolicy(
            dead_letter_topic=dead_letters.topic.id,
            # Must equal the runtime's MLPOC_MAX_DELIVERIES (both come from the config).
            max_delivery_attempts=config.project.max_deliveries,
        ),
        retry_policy=PubsubSubscriptionRetryPolicy(
            minimum_backoff=MIN_BACKOFF, maximum_backoff=MAX_BACKOFF
        ),
        labels={"mlpoc-component": ctx.id},
    )
    # ...and acknowledge on the source subscription what it forwarded.
    PubsubSubscriptionIamMember(
        ctx.stack,
        f"{ctx.id}_pubsub_agent_subscribes",
        subscription=subscription.name,
        role="roles/pubsub.subscriber",
        member=ctx.read(Kind.ACCOUNT, Project).service_agent("pubsub"),
    )
    ctx.output("queue", topic.name, "MLPOC_QUEUE: jobs topic")
    ctx.output("subscription", subscription.name, "MLPOC_SUBSCRIPTION: jobs subscription")
    ctx.output(
        "max_deliveries", config.project.max_deliveries, "MLPOC_MAX_DELIVERIES (= DLQ policy)"
    )
    return Queue(topic, subscription)
