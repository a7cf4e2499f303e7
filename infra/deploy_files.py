"""The deploy files, generated from the logical description so that the image, the compose
file (AWS Elastic Beanstalk) and the App Engine service definitions agree.

They go into the release bundle (`infra.bundle`) at its root, where each platform builds the
image from the Dockerfile. `python -m infra.deploy_files` rewrites the checked-in copies under
deploy/ (for reading, and for `docker build -f deploy/Dockerfile .`) and `.dockerignore`; a
test checks that they are up to date. The output is plain text built here (no YAML library),
so its bytes are deterministic: the bundle's digest depends only on the code.
"""

from __future__ import annotations

import json
from pathlib import Path

from infra.logical import (
    API,
    HEALTH_PATH,
    PORT,
    PROCESS_VARIABLE,
    PROCESSES,
    WORKER,
    Process,
    ready_path,
)

REPO = Path(__file__).resolve().parent.parent
DEPLOY_DIR = REPO / "deploy"
PUBLIC_PORT = 80
# The image compose builds from the bundle's Dockerfile (local to each instance).
IMAGE = "mlpoc-runtime"
# Each Elastic Beanstalk environment starts its own service of the one compose file: compose
# reads COMPOSE_PROFILES, and ${...} values, from the `.env` Elastic Beanstalk writes.
PROFILES_VARIABLE = "COMPOSE_PROFILES"
# What one container may use of its instance's memory (the stack sets it per environment).
MEMORY_VARIABLE = "MLPOC_MEMORY_LIMIT"
DEFAULT_MEMORY = "1536m"
# The root filesystem is read-only; scratch space (uploads being checked, dataset snapshots)
# is this tmpfs, which counts against the container's memory.
SCRATCH = "/tmp"
SCRATCH_BYTES = 512 * 1024 * 1024
# The base image, by tag and digest: Docker pulls exactly this index, whatever the tag says
# now. Docker Hub's python:3.11.16-slim-trixie (alias 3.11-slim) as pushed 2026-08-16; no
# registry is reachable from where this was written, so the digest was taken from public
# repositories that pin it (more than ten, Docker Hub and the public.ecr.aws mirror alike).
# Refresh: `docker buildx imagetools inspect python:3.11-slim` prints the current "Digest:".
BASE_IMAGE = (
    "python:3.11.16-slim-trixie"
    "@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7"
)
LOCK_FILE = "requirements.lock"
RUNTIME_UID = 10001


def compose_yaml() -> str:
    """docker-compose.yml run by Elastic Beanstalk: the API and the worker, built from the
    bundle's Dockerfile, each in its own profile (an environment starts only its own). Elastic
    Beanstalk writes the environment properties (the runtime's settings) to `.env` beside it:
    each service's env_file. Each container is bounded (memory), read-only but for a tmpfs
    scratch, without capabilities and unable to gain privileges."""
    lines = ["services:"]
    for process in PROCESSES:
        lines += [
            f"  {process.name}:",
            "    build: .",
            f"    image: {IMAGE}",
            "    profiles:",
            f"      - {process.name}",
            "    env_file:",
            "      - .env",
            "    environment:",
            *(f"      {name}: {json.dumps(value)}" for name, value in process.environment.items()),
            "    restart: unless-stopped",
            f"    mem_limit: ${{{MEMORY_VARIABLE}:-{DEFAULT_MEMORY}}}",
            "    read_only: true",
            "    volumes:",
            "      - type: tmpfs",
            f"        target: {SCRATCH}",
            "        tmpfs:",
            f"          size: {SCRATCH_BYTES}",
            "    cap_drop:",
            "      - ALL",
            "    security_opt:",
            "      - no-new-privileges:true",
        ]
        if process.serves_http:
            lines += [
                "    ports:",
                f'      - "{PUBLIC_PORT}:{PORT}"',
                "    healthcheck:",
                "      test:",
                "        - CMD",
                "        - python",
                "        - -c",
                f"        - import urllib.request; urllib.request.urlopen("
                f"'http://127.0.0.1:{PORT}{HEALTH_PATH}', timeout=3)",
                "      interval: 30s",
                "      timeout: 5s",
                "      retries: 3",
            ]
    return "\n".join(lines) + "\n"


