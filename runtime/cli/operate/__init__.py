"""What the CLI asks of a deployed cloud, one module per cloud (`aws.py`, `gcp.py`), picked by
name: where the credentials come from, the service's logs, the platform's view of the
services, emptying the bucket before a destroy. The cloud SDKs are imported here, in the CLI
(never in the runtime core), and only for the chosen cloud.

Without credentials each operation stops with one line naming what is missing (exit 2).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from adapters.settings import Settings
    from runtime.cli.cdktf import Cdktf
    from runtime.cli.project import Deployed


@dataclass(frozen=True)
class LogLine:
    timestamp: str  # ISO 8601, UTC
    source: str  # log group / service the line came from
    message: str


class CloudOps(Protocol):
    def credentials(self) -> str:
        """Where the SDK finds credentials (no cloud call); UserError if nowhere."""

    def platform_status(self, deployed: Deployed) -> list[tuple[str, str]]:
        """The platform's own view of the running services, as (what, state) rows."""

    def logs(
        self, deployed: Deployed, *, minutes: int, process: str | None, limit: int
    ) -> list[LogLine]:
        """The services' recent log lines, oldest first."""

    def empty_bucket(self, settings: Settings) -> int:
        """Delete every object version in the bucket; how many were deleted."""

    def before_destroy(self, cdktf: Cdktf) -> None:
        """What must happen before `cdktf destroy` can succeed on this cloud."""


def ops(cloud: str) -> CloudOps:
    module = importlib.import_module(f"runtime.cli.operate.{cloud}")
    found: CloudOps = module.OPS
    return found
