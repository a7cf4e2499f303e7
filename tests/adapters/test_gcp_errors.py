"""The GCP adapters' translation of Google's exceptions, for the faults no emulator can
produce (see tests/contract/gaps.py): a refused identity is a ConfigurationError, as on
every backend; what may pass with time stays BackendUnavailable."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from adapters import BackendUnavailable, ConfigurationError
from adapters.gcp.errors import translated


@pytest.mark.parametrize(
    "raised",
    [
        gexc.PermissionDenied("caller does not have storage.objects.create access"),
        gexc.Forbidden("403 POST https://storage.googleapis.com/...: access denied"),
        gexc.Unauthenticated("request had invalid authentication credentials"),
        gexc.Unauthorized("401 Unauthorized"),
        auth_exc.RefreshError("invalid_grant: account not found"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_a_refused_identity_is_a_configuration_error(raised: Exception) -> None:
    with (
        pytest.raises(ConfigurationError, match="check the credentials and IAM") as caught,
        translated("writing gs://bucket/key"),
    ):
        raise raised
    assert caught.value.__cause__ is raised


@pytest.mark.parametrize(
    "raised",
    [
        gexc.ServiceUnavailable("try again"),
        gexc.DeadlineExceeded("deadline"),
        gexc.TooManyRequests("slow down"),
        auth_exc.TransportError("connection refused"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_what_may_pass_with_time_stays_backend_unavailable(raised: Exception) -> None:
    with pytest.raises(BackendUnavailable), translated("writing gs://bucket/key"):
        raise raised
