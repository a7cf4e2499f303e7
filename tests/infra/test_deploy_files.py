"""The deploy files: generated from the logical description, checked in up to date, and
holding what the clouds need (Docker cannot run here, so their content is checked)."""

from __future__ import annotations

import re

import pytest

from infra.deploy_files import DEPLOY_DIR, IMAGE, checked_in, compose_yaml, dockerfile
from infra.logical import HEALTH_PATH, PORT, PROCESS_VARIABLE

yaml = pytest.importorskip("yaml")


def test_checked_in_files_are_up_to_date() -> None:
    for path, text in checked_in().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run python -m infra.deploy_files"
        )


def test_dockerfile_is_slim_and_runs_as_non_root() -> None:
    text = dockerfile()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == "FROM python:3.11-slim"
    installs = [line for line in lines if "pip install" in line]
    assert len(installs) == 1
    assert '".[aws,gcp]"' in installs[0]
    assert "-c constraints.txt" in installs[0], "the image must install the pinned versions"
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


# What selects each process; the worker also answers health checks on PORT.
EXPECTED_ENV = {
    "api": {PROCESS_VARIABLE: "api"},
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
    assert definition["readiness_check"]["path"] == HEALTH_PATH
