"""The deploy files: generated from the logical description, checked in up to date, and
holding what the clouds need (Docker cannot run here, so their content is checked)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from infra.deploy_files import (
    DEPLOY_DIR,
    IMAGE_VARIABLE,
    compose_yaml,
    dockerfile,
    rendered,
    source_bundle,
)
from infra.logical import HEALTH_PATH, PORT, PROCESS_VARIABLE

yaml = pytest.importorskip("yaml")


def test_checked_in_files_are_up_to_date() -> None:
    for relative, text in rendered().items():
        path = DEPLOY_DIR / relative
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


def test_compose_runs_api_and_worker_from_one_image() -> None:
    services = yaml.safe_load(compose_yaml())["services"]
    assert set(services) == {"api", "worker"}
    assert {s["image"] for s in services.values()} == {f"${{{IMAGE_VARIABLE}}}"}
    for name, service in services.items():
        assert service["environment"] == EXPECTED_ENV[name]
        assert service["env_file"] == [".env"], "Elastic Beanstalk writes its env here"
    assert services["api"]["ports"] == [f"80:{PORT}"]
    assert "ports" not in services["worker"]
    check = " ".join(services["api"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{PORT}{HEALTH_PATH}" in check


def test_source_bundle_bytes_are_deterministic() -> None:
    first = source_bundle()
    assert first == source_bundle()
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        [info] = archive.infolist()
        assert info.filename == "docker-compose.yml"
        assert info.date_time == (1980, 1, 1, 0, 0, 0)


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
