"""The deploy files, generated from the logical description so that the image, the compose
file (AWS Elastic Beanstalk) and the App Engine service definitions agree.

`python -m infra.deploy_files` rewrites the checked-in copies under deploy/; a test checks
that they are up to date. The output is plain text built here (no YAML library), so its bytes
are deterministic: the Elastic Beanstalk source bundle is built from it at synth time.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from infra.logical import API, HEALTH_PATH, PORT, PROCESS_VARIABLE, PROCESSES, WORKER, Process

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy"
# Elastic Beanstalk writes the environment properties to `.env` beside docker-compose.yml;
# compose reads it both for `${...}` substitution (the image) and as each service's env_file.
IMAGE_VARIABLE = "MLPOC_IMAGE"
PUBLIC_PORT = 80


def compose_yaml() -> str:
    """docker-compose.yml run by Elastic Beanstalk: the API and the worker, one image."""
    lines = ["services:"]
    for process in PROCESSES:
        lines += [
            f"  {process.name}:",
            f"    image: ${{{IMAGE_VARIABLE}}}",
            "    env_file:",
            "      - .env",
            "    environment:",
            *(f"      {name}: {json.dumps(value)}" for name, value in process.environment.items()),
            "    restart: unless-stopped",
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


def source_bundle() -> bytes:
    """The Elastic Beanstalk source bundle: a zip holding docker-compose.yml, with fixed
    timestamps and permissions so that the same compose file gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("docker-compose.yml", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, compose_yaml())
    return buffer.getvalue()


def app_engine_service(process: Process) -> str:
    """App Engine service of a process: the API is the `default` service."""
    return "default" if process is API else process.name


def app_engine_yaml(process: Process) -> str:
    """An App Engine flexible service definition, for a manual
    `gcloud app deploy deploy/gcp/<file>.yaml --image-url=...`; the GCP stack deploys the same
    services itself, with the scaling of mlpoc.toml and the runtime's settings as env_variables
    (add those from `cdktf output gcp` when deploying by hand)."""
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
        f"  path: {HEALTH_PATH}",
    ]
    if process.serves_http:
        lines += ["automatic_scaling:", "  min_num_instances: 1", "  max_num_instances: 2"]
    else:
        lines += ["manual_scaling:", "  instances: 1"]
    return "\n".join(lines) + "\n"


def dockerfile() -> str:
    """A slim runtime image: the runtime and both clouds' SDKs, nothing build-time."""
    return (
        "\n".join(
            [
                "# mlpoc runtime image: API and worker (MLPOC_PROCESS picks one). Build from the",
                "# repository root: docker build -f deploy/Dockerfile -t <registry>/mlpoc:<tag> .",
                "FROM python:3.11-slim",
                "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1",
                "WORKDIR /app",
                "COPY pyproject.toml README.md constraints.txt ./",
                "COPY adapters ./adapters",
                "COPY runtime ./runtime",
                "# Only the runtime and the cloud SDKs: no infra (cdktf), no test tools.",
                'RUN pip install --no-compile -c constraints.txt ".[aws,gcp]" \\',
                "    && useradd --create-home --uid 10001 mlpoc",
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
        "gcp/app.yaml": app_engine_yaml(API),
        "gcp/worker.yaml": app_engine_yaml(WORKER),
    }


def write(root: Path = DEPLOY_DIR) -> list[Path]:
    paths = []
    for relative, text in rendered().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write():
        print(written)
