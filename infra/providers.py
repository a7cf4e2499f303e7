"""Import only the parts of a prebuilt cdktf provider that a stack uses.

A prebuilt provider package's `__init__` imports all of its ~2,000 submodules (about 30 s
and 1 GB on two cores). `register(package)` installs an import hook that, when the package is
first imported, makes it an empty module with the package's real `__path__` instead of running
its `__init__`: `import cdktf_cdktf_provider_aws.s3_bucket` then loads just that submodule and
the shared jsii assembly. The synthesized JSON is byte-identical either way (the bench and a
test check it). Registering loads nothing, so a module may register a provider it might not use
(importing `infra.gcp.config` to read mlpoc.toml's [gcp] section leaves Google's provider unloaded).

Set `MLPOC_CDKTF_FULL_IMPORT=1` to import the packages the default way (for comparison).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from collections.abc import Sequence

AWS = "cdktf_cdktf_provider_aws"
GOOGLE = "cdktf_cdktf_provider_google"
FULL_IMPORT_ENV = "MLPOC_CDKTF_FULL_IMPORT"


class _SkipInit(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `package` where Python would, but loads it without running its `__init__`."""

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.package:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or not real.submodule_search_locations:
            return None  # not installed: the import fails as it would without the hook
        spec = importlib.util.spec_from_loader(fullname, self, origin=real.origin, is_package=True)
        assert spec is not None and spec.submodule_search_locations is not None
        spec.submodule_search_locations[:] = list(real.submodule_search_locations)
        spec.has_location = True
        return spec

    def exec_module(self, module: types.ModuleType) -> None:
        """The point of the hook: the package's `__init__` does not run."""


def register(package: str) -> None:
    """Make `package`'s submodules importable without running its `__init__`.

    Idempotent and lazy: nothing is imported here, and a package that is already imported (by
    anyone) is left as it is."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    if package in sys.modules or os.environ.get(FULL_IMPORT_ENV) == "1":
        return
    if any(isinstance(f, _SkipInit) and f.package == package for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _SkipInit(package))
