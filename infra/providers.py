"""Import only the parts of a prebuilt cdktf provider that a stack uses.

A prebuilt provider package's `__init__` imports all of its ~2,000 submodules (about 30 s
and 1 GB on two cores). Registering the package as an empty module with the package's real
`__path__` first makes `import cdktf_cdktf_provider_aws.s3_bucket` load just that submodule
and the shared jsii assembly; the synthesized JSON is byte-identical either way (the bench
and a test check it).

Set `MLPOC_CDKTF_FULL_IMPORT=1` to import the packages the default way (for comparison).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

AWS = "cdktf_cdktf_provider_aws"
GOOGLE = "cdktf_cdktf_provider_google"
FULL_IMPORT_ENV = "MLPOC_CDKTF_FULL_IMPORT"


def register(package: str) -> None:
    """Make `package`'s submodules importable without running its `__init__`.

    Idempotent; a package that is already imported (by anyone) is left as it is.
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    if package in sys.modules:
        return
    if os.environ.get(FULL_IMPORT_ENV) == "1":
        importlib.import_module(package)
        return
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed (pip install -e '.[infra]')")
    module = types.ModuleType(package)
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__package__ = package
    sys.modules[package] = module
