"""schemathesis (the pinned CLI, `st run`) over the whole API, every check and every phase
(examples, coverage, fuzzing, stateful), against an app on a real socket whose backend holds
a dataset, a trained model at `production` and its stored predictions. The configuration
(`tests/api/schemathesis.toml`) names what a schema cannot say, each with its reason.

The same run as a command, for any backend (README: "The API's contract"):

    python -m tests.support.schemathesis local|aws|gcp [--max-examples N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.registry import Registry
from tests.rigs.base import Rig
from tests.support.api import Api, make_api, train_through_api
from tests.support.live import REPO, serving

CONFIG = REPO / "tests" / "api" / "schemathesis.toml"
PHASES = "examples,coverage,fuzzing,stateful"
RUN_SECONDS = 1200  # a hard stop for one run; a local run takes a minute or two


@dataclass
class Outcome:
    returncode: int
    output: str
    report: dict[str, Any]
    seconds: float

    def summary(self) -> str:
        """The end of the CLI's output: failures, then the summary."""
        return self.output[-12_000:]


@contextmanager
def populated(rig: Rig) -> Iterator[tuple[Api, str]]:
    """An app on `rig` holding `iris` (uploaded, trained, at `production`, its records
    scored by a batch_predict job), served on a loopback port: the app and its URL."""
    api = make_api(rig)
    with api.client:
        assert api.upload().status_code == 201
        job = train_through_api(api)
        Registry(api.adapters).move_alias(
            "iris", "production", job["result"]["version"], expected=None
        )
        api.score("iris")
        with serving(api.app, api.settings) as (host, port):
            yield api, f"http://{host}:{port}"


def run(url: str, api_key: str, *, max_examples: int, seed: int) -> Outcome:
    """`st run` with every check over `url`'s OpenAPI document."""
    import time

    with tempfile.TemporaryDirectory(prefix="mlpoc-st-") as tmp:
        report_path = Path(tmp) / "report.json"
        command = [
            str(Path(sys.executable).with_name("st")),
            "--config-file", str(CONFIG),
            "--no-color",
            "run", f"{url}/openapi.json",
            "--phases", PHASES,
            "--max-examples", str(max_examples),
            "--seed", str(seed),
            "--workers", "1",
            "--header", f"X-API-Key: {api_key}",
            "--report", "json",
            "--report-json-path", str(report_path),
        ]  # fmt: skip
        started = time.monotonic()
        done = subprocess.run(
            command,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
        )
        seconds = time.monotonic() - started
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return Outcome(done.returncode, done.stdout + done.stderr, report, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backend", choices=("local", "aws", "gcp"))
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="mlpoc-st-rig-") as tmp,
        _rig(args.backend, Path(tmp)) as rig,
        populated(rig) as (api, url),
    ):
        outcome = run(url, api.tokens["admin"], max_examples=args.max_examples, seed=args.seed)
    print(outcome.output)
    print(f"{args.backend}: exit {outcome.returncode} in {outcome.seconds:.0f} s")
    return outcome.returncode


@contextmanager
def _rig(backend: str, root: Path) -> Iterator[Rig]:
    if backend == "local":
        from tests.rigs.local import LocalRig

        yield LocalRig(root)
        return
    if backend == "aws":
        from tests.rigs.aws import AwsRig as Started
    else:
        from tests.rigs.gcp import GcpRig as Started  # type: ignore[assignment]
    rig = Started.start(root)
    try:
        yield rig
    finally:
        rig.stop()


if __name__ == "__main__":
    sys.exit(main())
