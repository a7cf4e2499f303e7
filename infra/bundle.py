"""The release bundle: what a deploy ships, one zip for both clouds.

Elastic Beanstalk's Docker platform and App Engine flexible (through Cloud Build) both build
the runtime image from a Dockerfile at the root of a source bundle, so a deploy pushes no
image by hand: `cdktf deploy` uploads this zip (a Terraform asset) and the platform builds it.

The bundle holds `SOURCES` (the runtime and its pinned requirements; `README.md` because
pyproject.toml names it) minus `IGNORED` (bytecode, hidden files), and the generated deploy
files at its root (`deploy_files.bundled()`: Dockerfile, docker-compose.yml for Elastic
Beanstalk, app.yaml and worker.yaml for App Engine). No tests, no .venv, no data, no infra.
`.dockerignore`, generated from the same two lists, gives `docker build .` the same context.

The zip is deterministic (sorted names, fixed times and modes, stored uncompressed so no zlib
version can change a byte), so its sha256 names a release: the same code gives the same
digest on any machine, and any change gives a new one (a new application version on AWS, a
new App Engine version on GCP).
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from infra.deploy_files import bundled

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (
    "pyproject.toml",
    "constraints.txt",
    "requirements.lock",
    "README.md",
    "adapters",
    "runtime",
)
# Left out wherever they are below SOURCES (file or directory names).
IGNORED = ("__pycache__", "*.pyc", "*.pyo", ".*")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED)


def source_files(root: Path = ROOT) -> list[str]:
    """The sources the bundle takes from `root`, as sorted POSIX paths relative to it."""
    found = []
    for source in SOURCES:
        path = root / source
        if path.is_file():
            found.append(source)
            continue
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: the release bundle needs it")
        for item in path.rglob("*"):
            relative = item.relative_to(root)
            if item.is_file() and not any(_ignored(part) for part in relative.parts):
                found.append(relative.as_posix())
    return sorted(found)


@dataclass(frozen=True)
class Bundle:
    """The release bundle of the sources under `root`."""

    root: Path = ROOT

    @cached_property
    def members(self) -> dict[str, bytes]:
        """Every file of the zip by name: the sources, then the generated deploy files."""
        files = {name: (self.root / name).read_bytes() for name in source_files(self.root)}
        generated = {name: text.encode() for name, text in bundled().items()}
        clash = files.keys() & generated.keys()
        if clash:
            raise ValueError(f"generated deploy files would replace sources: {sorted(clash)}")
        return files | generated

    @cached_property
    def data(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for name in sorted(self.members):
                info = zipfile.ZipInfo(name, date_time=_EPOCH)
                info.create_system = 3  # Unix, so the mode below means the same everywhere
                info.external_attr = 0o644 << 16
                archive.writestr(info, self.members[name])
        return buffer.getvalue()

    @cached_property
    def digest(self) -> str:
        """sha256 of the zip: the release's identity."""
        return hashlib.sha256(self.data).hexdigest()

    def file_name(self) -> str:
        return f"mlpoc-{self.digest[:16]}.zip"

    def write(self, directory: Path) -> Path:
        """Write the zip into `directory` (kept if already there: same name, same bytes)."""
        path = directory / self.file_name()
        if not path.is_file() or path.stat().st_size != len(self.data):
            directory.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(self.data)
            temporary.replace(path)
        return path


def dockerignore() -> str:
    """`.dockerignore` for `docker build .` at the repository root: the bundle's rule."""
    lines = [
        "# Generated from infra/bundle.py (python -m infra.deploy_files): the build context",
        "# holds exactly the release bundle's sources.",
        "*",
        *(f"!{source}" for source in SOURCES),
        *(f"**/{pattern}" for pattern in IGNORED),
    ]
    return "\n".join(lines) + "\n"
