"""AWS operations for the CLI (boto3, from the `aws` extra)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from runtime.cli.base import fail
from runtime.cli.operate import LogLine

if TYPE_CHECKING:
    from adapters.settings import Settings
    from runtime.cli.cdktf import Cdktf
    from runtime.cli.project import Deployed

NO_CREDENTIALS = (
    "no AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
    "~/.aws/credentials, SSO, instance role): run `aws configure` or `aws sso login`"
)
LOG_PREFIX = "/aws/elasticbeanstalk/{environment}/"


def _boto3() -> Any:
    try:
        import boto3
    except ImportError:
        fail("the AWS SDK is not installed: pip install -e '.[aws]'")
    return boto3


def _client(service: str, region: str | None) -> Any:
    return _boto3().client(service, region_name=region)


class AwsOps:
    def credentials(self) -> str:
        found = _boto3().Session().get_credentials()
        if found is None:
            fail(NO_CREDENTIALS)
        return f"AWS credentials ({found.method})"

    def platform_status(self, deployed: Deployed) -> list[tuple[str, str]]:
        environment = deployed.outputs.get("environment")
        if not environment:
            return [("Elastic Beanstalk", "not in this stack's outputs")]
        client = _client("elasticbeanstalk", deployed.outputs.get("region"))
        found = client.describe_environments(EnvironmentNames=[environment])["Environments"]
        if not found:
            return [("Elastic Beanstalk", f"environment {environment} not found")]
        env = found[0]
        return [
            ("environment", f"{environment}: {env.get('Status')}"),
            ("health", f"{env.get('Health')} ({env.get('HealthStatus', 'n/a')})"),
            ("running version", str(env.get("VersionLabel"))),
        ]

    def logs(
        self, deployed: Deployed, *, minutes: int, process: str | None, limit: int
    ) -> list[LogLine]:
        # The API's environment, and the worker's where it runs apart (its own environment).
        environments = [
            deployed.outputs[name]
            for name in ("environment", "worker_environment")
            if deployed.outputs.get(name)
        ]
        if not environments:
            fail("the deployed stack names no Elastic Beanstalk environment (outputs: environment)")
        client = _client("logs", deployed.outputs.get("region"))
        prefixes = [LOG_PREFIX.format(environment=environment) for environment in environments]
        groups = [
            (prefix, group["logGroupName"])
            for prefix in prefixes
            for page in client.get_paginator("describe_log_groups").paginate(
                logGroupNamePrefix=prefix
            )
            for group in page["logGroups"]
        ]
        if not groups:
            fail(
                f"no log groups under {', '.join(prefixes)} yet: Elastic Beanstalk creates "
                "them when the instances start streaming (a few minutes after a deploy)"
            )
        start = int((datetime.now(UTC) - timedelta(minutes=minutes)).timestamp() * 1000)
        lines = []
        for prefix, group in groups:
            kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start, "limit": limit}
            if process:
                # docker compose prefixes each container's lines with its service name.
                kwargs["filterPattern"] = f'"{process}"'
            for event in client.filter_log_events(**kwargs).get("events", []):
                when = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
                source = group.removeprefix(prefix)
                if len(environments) > 1:
                    source = group.removeprefix("/aws/elasticbeanstalk/")
                lines.append(LogLine(when.isoformat(), source, event["message"].rstrip()))
        return sorted(lines, key=lambda line: line.timestamp)[-limit:]

    def empty_bucket(self, settings: Settings) -> int:
        s3 = _client("s3", settings.region)
        deleted = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=settings.bucket):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=settings.bucket, Delete={"Objects": doomed, "Quiet": True})
                deleted += len(doomed)
        return deleted

    def before_destroy(self, cdktf: Cdktf) -> None:
        """Nothing: every AWS resource of the stack can be destroyed (the KMS key is scheduled
        for deletion in 30 days)."""


OPS = AwsOps()
