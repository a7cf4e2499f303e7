"""The dead-letter alert and the monthly budget, both mailing the configured address."""

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

from infra.build import BuildContext
from infra.logical import Component

# Budget alerts: actual spend passing 80 %, and the month's forecast passing 100 %.
BUDGET_ALERTS = ((0.8, "CURRENT_SPEND"), (1.0, "FORECASTED_SPEND"))


def _email_channel(ctx: BuildContext) -> MonitoringNotificationChannel:
    """One email channel, shared by the alert and the budget."""
    if "email_channel" not in ctx.built:
        ctx.built["email_channel"] = MonitoringNotificationChannel(
            ctx.stack,
            "email_channel",
            display_name=f"{ctx.config.name} alerts",
            type="email",
            labels={"email_address": ctx.config.budget.alert_email},
            depends_on=[ctx.built["apis"]["monitoring"]],
        )
    channel: MonitoringNotificationChannel = ctx.built["email_channel"]
    return channel


def build_dlq_alarm(ctx: BuildContext, component: Component) -> MonitoringAlertPolicy:
    subscription = ctx.built["dead_letter_queue"].subscription
    metric = "pubsub.googleapis.com/subscription/num_undelivered_messages"
    return MonitoringAlertPolicy(
        ctx.stack,
        component.id,
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
        notification_channels=[_email_channel(ctx).id],
        user_labels={"mlpoc-component": component.id},
    )


def build_budget(ctx: BuildContext, component: Component) -> BillingBudget:
    budget = ctx.config.budget
    units, cents = divmod(round(budget.amount * 100), 100)
    return BillingBudget(
        ctx.stack,
        component.id,
        billing_account=ctx.config.gcp.billing_account or "",
        display_name=f"{ctx.config.name}-monthly",
        budget_filter=BillingBudgetBudgetFilter(
            projects=[f"projects/{ctx.built['project'].number}"],
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
            monitoring_notification_channels=[_email_channel(ctx).id],
            disable_default_iam_recipients=False,
        ),
        depends_on=[ctx.built["apis"]["billingbudgets"]],
    )
