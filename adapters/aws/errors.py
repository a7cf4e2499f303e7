"""botocore exceptions -> `adapters.errors`, at the boundary of every AWS call.

Each call site names the error codes that mean NotFound or Conflict *for that call* (S3's
"404" from HeadObject, DynamoDB's ConditionalCheckFailedException...); what is left is
classified here once: throttling and transport failures (after botocore's own retries) are
`BackendUnavailable`, missing resources, refused credentials and denied access are
`ConfigurationError` (see the table in `adapters.errors`), rejected input is `ValueError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from adapters.errors import (
    AdapterError,
    BackendUnavailable,
    ConfigurationError,
    Conflict,
    NotFound,
    TooLarge,
)

# Still failing after botocore's retries: the service is overloaded or down.
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "SlowDown",
        "RequestThrottled",
        "InternalServerError",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMS.ThrottlingException",
        "KMS.KMSInternalException",
    }
)
# The bucket, queue or table the settings name does not exist (or we may not touch it).
MISSING_RESOURCE_CODES = frozenset(
    {
        "NoSuchBucket",
        "ResourceNotFoundException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    }
)
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "KMS.AccessDeniedException",
    }
)
INVALID_INPUT_CODES = frozenset(
    {
        "ValidationException",
        "InvalidArgument",
        "InvalidParameterValue",
        "InvalidAttributeName",
        "InvalidAttributeValue",
        "InvalidMessageContents",
        "KeyTooLongError",
    }
)


# HTTP statuses of a refused identity, whatever the code: AWS answers every denial with 403
# (or 401), and not every service's error body names one of the codes above.
DENIED_STATUSES = frozenset({401, 403})


def is_denied(exc: ClientError) -> bool:
    """Whether AWS refused this identity (access denied, bad or expired credentials)."""
    return error_code(exc) in DENIED_CODES or error_status(exc) in DENIED_STATUSES


def error_status(exc: ClientError) -> int:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status if isinstance(status, int) else 0


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def translate_error(
    exc: BaseException,
    action: str,
    *,
    not_found: Iterable[str] = (),
    conflict: Iterable[str] = (),
) -> BaseException:
    """The exception to raise instead of `exc` (a botocore exception) for `action`."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        detail = f"{action}: {code}: {error_message(exc)}"
        if code in not_found:
            return NotFound(detail)
        if code in conflict:
            return Conflict(detail)
        if code in UNAVAILABLE_CODES:
            return BackendUnavailable(detail)
        if code in MISSING_RESOURCE_CODES:
            return ConfigurationError(
                f"{detail} (does the resource named by the MLPOC_* settings exist?)"
            )
        if is_denied(exc):
            return ConfigurationError(f"{detail} (check the credentials and IAM permissions)")
        if code == "ValidationException" and "item size" in error_message(exc).lower():
            return TooLarge(detail)
        if code in INVALID_INPUT_CODES:
            return ValueError(detail)
        if error_status(exc) >= 500:
            return BackendUnavailable(detail)
        return AdapterError(detail)
    if isinstance(exc, NoRegionError):
        return ConfigurationError(
            f"{action}: no AWS region; set MLPOC_REGION (or AWS_REGION / AWS_DEFAULT_REGION)"
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ConfigurationError(f"{action}: no usable AWS credentials: {exc}")
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return BackendUnavailable(f"{action}: {exc}")
    if isinstance(exc, BotoCoreError):
        return AdapterError(f"{action}: {exc}")
    return exc


@contextmanager
def translated(
    action: str, *, not_found: Iterable[str] = (), conflict: Iterable[str] = ()
) -> Iterator[None]:
    """Run an AWS call, raising `adapters.errors` (or ValueError) instead of botocore's."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate_error(exc, action, not_found=not_found, conflict=conflict) from exc
