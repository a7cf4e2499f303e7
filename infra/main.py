"""The CDK for Terraform app (`cdktf.json`: `python -m infra.main`).

Builds only the stack of the cloud chosen in mlpoc.toml, named after it, so `cdktf deploy aws`
or `cdktf deploy gcp` deploys it and synthesizing one cloud never imports another's
provider. `synth(config, outdir)` is the same thing as a function (tests, bench).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from infra.config import ConfigError, ProjectConfig, load_config

if TYPE_CHECKING:
    from cdktf import App

    from infra.build import SystemStack

OUTDIR_ENV = "CDKTF_OUTDIR"  # set by the cdktf CLI
SWITCHES_FILE = "emulator-switches.txt"


def build_app(config: ProjectConfig, outdir: str | os.PathLike[str]) -> tuple[App, SystemStack]:
    """The app holding the configured cloud's stack. cdktf is imported only here, so a bad
    mlpoc.toml fails before any of it loads."""
    from cdktf import App

    from infra import clouds
    from infra.build import SystemStack

    app = App(outdir=str(outdir))
    stack = SystemStack(app, clouds.cloud(config.cloud), config)
    return app, stack


def synth(config: ProjectConfig, outdir: str | os.PathLike[str]) -> Path:
    """Synthesize the configured cloud's stack; returns the path of its cdk.tf.json."""
    app, _ = build_app(config, outdir)
    app.synth()
    return Path(outdir) / "stacks" / config.cloud / "cdk.tf.json"


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    outdir = os.environ.get(OUTDIR_ENV, "cdktf.out")
    app, stack = build_app(config, outdir)
    app.synth()
    path = Path(outdir) / "stacks" / config.cloud / "cdk.tf.json"
    print(f"synthesized {path}", file=sys.stderr)
    return _for_emulator(config, path, stack.owners)


def _for_emulator(config: ProjectConfig, path: Path, owners: dict[str, list[str]]) -> int:
    """`mlpoc rehearse` sets the emulator's endpoint: rewrite the stack through the cloud's
    emulator variant (its one place for emulator-only switches) and say what they changed."""
    from infra import clouds

    endpoint = os.environ.get(clouds.EMULATOR_ENDPOINT_ENV)
    if not endpoint:
        return 0
    try:
        emulator = clouds.emulator(config.cloud)
    except LookupError as exc:
        print(f"{exc}: Terraform cannot apply it offline", file=sys.stderr)
        return 2
    switches = emulator.rewrite(path, endpoint, owners)
    # Beside the stack, for `mlpoc rehearse` to name them (cdktf keeps the app's stderr).
    (path.parent / SWITCHES_FILE).write_text("\n".join(switches) + "\n", encoding="utf-8")
    for line in switches:
        print(f"emulator switch: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
