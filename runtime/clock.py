"""Timestamps the runtime stores: UTC ISO-8601 with microseconds, which sort as text (the
document indexes order by them)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    """The current time as stored on every document."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
