"""`mlpoc synth`, `mlpoc deploy` and `mlpoc destroy`: the project's cdktf CLI on the cloud
chosen in mlpoc.toml.

`deploy` takes the steps a deploy takes, in order, and stops at the first one that cannot
pass, with one line naming what is missing: the project file, the cdktf CLI, the providers'
source, synthesis, the cloud's credentials; then `cdktf deploy <cloud>` builds the stack and
ships the release bundle (the platform builds the image from it). `destroy` warns about the
data first.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runtime.cli.base import console, err_console, fail, plain
from runtime.cli.cdktf import Cdktf, last_error
from runtime.cli.operate import ops
from runtime.cli.project import Project, load_project

AutoApprove = Annotated[
    bool, typer.Option("--auto-approve", help="Apply without asking (CI, scripts).")
]


def synthesize(cdktf: Cdktf) -> Path:
    """`cdktf synth` (the app through scripts/cdktf-app, as `npx cdktf synth` runs it)."""
    done = cdktf.run("synth", capture=True)
    if done.returncode != 0:
        fail(f"synthesis failed: {last_error(done, 'see cdktf synth')}")
    return cdktf.project.stack_dir / "cdk.tf.json"


def synth(
    outdir: Annotated[Path, typer.Option(help="Where cdktf output goes.")] = Path("cdktf.out"),
) -> None:
    """Synthesize the configured cloud's stack to Terraform JSON (no cloud call)."""
    project = load_project(outdir=outdir)
    cdktf = Cdktf.for_project(project)
    with console.status(f"synthesizing the {project.cloud} stack"):
        path = synthesize(cdktf)
    console.print(f"[green]✓[/green] {path}")
    source = cdktf.provider_source
    console.print(f"providers: {source.describe()}", soft_wrap=True)
    if source.env.get("TF_CLI_CONFIG_FILE"):
        console.print(
            f"by hand: TF_CLI_CONFIG_FILE={source.env['TF_CLI_CONFIG_FILE']} "
            f"npx cdktf deploy {project.cloud}"
            + (" --skip-provider-lock" if source.skip_provider_lock else ""),
            soft_wrap=True,
        )


def _step(text: str) -> None:
    console.print(f"[green]✓[/green] {text}", soft_wrap=True)


def deploy(auto_approve: AutoApprove = False) -> None:
    """Deploy the configured cloud: the stack and the code (release bundle), one command."""
    project = load_project()
    _step(f"project {project.config.name}: {project.cloud}, {project.config.project.region}")
    cdktf = Cdktf.for_project(project)
    _step(f"providers from {cdktf.provider_source.describe()}")
    with console.status(f"synthesizing the {project.cloud} stack"):
        synthesize(cdktf)
    _step(f"synthesized {project.stack_dir / 'cdk.tf.json'}")
    _step(ops(project.cloud).credentials())
    if not auto_approve and not sys.stdin.isatty():
        fail("no terminal to confirm the plan on: pass --auto-approve")
    args = ["--skip-synth", *(["--auto-approve"] if auto_approve else [])]
    console.print(f"running: cdktf deploy {project.cloud} {' '.join(args)}")
    done = cdktf.run("deploy", *args)
    if done.returncode != 0:
        fail(f"cdktf deploy {project.cloud} failed (its output is above)", 1)
    deployed = project.deployed()
    _step(f"deployed: {plain(deployed.url or 'no service URL')}")
    console.print(
        "next: `mlpoc keys create --stack --name me --scope admin`, then `mlpoc status`",
        soft_wrap=True,
    )


def _warn_about_data(project: Project) -> None:
    env = project.deployed().environment

    def setting(name: str) -> str:
        return env.get(f"MLPOC_{name.upper()}", "?")

    err_console.print(
        f"[bold red]mlpoc destroy deletes the {project.cloud} stack of {project.config.name}"
        "[/bold red], with its data:\n"
        f"  - every document table ({plain(setting('table_prefix'))}*): datasets, labels, "
        "models, keys\n"
        f"  - the job queues ({plain(setting('queue'))}) and whatever they hold\n"
        f"  - the bucket {plain(setting('bucket'))} (uploads, model artifacts) if it is empty: "
        "pass --delete-data to empty it first, else the destroy stops there\n"
        "  - the services, their identity and alerts; the KMS key is kept (GCP) or scheduled "
        "for deletion in 30 days (AWS)",
        soft_wrap=True,
    )


def destroy(
    auto_approve: AutoApprove = False,
    delete_data: Annotated[
        bool,
        typer.Option("--delete-data", help="Empty the bucket first (every object version)."),
    ] = False,
) -> None:
    """Destroy the configured cloud's stack and, with --delete-data, the data in it."""
    project = load_project()
    cloud = ops(project.cloud)
    credentials = cloud.credentials()
    _warn_about_data(project)
    _step(credentials)
    if not auto_approve:
        if not sys.stdin.isatty():
            fail("no terminal to confirm on: pass --auto-approve to destroy")
        answer = typer.prompt(f"type the project name ({project.config.name}) to destroy it")
        if answer.strip() != project.config.name:
            fail("not confirmed: nothing was destroyed", 1)
    cdktf = Cdktf.for_project(project)
    if delete_data:
        settings = project.deployed().settings()
        with console.status(f"emptying {settings.bucket}"):
            count = cloud.empty_bucket(settings)
        _step(f"emptied {settings.bucket}: {count} object versions deleted")
    cloud.before_destroy(cdktf)
    done = cdktf.run("destroy", "--auto-approve")
    if done.returncode != 0:
        fail(f"cdktf destroy {project.cloud} failed (its output is above)", 1)
    _step(f"destroyed the {project.cloud} stack of {project.config.name}")
