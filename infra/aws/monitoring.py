"""Where alerts go, the dead-letter alarm and the monthly budget: what tells the team
something is wrong."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.budgets_budget import (
    BudgetsBudget,
    BudgetsBudgetNotification,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from infra.build import BuildContext, builder
from infra.logical import Kind

# Budget alerts: actual spend passing 80 %, and the month's forecast passing 100 %.
BUDGET_ALERTS = (("ACTUAL", 80), ("FORECASTED", 100))


@builder(Kind.ALERTS, reads=(Kind.KEY,))
def build_alerts(ctx: BuildContext) -> SnsTopic:
    """An encrypted SNS topic mailing the alert address (AWS asks the address to confirm)."""
    topic = SnsTopic(
        ctx.stack,
        f"{ctx.id}_topic",
        name=f"{ctx.config.name}-alarms",
        kms_master_key_id=ctx.read(Kind.KEY, KmsKey).arn,
        tags={"mlpoc:component": ctx.id},
    )
    SnsTopicSubscription(
        ctx.stack,
        f"{ctx.id}_email",
        topic_arn=topic.arn,
        protocol="email",
        endpoint=ctx.config.budget.alert_email,
    )
    return topic


@builder(Kind.DLQ_ALARM, reads=(Kind.ALERTS, Kind.DEAD_LETTER_QUEUE))
def build_dlq_alarm(ctx: BuildContext) -> CloudwatchMetricAlarm:
    cid = ctx.id
    topic = ctx.read(Kind.ALERTS, SnsTopic)
    alarm = CloudwatchMetricAlarm(
        ctx.stack,
        cid,
        alarm_name=f"{ctx.config.name}-dead-letters",
        alarm_description="A job was dead-lettered: it failed on every delivery.",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": ctx.read(Kind.DEAD_LETTER_QUEUE, SqsQueue).name},
        statistic="Maximum",
        period=300,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic.arn],
        ok_actions=[topic.arn],
        tags={"mlpoc:component": cid},
    )
    return alarm


@builder(Kind.BUDGET)
def build_budget(ctx: BuildContext) -> BudgetsBudget:
    budget = ctx.config.budget
    return BudgetsBudget(
        ctx.stack,
        ctx.id,
        name=f"{ctx.config.name}-monthly",
        budget_type="COST",
        limit_amount=f"{budget.amount:.2f}",
        limit_unit=budget.currency,
        time_unit="MONTHLY",
        notification=[
            BudgetsBudgetNotification(
                comparison_operator="GREATER_THAN",
                threshold=threshold,
                threshold_type="PERCENTAGE",
                notification_type=kind,
                subscriber_email_addresses=[budget.alert_email],
            )
            for kind, threshold in BUDGET_ALERTS
        ],
        tags={"mlpoc:component": ctx.id},
    )
