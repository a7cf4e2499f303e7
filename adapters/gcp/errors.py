"""google.api_core (and transport) exceptions -> the adapters' one error hierarchy.

Each adapter call runs inside `translated(...)`, so nothing above the ports ever sees a
Google exception. Call sites that give an error a narrower meaning (a 409 on a create is a
`Conflict`, a 404 on an idempotent delete is success) catch the Google type themselves
before this generic mapping applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from adapters.errors import (
    AdapterError,
    BackendUnavailable,
    ConfigurationError,
    Conflict,
    NotFound,
)

# Preconditions: GCS 412 (if_generation_match), Firestore FAILED_PRECONDITION (stale
# update_time), ALREADY_EXISTS (create), ABORTED (a transaction lost a race).
_CONFLICTS = (
    gexc.PreconditionFailed,
    gexc.FailedPrecondition,
    gexc.AlreadyExists,
    gexc.Aborted,
    gexc.Conflict,
)
# The request itself was bad (a value Firestore cannot store, a Pub/Sub attribute too long):
# the caller's input, like every other bad input of the ports, is a ValueError.
_BAD_INPUT = (gexc.InvalidArgument, gexc.OutOfRange, gexc.BadRequest)
_TRANSPORT = (requests.ConnectionError, requests.Timeout, auth_exc.TransportError)
# The identity was refused: HTTP 403/401 (Forbidden, and gRPC's PERMISSION_DENIED below
# it; Unauthorized, and UNAUTHENTICATED), or credentials that cannot be refreshed.
_DENIED = (gexc.Forbidden, gexc.Unauthorized, auth_exc.RefreshError)


def translate(exc: BaseException, action: str) -> Exception:
    """The adapters' exception for a Google/transport exception raised while doing `action`."""
    detail = f"{action}: {exc}"
    if isinstance(exc, gexc.NotFound):
        return NotFound(detail)
    if isinstance(exc, _CONFLICTS):
        return Conflict(detail)
    if isinstance(exc, _BAD_INPUT):
        return ValueError(detail)
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return ConfigurationError(
            f"{detail} (no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS, run "
            "`gcloud auth application-default login`, or point *_EMULATOR_HOST at emulators)"
        )
    if isinstance(exc, _DENIED):
        # As on every backend (adapters.errors): only a fix of IAM or credentials helps.
        return ConfigurationError(f"{detail} (check the credentials and IAM permissions)")
    # RetryError (the SDK's retries ran out), 5xx, DEADLINE_EXCEEDED, UNAVAILABLE, refused
    # connections: the backend cannot be used right now.
    return BackendUnavailable(detail)


@contextmanager
def translated(action: str, *, only_the_resource_can_be_missing: bool = False) -> Iterator[None]:
    """Run a block of SDK calls; re-raise Google/transport errors as adapter errors.

    With `only_the_resource_can_be_missing`, a 404 can only mean that the bucket, topic or
    subscription the settings name does not exist (a write, a listing, any Pub/Sub call):
    a `ConfigurationError`, as on AWS, not a missing key."""
    try:
        yield
    except NotFound as exc:
        if only_the_resource_can_be_missing:
            raise missing_resource(exc) from exc
        raise
    except AdapterError:
        raise
    except (gexc.GoogleAPIError, auth_exc.GoogleAuthError, *_TRANSPORT) as exc:
        error = translate(exc, action)
        if only_the_resource_can_be_missing and isinstance(error, NotFound):
            raise missing_resource(error) from exc
        raise error from exc


def missing_resource(exc: NotFound) -> ConfigurationError:
    return ConfigurationError(f"{exc} (does the resource named by the MLPOC_* settings exist?)")
