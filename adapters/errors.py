"""One error hierarchy, raised identically by every backend.

Adapters translate their SDK's exceptions into these at the boundary, so code above the
ports never catches a botocore or google.api_core exception.
"""

from __future__ import annotations


class AdapterError(Exception):
    """Base of every error an adapter raises on purpose."""


class NotFound(AdapterError):
    """The blob, document or message does not exist (or no longer does)."""


class Conflict(AdapterError):
    """A precondition failed: create-only target exists, or the expected version is stale."""


class TooLarge(AdapterError):
    """The payload is over the portable size ceiling; it was refused before being sent."""


class BackendUnavailable(AdapterError):
    """The backend could not be reached or kept failing after the SDK's own retries."""


class ConfigurationError(AdapterError):
    """Settings are missing or invalid; the message names the environment variable to set."""
