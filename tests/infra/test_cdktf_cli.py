"""The pinned cdktf CLI runs the app with the project's own interpreter: `npx cdktf synth`
works from a fresh shell, with no virtual environment activated."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.infra.conftest import GCP_TOML, REPO


@pytest.mark.slow
def test_npx_cdktf_synth_needs_no_activated_environment(tmp_path: Path) -> None:
    config = tmp_path / "mlpoc.toml"
    config.write_text(GCP_TOML)
    venv_bin = str(Path(REPO / ".venv" / "bin"))
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MLPOC_PYTHON")
    }
    env.update(PATH=path, MLPOC_CONFIG=str(config), CHECKPOINT_DISABLE="1")
    outdir = tmp_path / "out"
    done = subprocess.run(
        ["npx", "--no-install", "cdktf", "synth", "--output", str(outdir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    stack = json.loads((outdir / "stacks" / "gcp" / "cdk.tf.json").read_text())
    assert stack["//"]["metadata"]["stackName"] == "gcp", "the cloud of the project file"
    assert "aws" not in {p.name for p in (outdir / "stacks").iterdir()}
