"""One error hierarchy, raised identically by every backend.

Adapters translate their SDK's exceptions into these at the boundary, so code above the
ports never catches a botocore or google.api_core exception. One fault, one error, on
every backend:

| fault                                                      | error                |
| ---------------------------------------------------------- | -------------------- |
| the blob, document or message does not exist               | `NotFound`           |
| a create-only or versioned write lost (precondition)       | `Conflict`           |
| over a portable size ceiling (checked before sending)      | `TooLarge`           |
| bad input: key, id, field, limit, page token, page size    | `ValueError`         |
| access denied, credentials refused or missing, a resource  | `ConfigurationError` |
| the settings name does not exist, settings invalid         |                      |
| unreachable, throttled, 5xx, timed out (after SDK retries) | `BackendUnavailable` |

The last two differ in what helps: a `BackendUnavailable` may pass if the caller waits and
retries; a `ConfigurationError` persists until someone fixes the deployment (IAM, keys,
settings), so a worker reports itself unhealthy and the API answers 503 "misconfigured".
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
    """The backend could not be reached or kept failing after the SDK's own retries: a
    transient fault, worth retrying later."""


class ConfigurationError(AdapterError):
    """A fault only a fix of the deployment cures: settings missing or invalid (the message
    names the environment variable to set), a resource they name that does not exist, or
    the backend refusing this identity (access denied, credentials refused or missing)."""