def app_engine_service(process: Process) -> str:
    """App Engine service of a process: the API is the `default` service."""
    return "default" if process is API else process.name


def app_engine_yaml_name(process: Process) -> str:
    """The service definition's name in the bundle (app.yaml: the default service)."""
    return "app.yaml" if process is API else f"{process.name}.yaml"


def app_engine_yaml(process: Process) -> str:
    """An App Engine flexible service definition. In the bundle it tells Cloud Build how to
    build the version (`runtime: custom`: the Dockerfile); the GCP stack sets everything else
    on the version itself (scaling from mlpoc.toml, the runtime's settings as env_variables)."""
    service = app_engine_service(process)
    lines = [
        f"# App Engine flexible service `{service}`: mlpoc {process.name}.",
        "runtime: custom",
        "env: flex",
        f"service: {service}",
        "env_variables:",
        *(f"  {name}: {json.dumps(value)}" for name, value in process.environment.items()),
        # Every service answers health checks on $PORT, the worker included.
        "liveness_check:",
        f"  path: {HEALTH_PATH}",
        "readiness_check:",
        f"  path: {ready_path(process)}",
    ]
    if process.serves_http:
        lines += ["automatic_scaling:", "  min_num_instances: 1", "  max_num_instances: 2"]
    else:
        lines += ["manual_scaling:", "  instances: 1"]
    return "\n".join(lines) + "\n"


def dockerfile() -> str:
    """A slim runtime image: the base by digest, every package from the hashed lock (a byte
    that differs fails the build), the runtime's sources, a non-root user. The project itself
    is not installed: `python -m runtime.<process>` runs from /app."""
    return (
        "\n".join(
            [
                "# mlpoc runtime image: API and worker (MLPOC_PROCESS picks one). The platforms",
                "# build it from the release bundle; by hand: docker build -f deploy/Dockerfile .",
                f"FROM {BASE_IMAGE}",
                "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \\",
                "    PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONPATH=/app",
                "WORKDIR /app",
                f"# The runtime and both clouds' SDKs, exactly as {LOCK_FILE} pins and hashes them",
                "# (scripts/lock.sh): no infra (cdktf), no test tools, nothing unlisted.",
                f"COPY {LOCK_FILE} ./",
                f"RUN pip install --require-hashes --no-deps -r {LOCK_FILE} \\",
                f"    && useradd --create-home --uid {RUNTIME_UID} mlpoc",
                "COPY adapters ./adapters",
                "COPY runtime ./runtime",
                "# Bytecode compiled now: the containers run with a read-only root filesystem.",
                "RUN python -m compileall -q adapters runtime",
                "USER mlpoc",
                f"# {PROCESS_VARIABLE} picks the process: "
                + ", ".join(f"{p.name} (python -m {p.module})" for p in PROCESSES),
                f"ENV {PROCESS_VARIABLE}={API.name} PORT={PORT}",
                f"EXPOSE {PORT}",
                'CMD ["sh", "-c", "exec python -m runtime.${' + PROCESS_VARIABLE + '}"]',
            ]
        )
        + "\n"
    )


def rendered() -> dict[str, str]:
    """Every deploy file, by path relative to deploy/."""
    return {
        "Dockerfile": dockerfile(),
        "aws/docker-compose.yml": compose_yaml(),
        f"gcp/{app_engine_yaml_name(API)}": app_engine_yaml(API),
        f"gcp/{app_engine_yaml_name(WORKER)}": app_engine_yaml(WORKER),
    }


def bundled() -> dict[str, str]:
    """The deploy files as the release bundle holds them: all at its root."""
    return {Path(relative).name: text for relative, text in rendered().items()}


def checked_in() -> dict[Path, str]:
    """Every generated file kept in the repository, by absolute path."""
    from infra.bundle import dockerignore

    files = {DEPLOY_DIR / relative: text for relative, text in rendered().items()}
    return files | {REPO / ".dockerignore": dockerignore()}


def write() -> list[Path]:
    paths = []
    for path, text in checked_in().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write():
        print(written)
