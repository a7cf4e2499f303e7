"""What a name the user chooses may look like: models, datasets, aliases (`NAME_PATTERN`) and
job ids (`JOB_ID_PATTERN`). The runtime checks them before anything is written, and the API's
schemas declare the same patterns, so both refuse the same names."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
JOB_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
_NAME = re.compile(NAME_PATTERN)
_JOB_ID = re.compile(JOB_ID_PATTERN)

# The same rules as pydantic types, for request bodies.
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
JobId = Annotated[str, Field(pattern=JOB_ID_PATTERN)]


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A model version number in a request body: an integer as JSON Schema has it (3.0 is one;
# strict bodies take no string or boolean for it), from 1. (Field before the validator: the
# other way round, pydantic writes `ge` where the schema needs `minimum`.)
VersionNumber = Annotated[int, Field(ge=1), BeforeValidator(_whole)]


def check_name(kind: str, name: str) -> None:
    """ValueError unless `name` is a valid `kind` (model, dataset, alias...) name."""
    # Always fullmatch: `$` alone would also accept a trailing newline ("prod\n").
    if not _NAME.fullmatch(name):
        raise ValueError(f"{kind} name must match {_NAME.pattern}: {name!r}")


def check_job_id(job_id: str) -> None:
    if not _JOB_ID.fullmatch(job_id):
        raise ValueError(f"job id must match {_JOB_ID.pattern}: {job_id!r}")
