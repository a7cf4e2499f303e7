"""Choosing `local` imports no cloud SDK: checked in a fresh interpreter, where nothing
the test session already imported can hide an import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLOUD_PACKAGES = ("boto3", "botocore", "google.cloud", "google.api_core")

# Prints the cloud modules loaded after running the snippet given as argv[1].
PROBE = f"""
import json, sys
exec(sys.argv[1])
prefixes = {CLOUD_PACKAGES!r}
loaded = sorted(
    name for name in sys.modules
    if any(name == p or name.startswith(p + ".") for p in prefixes)
)
print(json.dumps(loaded))
"""


def cloud_modules_after(snippet: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, snippet], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_ports_and_schema_imports_no_cloud_sdk() -> None:
    assert cloud_modules_after("import adapters, runtime.schema") == []


def test_building_local_adapters_imports_no_cloud_sdk(tmp_path: Path) -> None:
    snippet = (
        "import adapters, runtime.schema\n"
        "built = adapters.build_adapters(runtime.schema.COLLECTIONS, adapters.Settings("
        f"backend='local', data_dir={str(tmp_path)!r}))\n"
        "assert built.backend == 'local'\n"
        "built.blobs.put('probe', b'x')\n"
        "built.documents.put('jobs', 'j', {'state': 'new', 'created_at': 'now'})\n"
        "built.queue.send('probe')\n"
    )
    assert cloud_modules_after(snippet) == []


def test_the_probe_sees_a_cloud_import() -> None:
    # Without this control, a broken probe would pass the two tests above for ever.
    assert "botocore" in cloud_modules_after("import botocore")
