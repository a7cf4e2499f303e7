"""Ports (interfaces) and their local, AWS and GCP implementations.

Import the ports and errors from here; build implementations with `build_adapters`.
"""

from adapters.errors import (
    AdapterError,
    BackendUnavailable,
    ConfigurationError,
    Conflict,
    NotFound,
    TooLarge,
)
from adapters.factory import build_adapters
from adapters.ports import (
    Adapters,
    BlobInfo,
    BlobStore,
    Collection,
    Document,
    DocumentStore,
    Index,
    JobQueue,
    Message,
    Page,
)
from adapters.settings import Settings, env_name, load_settings

__all__ = [
    "AdapterError",
    "Adapters",
    "BackendUnavailable",
    "BlobInfo",
    "BlobStore",
    "Collection",
    "ConfigurationError",
    "Conflict",
    "Document",
    "DocumentStore",
    "Index",
    "JobQueue",
    "Message",
    "NotFound",
    "Page",
    "Settings",
    "TooLarge",
    "build_adapters",
    "env_name",
    "load_settings",
]
