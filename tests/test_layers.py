"""The layers are a check, not a sentence: `lint-imports` (in `make check`) enforces the
import contracts in pyproject.toml, and here a copy of the tree with one forbidden import
added fails it, once per contract, so a contract that stopped biting would be noticed."""

from __future__ import annotations

import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import runtime

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]
CORE = "the runtime core imports neither infra nor a cloud SDK"
ADAPTERS = "adapters import nothing of the runtime or infra"
INFRA = "infra imports, of the project, only the declarations it builds from"
DECLARATIONS = "the runtime declarations infra reads import nothing else of the runtime"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # lint-imports puts its working directory first on the path: it analyses `tree`.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def broken(output: str) -> set[str]:
    """The names of the contracts lint-imports reports broken."""
    return set(re.findall(r"^(.+) BROKEN(?: \(.*\))?$", output, re.M))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the three packages and the contracts."""
    for package in ("adapters", "runtime", "infra"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # The runtime core: no infra, no cloud SDK, no CLI, in old modules and new ones.
        ("runtime/jobs.py", "import infra.config", CORE),
        ("runtime/handlers/leaky.py", "import boto3", CORE),
        ("runtime/api/routes/leaky.py", "from google.cloud import storage", CORE),
        ("runtime/registry.py", "import cdktf", CORE),
        ("runtime/worker.py", "from runtime.cli import base", CORE),
        # The ports and backends: nothing above them.
        ("adapters/ports.py", "import runtime.schema", ADAPTERS),
        ("adapters/local/queue.py", "import infra.logical", ADAPTERS),
        # Infra: the declarations, never the runtime's behaviour or a backend.
        ("infra/logical.py", "import runtime.worker", INFRA),
        ("infra/aws/services.py", "from adapters.factory import build_adapters", INFRA),
        # ... and the declarations it reads stay declarations.
        ("runtime/config.py", "import runtime.registry", DECLARATIONS),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str
) -> None:
    path = tree / module
    text = path.read_text() if path.exists() else '"""A module a change added."""\n'
    path.write_text(text + f"\n{line}  # the forbidden import\n")
    done = lint_imports(tree)
    assert done.returncode != 0, done.stdout
    assert contract in broken(done.stdout), done.stdout


def test_the_core_contract_names_every_runtime_module_but_the_cli() -> None:
    # import-linter has no "all of runtime but runtime.cli": the core is listed by name, and
    # a new runtime module or package that is not listed would escape the contract.
    (core,) = [c for c in CONTRACTS if c["name"] == CORE]
    children = {f"runtime.{m.name}" for m in pkgutil.iter_modules(runtime.__path__)}
    assert set(core["source_modules"]) == children - {"runtime.cli"}
