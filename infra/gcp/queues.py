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

from infra.build import BuildContext
from infra.gcp.security import service_agent
from infra.logical import Component

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


def _topic(ctx: BuildContext, component: Component, name: str) -> PubsubTopic:
    return PubsubTopic(
        ctx.stack,
        component.id,
        name=name,
        kms_key_name=ctx.built["key"].id,
        labels={"mlpoc-component": component.id},
        depends_on=[ctx.built["key_grants"]["pubsub"]],
    )


def _never_expires() -> PubsubSubscriptionExpirationPolicy:
    return PubsubSubscriptionExpirationPolicy(ttl="")


def build_dead_letter_queue(ctx: BuildContext, component: Component) -> Queue:
    config = ctx.config
    topic = _topic(ctx, component, config.dead_letter_queue_name)
    subscription = PubsubSubscription(
        ctx.stack,
        f"{component.id}_subscription",
        name=f"{config.dead_letter_queue_name}-sub",
        topic=topic.id,
        ack_deadline_seconds=ACK_DEADLINE_SECONDS,
        message_retention_duration=DEAD_LETTER_RETENTION,
        expiration_policy=_never_expires(),
        labels={"mlpoc-component": component.id},
    )
    # Pub/Sub forwards dead letters as its service agent: it must publish to this topic.
    PubsubTopicIamMember(
        ctx.stack,
        f"{component.id}_pubsub_agent_publishes",
        topic=topic.name,
        role="roles/pubsub.publisher",
        member=service_agent(ctx, "pubsub"),
    )
    ctx.output("dead_letter_queue", topic.name, "MLPOC_DEAD_LETTER_QUEUE: dead-letter topic")
    ctx.output(
        "dead_letter_subscription",
        subscription.name,
        "MLPOC_DEAD_LETTER_SUBSCRIPTION: subscription on the dead-letter topic",
    )
    return Queue(topic, subscription)


def build_jobs_queue(ctx: BuildContext, component: Component) -> Queue:
    config = ctx.config
    dead_letters: Queue = ctx.built["dead_letter_queue"]
    topic = _topic(ctx, component, config.queue_name)
    subscription = PubsubSubscription(
        ctx.stack,
        f"{component.id}_subscription",
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
        labels={"mlpoc-component": component.id},
    )
    # ...and acknowledge on the source subscription what it forwarded.
    PubsubSubscriptionIamMember(
        ctx.stack,
        f"{component.id}_pubsub_agent_subscribes",
        subscription=subscription.name,
        role="roles/pubsub.subscriber",
        member=service_agent(ctx, "pubsub"),
    )
    ctx.output("queue", topic.name, "MLPOC_QUEUE: jobs topic")
    ctx.output("subscription", subscription.name, "MLPOC_SUBSCRIPTION: jobs subscription")
    return Queue(topic, subscription)
