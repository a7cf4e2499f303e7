"""The deploy files: generated from the logical description, checked in up to date, and
holding what the clouds need (Docker cannot run here, so their content is checked)."""

from __future__ import annotations

import re

import pytest

from infra.aws.config import INSTANCE_MEMORY_MIB, PLATFORM_RESERVE_MIB
from infra.deploy_files import (
    BASE_IMAGE,
    DEPLOY_DIR,
    IMAGE,
    LOCK_FILE,
    REPO,
    SCRATCH_BYTES,
    checked_in,
    compose_yaml,
    dockerfile,
)
from infra.logical import HEALTH_PATH, PORT, PROCESS_VARIABLE
from tests.infra.conftest import Synth

yaml = pytest.importorskip("yaml")


def test_checked_in_files_are_up_to_date() -> None:
    for path, text in checked_in().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run python -m infra.deploy_files"
        )


def test_dockerfile_is_slim_and_runs_as_non_root() -> None:
    text = dockerfile()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    # The base image by tag *and* digest: Docker pulls exactly that index.
    assert re.fullmatch(r"FROM python:3\.11[\w.-]*-slim[\w.-]*@sha256:[0-9a-f]{64}", lines[0])
    assert lines[0] == f"FROM {BASE_IMAGE}"
    installs = [line for line in lines if "pip install" in line]
    assert len(installs) == 1
    # Every package from the hashed lock, nothing resolved at build time, nothing unlisted.
    assert f"--require-hashes --no-deps -r {LOCK_FILE}" in installs[0]
    assert "-c " not in installs[0] and ".[" not in installs[0], "the project is not installed"
    assert f"COPY {LOCK_FILE} ./" in lines
    body = "\n".join(lines).lower()
    for forbidden in ("cdktf", "pytest", "moto", "ruff", "mypy", "infra", "[dev]", "constructs"):
        assert forbidden not in body, forbidden
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert lines.index(f"USER {users[-1]}") < lines.index(
        next(line for line in lines if line.startswith("CMD"))
    )
    assert f"EXPOSE {PORT}" in lines
    assert re.search(r'CMD \["sh", "-c", "exec python -m runtime\.\$\{MLPOC_PROCESS\}"\]', text)


def test_the_lock_the_image_installs_is_in_the_bundle() -> None:
    from infra.bundle import Bundle

    members = Bundle().members
    assert members[LOCK_FILE] == (REPO / LOCK_FILE).read_bytes()
    assert all("--hash=sha256:" in block for block in _entries(members[LOCK_FILE].decode()))


def _entries(lock: str) -> list[str]:
    """The lock's requirement blocks (name==version and its hash lines)."""
    return [b for b in re.split(r"\n(?=[a-z0-9])", lock, flags=re.I) if "==" in b]


# What selects each process; the worker also answers health checks on PORT; the API sits
# behind an HTTPS front end wherever it is deployed.
EXPECTED_ENV = {
    "api": {PROCESS_VARIABLE: "api", "MLPOC_HTTPS_ONLY": "true"},
    "worker": {PROCESS_VARIABLE: "worker", "MLPOC_HEALTH_PORT": str(PORT)},
}


def test_compose_builds_api_and_worker_from_the_bundle() -> None:
    services = yaml.safe_load(compose_yaml())["services"]
    assert set(services) == {"api", "worker"}
    assert {s["image"] for s in services.values()} == {IMAGE}
    assert {s["build"] for s in services.values()} == {"."}, "the bundle's own Dockerfile"
    for name, service in services.items():
        assert service["environment"] == EXPECTED_ENV[name]
        assert service["env_file"] == [".env"], "Elastic Beanstalk writes its env here"
    assert services["api"]["ports"] == [f"80:{PORT}"]
    assert "ports" not in services["worker"]
    check = " ".join(services["api"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{PORT}{HEALTH_PATH}" in check
    # Each environment starts its own service (Elastic Beanstalk writes COMPOSE_PROFILES).
    assert {name: s["profiles"] for name, s in services.items()} == {
        "api": ["api"],
        "worker": ["worker"],
    }


@pytest.mark.parametrize("name", ["api", "worker"])
def test_containers_are_bounded_read_only_and_unprivileged(name: str) -> None:
    service = yaml.safe_load(compose_yaml())["services"][name]
    assert service["mem_limit"] == "${MLPOC_MEMORY_LIMIT:-1536m}"
    assert service["read_only"] is True
    assert service["volumes"] == [
        {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 512 * 1024 * 1024}}
    ]
    assert service["cap_drop"] == ["ALL"]
    assert service["security_opt"] == ["no-new-privileges:true"]


def test_each_container_fits_its_instance(aws_synth: Synth) -> None:
    """One container per instance: its limit is the instance's memory less the platform's
    reserve, scratch tmpfs included (tmpfs counts against the container's memory)."""
    aws = aws_synth.config.section()
    for process in ("api", "worker"):
        env = aws_synth.resource("aws_elastic_beanstalk_environment", f"app_{process}")
        limit = {s["name"]: s["value"] for s in env["setting"]}["MLPOC_MEMORY_LIMIT"]
        instance = INSTANCE_MEMORY_MIB["t3.medium"]
        assert aws.worker_type == aws.instance_type == "t3.medium"  # type: ignore[attr-defined]
        assert limit == f"{instance - PLATFORM_RESERVE_MIB}m"
        assert int(limit[:-1]) * 1024 * 1024 > SCRATCH_BYTES


@pytest.mark.parametrize(("path", "service", "process"), [
    ("gcp/app.yaml", "default", "api"),
    ("gcp/worker.yaml", "worker", "worker"),
])  # fmt: skip
def test_app_engine_service_definitions(path: str, service: str, process: str) -> None:
    definition = yaml.safe_load((DEPLOY_DIR / path).read_text())
    assert definition["service"] == service
    assert (definition["runtime"], definition["env"]) == ("custom", "flex")
    assert definition["env_variables"] == EXPECTED_ENV[process]
    assert definition["liveness_check"]["path"] == HEALTH_PATH
    assert definition["readiness_check"]["path"] == ("/readyz" if process == "api" else HEALTH_PATH)


def test_terraform_state_is_never_committed() -> None:
    """State holds every output, the origin secret included: git ignores it, backups too."""
    import subprocess

    names = ["terraform.aws.tfstate", "terraform.gcp.tfstate.backup", "x/terraform.tfstate"]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *names],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.split() == names
