"""The release bundle: exactly the runtime and its pinned requirements plus the generated
deploy files; the same rule as .dockerignore; the same bytes for the same code, new bytes
for any change."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

from infra.bundle import SOURCES, Bundle, source_files
from infra.deploy_files import REPO, bundled

# The top of the bundle, pinned: a new file here is a decision, not an accident.
EXPECTED_TOP = {
    "pyproject.toml", "constraints.txt", "requirements.lock", "README.md", "adapters", "runtime",
    "Dockerfile", "docker-compose.yml", "app.yaml", "worker.yaml",
}  # fmt: skip


def _tracked(prefixes: tuple[str, ...]) -> set[str]:
    """The repository's tracked files under `prefixes` (git is what a fresh clone holds)."""
    done = subprocess.run(
        ["git", "ls-files", "-z", "--", *prefixes],
        cwd=REPO, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return {name for name in done.stdout.decode().split("\0") if name}


def test_bundle_holds_the_runtime_and_nothing_else() -> None:
    names = set(Bundle().members)
    assert {name.split("/")[0] for name in names} == EXPECTED_TOP
    for forbidden in ("tests/", "infra/", ".venv/", ".mlpoc/", "cdktf.out/", "node_modules/"):
        assert not any(name.startswith(forbidden) for name in names), forbidden
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    # Every tracked source file of the runtime, and only those (no data, no strays).
    assert set(source_files()) == _tracked(SOURCES)
    for name, text in bundled().items():
        assert Bundle().members[name] == text.encode()


def test_the_zip_is_the_members_and_deterministic(tmp_path: Path) -> None:
    first, second = Bundle(), Bundle()
    assert first.data == second.data and first.digest == second.digest
    with zipfile.ZipFile(io.BytesIO(first.data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(first.members)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert all(archive.read(i) == first.members[i.filename] for i in infos)
    path = first.write(tmp_path)
    assert path.name == f"mlpoc-{first.digest[:16]}.zip" and path.read_bytes() == first.data


def _copy_sources(target: Path) -> None:
    for name in source_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, target / name)


def test_a_change_is_a_new_digest_and_bytecode_is_not(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    original = Bundle(tmp_path).digest
    assert original == Bundle().digest, "the bundle depends on the sources only"
    cache = tmp_path / "runtime" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "runtime" / ".notes").write_text("local")
    assert Bundle(tmp_path).digest == original
    module = tmp_path / "runtime" / "config.py"
    module.write_text(module.read_text() + "\n# a change\n")
    assert Bundle(tmp_path).digest != original


def test_dockerignore_gives_docker_build_the_bundles_sources(tmp_path: Path) -> None:
    """Docker's own pattern matcher (docker-py implements .dockerignore as the daemon does),
    on a copy of the sources with the usual clutter around them, keeps exactly the bundle's
    sources (plus .dockerignore, which Docker always reads)."""
    from docker.utils import build as docker_build

    _copy_sources(tmp_path)
    shutil.copyfile(REPO / ".dockerignore", tmp_path / ".dockerignore")
    clutter = [
        "runtime/__pycache__/config.cpython-311.pyc", "adapters/local/blobs.pyc",
        ".venv/bin/python", "tests/test_x.py", "infra/main.py", ".mlpoc/blobs/x",
        "cdktf.out/manifest.json", "node_modules/x/index.js", "runtime/.env", "mlpoc.toml",
    ]  # fmt: skip
    for name in clutter:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = (tmp_path / ".dockerignore").read_text().splitlines()
    kept = {
        path
        for path in docker_build.exclude_paths(str(tmp_path), patterns)
        if (tmp_path / path).is_file()
    }
    assert kept - {".dockerignore"} == set(source_files(tmp_path)) == set(source_files())
