"""`mlpoc rehearse aws|gcp`: a deploy rehearsal on this machine, no cloud account needed.

aws: start moto server; the real cdktf CLI deploys the AWS stack to it (the emulator variant:
what moto cannot carry is switched off in `infra/aws/emulator.py`, the one place, and named
here); make the first admin key the way `mlpoc keys create --stack` does; run the API and a
worker locally with the settings read from the stack's outputs; run the demo loop against
them; check that a second plan is clean; empty the bucket and `cdktf destroy`.

gcp: Terraform cannot apply the GCP stack offline (no Google provider here; no emulator for
KMS, IAM, App Engine, Cloud Build, Monitoring or Billing), so the real cdktf CLI synthesizes
it, and the data plane it declares (bucket, topics, subscriptions with their dead-letter
policies, Firestore database) is created with those names on Google's emulators; then the
same key, API, worker and demo loop.

Each step is printed with its time; the last line is the verdict. Everything runs in a
working directory of its own (state included): the project's own state is never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from infra.main import SWITCHES_FILE
from runtime.cli.base import console, emit_json, err_console, fail
from runtime.cli.cdktf import Cdktf, last_error, strip_ansi
from runtime.cli.client import Api
from runtime.cli.loop import Steps, api_ready, run_loop
from runtime.cli.processes import (
    Child,
    free_port,
    python_module,
    sigterm_as_interrupt,
    spawn,
    stop_all,
    wait_until,
)
from runtime.cli.project import Deployed, Project

CLOUDS = ("aws", "gcp")
STARTUP_SECONDS = 90
DEPLOY_SECONDS = 900
STOP_GRACE_SECONDS = 10

# The local processes' settings beyond the stack's: brisk polls, loopback only.
CHILD_SETTINGS = {
    "MLPOC_POLL_SECONDS": "1",
    "MLPOC_SERVING_CHECK_SECONDS": "1",
    "MLPOC_SHUTDOWN_GRACE_SECONDS": "5",
    "MLPOC_API_HOST": "127.0.0.1",
}
OFFLINE_GCP = (
    "Terraform cannot apply the GCP stack offline: no Google provider mirror here, and KMS, "
    "IAM, App Engine, Cloud Build, Monitoring and Billing have no emulator. The rehearsal "
    "creates the data plane the stack declares, with its names, on Google's emulators."
)


def rehearse(
    cloud: Annotated[str, typer.Argument(help="aws or gcp.")],
    workdir: Annotated[
        Path | None,
        typer.Option(help="Working directory (default: a temporary one, removed if all passed)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Rehearse a deploy on local emulators: deploy, key, API + worker, demo loop, destroy."""
    if cloud not in CLOUDS:
        fail(f"cloud must be aws or gcp, got {cloud!r}")
    root = Path.cwd().resolve()
    if not (root / "cdktf.json").is_file():
        fail(f"no cdktf.json in {root}: run this from the mlpoc project's root directory")
    out = err_console if as_json else console
    work = (workdir or Path(tempfile.mkdtemp(prefix=f"mlpoc-rehearse-{cloud}-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    steps = Steps(out)
    started = time.monotonic()
    result: dict[str, Any] = {"cloud": cloud, "workdir": str(work)}
    passed = False
    try:
        with sigterm_as_interrupt(), _environment():
            project = _rehearsal_project(root, work, cloud)
            if cloud == "aws":
                result |= _rehearse_aws(project, steps, out)
            else:
                result |= _rehearse_gcp(project, steps, out)
        passed = True
    finally:
        result["steps"] = [{"step": text, "seconds": s} for text, s in steps.times]
        result["seconds"] = round(time.monotonic() - started, 1)
        result["verdict"] = "passed" if passed else "FAILED"
        verdict = (
            f"[green]rehearsal of {cloud} passed[/green]"
            if passed
            else f"[red]rehearsal of {cloud} FAILED[/red] (logs in {work / 'logs'})"
        )
        out.print(f"{verdict} in {result['seconds']} s", soft_wrap=True)
        if passed and workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    if as_json:
        emit_json(result)


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    """The rehearsal changes this process's environment (the SDKs read it); put it back."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _rehearsal_project(root: Path, work: Path, cloud: str) -> Project:
    """The project file for the rehearsal: the project's own when it names this cloud, else
    one derived from it (or from defaults) for this cloud."""
    import tomllib

    from infra.clouds import section
    from infra.config import CONFIG_ENV, parse_config
    from runtime.cli.init import render

    configured = Path(os.environ.get(CONFIG_ENV) or root / "mlpoc.toml")
    data: dict[str, Any] = tomllib.loads(configured.read_text()) if configured.is_file() else {}
    project = dict(data.get("project", {}))
    if project.get("cloud") != cloud:
        project.update(cloud=cloud, region=section(cloud).DEFAULT_REGION)
    project.setdefault("name", "mlpoc-rehearsal")
    data["project"] = project
    data.setdefault("budget", {"amount": 50, "alert_email": "team@example.com"})
    if cloud == "gcp" and not data.get("gcp", {}).get("project_id"):
        data["gcp"] = {"project_id": "mlpoc-rehearsal", "billing_account": "000000-000000-000000"}
    for name in ("api", "worker"):  # App Engine flexible needs an instance of each
        if data.get(name, {}).get("min_instances") == 0:
            data[name] = {**data[name], "min_instances": 1}
    parse_config(data, "rehearsal mlpoc.toml")
    config_path = work / "mlpoc.toml"
    config_path.write_text(render(data), encoding="utf-8")
    return Project(root, config_path, work / "cdktf.out")


def _cdktf_step(
    cdktf: Cdktf, command: str, *args: str, log: Path, timeout: float = DEPLOY_SECONDS
) -> str:
    """Run the real cdktf CLI; its output goes to `log`; a failure is one line."""
    done = cdktf.run(command, *args, capture=True, timeout=timeout)
    log.parent.mkdir(parents=True, exist_ok=True)
    output = strip_ansi((done.stdout or "") + "\n" + (done.stderr or ""))
    log.write_text(output, encoding="utf-8")
    if done.returncode != 0:
        fail(f"cdktf {command} failed: {last_error(done, 'no output')} (see {log})", 1)
    return output


# ------------------------------------------------------------------------------- AWS


def _rehearse_aws(project: Project, steps: Steps, out: Any) -> dict[str, Any]:
    from infra.clouds import EMULATOR_ENDPOINT_ENV
    from runtime.cli.emulators import DUMMY_AWS_ENV, start_moto
    from runtime.cli.operate import ops

    logs = project.outdir.parent / "logs"
    done = steps.start("started moto server")
    server = start_moto(logs)
    endpoint = f"http://{server.host}"
    # Dummy keys and the emulator's endpoint for everything below: cdktf, terraform, boto3.
    os.environ.update(DUMMY_AWS_ENV)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            EMULATOR_ENDPOINT_ENV: endpoint,
        }
    )
    done(endpoint)
    children: list[Child] = []
    try:
        cdktf = Cdktf.for_project(project)
        done = steps.start("synthesized the AWS stack (cdktf synth, emulator variant)")
        _cdktf_step(cdktf, "synth", log=logs / "cdktf-synth.log")
        switches = (project.stack_dir / SWITCHES_FILE).read_text().splitlines()
        done(f"providers from {cdktf.provider_source.describe()}")
        for line in switches:
            out.print(f"  [yellow]emulator switch[/yellow] {line}", soft_wrap=True)

        done = steps.start("deployed it with the cdktf CLI (cdktf deploy aws)")
        _cdktf_step(
            cdktf, "deploy", "--skip-synth", "--auto-approve", log=logs / "cdktf-deploy.log"
        )
        deployed = project.deployed()
        done(f"{len(deployed.outputs)} outputs, state in {project.state_path.name}")

        loop = _run_services(project.cloud, deployed, project.outdir.parent, steps, children)

        done = steps.start("a second plan is clean (cdktf diff aws)")
        plan = _cdktf_step(cdktf, "diff", "--skip-synth", log=logs / "cdktf-diff.log")
        if "No changes" not in plan:
            fail(f"the second plan is not clean (see {logs / 'cdktf-diff.log'})", 1)
        done("no changes")

        done = steps.start("emptied the bucket and destroyed the stack (cdktf destroy aws)")
        deleted = ops("aws").empty_bucket(deployed.settings())
        _cdktf_step(
            cdktf, "destroy", "--skip-synth", "--auto-approve", log=logs / "cdktf-destroy.log"
        )
        if project.outputs() is not None:
            fail(f"resources are left in {project.state_path} after the destroy", 1)
        done(f"{deleted} object versions deleted, state empty")
    finally:
        stop_all(children, STOP_GRACE_SECONDS)
        server.stop()
    return {"switched_off": switches, **loop}


# ------------------------------------------------------------------------------- GCP


def _rehearse_gcp(project: Project, steps: Steps, out: Any) -> dict[str, Any]:
    from infra.gcp.declared import data_plane
    from runtime.cli.emulators import start_gcp_servers

    logs = project.outdir.parent / "logs"
    out.print(f"[yellow]{OFFLINE_GCP}[/yellow]", soft_wrap=True)
    cdktf = Cdktf.for_project(project)
    done = steps.start("synthesized the GCP stack (cdktf synth)")
    _cdktf_step(cdktf, "synth", log=logs / "cdktf-synth.log")
    declared = data_plane(json.loads((project.stack_dir / "cdk.tf.json").read_text()))
    done(f"bucket {declared.bucket}, {len(declared.topics)} topics, "
         f"{len(declared.subscriptions)} subscriptions")  # fmt: skip

    done = steps.start("started Google's emulators (Pub/Sub, Firestore, fake-gcs-server)")
    servers = start_gcp_servers(logs)
    os.environ.update(
        {
            "PUBSUB_EMULATOR_HOST": servers.pubsub.host,
            "FIRESTORE_EMULATOR_HOST": servers.firestore.host,
            "STORAGE_EMULATOR_HOST": f"http://{servers.storage.host}",
            "GOOGLE_CLOUD_PROJECT": declared.project,
        }
    )
    done(", ".join(s.host for s in servers.all()))
    children: list[Child] = []
    try:
        done = steps.start("created the declared data plane on the emulators")
        _create_data_plane(declared)
        done(f"names as the stack declares them (project {declared.project})")
        deployed = Deployed("gcp", declared.outputs)
        loop = _run_services("gcp", deployed, project.outdir.parent, steps, children)
    finally:
        stop_all(children, STOP_GRACE_SECONDS)
        servers.stop()
    return {"offline": OFFLINE_GCP, **loop}


def _create_data_plane(declared: Any) -> None:
    from adapters.gcp import clients

    storage = clients.storage_client(declared.project)
    publisher, subscriber = clients.publisher_client(), clients.subscriber_client()
    storage.create_bucket(declared.bucket)
    for topic in declared.topics:
        publisher.create_topic(request={"name": publisher.topic_path(declared.project, topic)})
    for sub in declared.subscriptions:
        request: dict[str, Any] = {
            "name": subscriber.subscription_path(declared.project, sub.name),
            "topic": publisher.topic_path(declared.project, sub.topic),
            "ack_deadline_seconds": sub.ack_deadline_seconds,
        }
        if sub.dead_letter_topic:
            request["dead_letter_policy"] = {
                "dead_letter_topic": publisher.topic_path(declared.project, sub.dead_letter_topic),
                "max_delivery_attempts": sub.max_delivery_attempts,
            }
        subscriber.create_subscription(request=request)


# ------------------------------------------------------------------- both clouds


def _run_services(
    cloud: str, deployed: Deployed, work: Path, steps: Steps, children: list[Child]
) -> dict[str, Any]:
    """The first key (as `mlpoc keys create --stack` makes it), then the API and a worker
    with the stack's settings, then the demo loop against them."""
    from runtime import api_keys
    from runtime.cli.keys import stack_documents

    done = steps.start("created the first admin key from the stack's outputs (keys --stack)")
    key, token = api_keys.create(stack_documents(deployed), "mlpoc-rehearsal", ["admin"])
    done(f"key {key.id}")

    done = steps.start("started the API and a worker with the stack's settings")
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MLPOC_")}
    env = {**inherited, **deployed.environment, **CHILD_SETTINGS, "PORT": str(port)}
    logs = work / "logs"
    children.append(spawn("api", python_module("runtime.api"), env, logs / "api.log"))
    children.append(spawn("worker", python_module("runtime.worker"), env, logs / "worker.log"))
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: api_ready(url), timeout=STARTUP_SECONDS, child=children[0], what="API")
    done(f"{url}, backend {cloud}")

    with Api(url, token, timeout=60) as api:
        loop = run_loop(api, steps)
    done = steps.start("stopped the API and the worker")
    stop_all(children, STOP_GRACE_SECONDS)
    children.clear()
    done("")
    return loop
