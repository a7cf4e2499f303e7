"""Where alerts go (one e-mail channel), the dead-letter alert and the monthly budget."""

from __future__ import annotations

from cdktf_cdktf_provider_google.billing_budget import (
    BillingBudget,
    BillingBudgetAllUpdatesRule,
    BillingBudgetAmount,
    BillingBudgetAmountSpecifiedAmount,
    BillingBudgetBudgetFilter,
    BillingBudgetThresholdRules,
)
from cdktf_cdktf_provider_google.monitoring_alert_policy import (
    MonitoringAlertPolicy,
    MonitoringAlertPolicyConditions,
    MonitoringAlertPolicyConditionsConditionThreshold,
    MonitoringAlertPolicyConditionsConditionThresholdAggregations,
)
from cdktf_cdktf_provider_google.monitoring_notification_channel import (
    MonitoringNotificationChannel,
)

from infra.build import BuildContext, builder
from infra.gcp.account import Project
from infra.gcp.config import billing_account
from infra.gcp.queues import Queue
from infra.logical import Kind

# Budget alerts: actual spend passing 80 %, and the month's forecast passing 100 %.
BUDGET_ALERTS = ((0.8, "CURRENT_SPEND"), (1.0, "FORECASTED_SPEND"))


@builder(Kind.ALERTS, reads=(Kind.ACCOUNT,))
def build_alerts(ctx: BuildContext) -> MonitoringNotificationChannel:
    """One e-mail channel, shared by the alert and the budget."""
    return MonitoringNotificationChannel(
        ctx.stack,
        f"{ctx.id}_email",
        display_name=f"{ctx.config.name} alerts",
        type="email",
        labels={"email_address": ctx.config.budget.alert_email},
        depends_on=[ctx.read(Kind.ACCOUNT, Project).apis["monitoring"]],
    )


@builder(Kind.DLQ_ALARM, reads=(Kind.ALERTS, Kind.DEAD_LETTER_QUEUE))
def build_dlq_alarm(ctx: BuildContext) -> MonitoringAlertPolicy:
    subscription = ctx.read(Kind.DEAD_LETTER_QUEUE, Queue).subscription
    metric = "pubsub.googleapis.com/subscription/num_undelivered_messages"
    return MonitoringAlertPolicy(
        ctx.stack,
        ctx.id,
        display_name=f"{ctx.config.name}: dead-lettered jobs",
        combiner="OR",
        conditions=[
            MonitoringAlertPolicyConditions(
                display_name="dead-letter subscription is not empty",
                condition_threshold=MonitoringAlertPolicyConditionsConditionThreshold(
                    filter=(
                        f'resource.type = "pubsub_subscription" AND '
                        f'resource.labels.subscription_id = "{subscription.name}" AND '
                        f'metric.type = "{metric}"'
                    ),
                    comparison="COMPARISON_GT",
                    threshold_value=0,
                    duration="0s",
                    aggregations=[
                        MonitoringAlertPolicyConditionsConditionThresholdAggregations(
                            alignment_period="300s", per_series_aligner="ALIGN_MAX"
                        )
                    ],
                ),
            )
        ],
        documentation={
            "content": "A job was dead-lettered: it failed on every delivery.",
            "mime_type": "text/markdown",
        },
        notification_channels=[ctx.read(Kind.ALERTS, MonitoringNotificationChannel).id],
        user_labels={"mlpoc-component": ctx.id},
    )


@builder(Kind.BUDGET, reads=(Kind.ACCOUNT, Kind.ALERTS))
def build_budget(ctx: BuildContext) -> BillingBudget:
    budget = ctx.config.budget
    project = ctx.read(Kind.ACCOUNT, Project)
    units, cents = divmod(round(budget.amount * 100), 100)
    return BillingBudget(
        ctx.stack,
        ctx.id,
        billing_account=billing_account(ctx.config),
        display_name=f"{ctx.config.name}-monthly",
        budget_filter=BillingBudgetBudgetFilter(
            projects=[f"projects/{project.project.number}"],
            calendar_period="MONTH",
        ),
        amount=BillingBudgetAmount(
            specified_amount=BillingBudgetAmountSpecifiedAmount(
                currency_code=budget.currency, units=str(units), nanos=cents * 10_000_000
            )
        ),
        threshold_rules=[
            BillingBudgetThresholdRules(threshold_percent=percent, spend_basis=basis)
            for percent, basis in BUDGET_ALERTS
        ],
        all_updates_rule=BillingBudgetAllUpdatesRule(
            monitoring_notification_channels=[
                ctx.read(Kind.ALERTS, MonitoringNotificationChannel).id
            ],
            disable_default_iam_recipients=False,
        ),
        depends_on=[project.apis["billingbudgets"]],
    )
