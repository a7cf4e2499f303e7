"""Build the three adapters of the chosen backend.

A backend's module (and so its SDK) is imported only here, only when chosen: choosing
`local` never imports boto3 or google.cloud.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from adapters.ports import Adapters, Collection
from adapters.settings import Settings, load_settings

_BACKEND_MODULES = {
    "local": "adapters.local",
    "aws": "adapters.aws",
    "gcp": "adapters.gcp",
}


def build_adapters(collections: Iterable[Collection], settings: Settings | None = None) -> Adapters:
    """The chosen backend's BlobStore, JobQueue and DocumentStore.

    `collections` declares the document collections and their indexes (the runtime passes
    its catalogue, `runtime.schema.COLLECTIONS`). Settings default to the environment.
    """
    settings = settings or load_settings()
    module = importlib.import_module(_BACKEND_MODULES[settings.backend])
    adapters: Adapters = module.build(settings, tuple(collections))
    return adapters
