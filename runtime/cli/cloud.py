"""`mlpoc synth` and `mlpoc deploy`: the cdktf app for the cloud chosen in mlpoc.toml.

`synth` runs the app (`python -m infra.main`, as `cdktf synth` would) and needs only the
infra extra; `deploy` runs `cdktf deploy <cloud>` and needs the cdktf CLI (Node).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from runtime.cli.base import console, fail

CDKTF_CLI = "cdktf-cli@0.21.0"
NODE_SILENCE = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def _config_and_root() -> tuple[str, Path]:
    from infra.config import CONFIG_ENV, DEFAULT_PATH, load_config

    path = Path(os.environ.get(CONFIG_ENV) or DEFAULT_PATH)
    if not path.is_file():
        fail(
            f"no project file {path}: write one with `mlpoc init --cloud aws|gcp ...`, "
            f"or point {CONFIG_ENV} at it"
        )
    config = load_config(path)  # ConfigError names each bad field: one line, exit 2
    root = Path.cwd()
    if not (root / "cdktf.json").is_file():
        fail(f"no cdktf.json in {root}: run this from the mlpoc project's root directory")
    return config.cloud, root


def synth(
    outdir: Annotated[Path, typer.Option(help="Where cdktf output goes.")] = Path("cdktf.out"),
) -> None:
    """Synthesize the configured cloud's stack to Terraform JSON (no cloud call)."""
    cloud, _ = _config_and_root()
    if importlib.util.find_spec("cdktf") is None:
        fail("cdktf is not installed: pip install -e '.[infra]'")
    env = {**os.environ, **NODE_SILENCE, "CDKTF_OUTDIR": str(outdir)}
    with console.status(f"synthesizing the {cloud} stack"):
        done = subprocess.run([sys.executable, "-m", "infra.main"], env=env, check=False)
    if done.returncode != 0:
        raise typer.Exit(done.returncode)
    console.print(f"[green]✓[/green] {outdir / 'stacks' / cloud / 'cdk.tf.json'}")


def deploy(
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Apply without asking (CI).")
    ] = False,
) -> None:
    """Deploy the configured cloud's stack with `cdktf deploy <cloud>`."""
    cloud, _ = _config_and_root()
    cdktf = shutil.which("cdktf")
    if cdktf is None:
        fail(f"the cdktf CLI is not installed: npm install -g {CDKTF_CLI} (needs Node.js >= 20)")
    argv = [cdktf, "deploy", cloud, *(["--auto-approve"] if auto_approve else [])]
    console.print(f"running: {' '.join(argv[1:])}")
    done = subprocess.run(argv, env={**os.environ, **NODE_SILENCE}, check=False)
    raise typer.Exit(done.returncode)
