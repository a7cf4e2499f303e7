"""Synthesis cost per cloud: wall time and peak memory of the whole process tree (python and
its node jsii child), with the fast provider import and with the default (eager) import;
then `npx cdktf synth` (the pinned CLI running the app) per cloud, with Node's own start-up
and the cdktf CLI's start-up measured apart so their share is visible.

    python bench/synth.py [--runs N] [--clouds aws,gcp] [--fast-only] [--no-cli]

Each synthesis runs `python -m infra.main` in a fresh subprocess, as `cdktf synth` does;
memory is the peak of the summed RSS of that process and all its descendants, sampled from
/proc every 20 ms. Also checks that both imports give byte-identical cdk.tf.json. Prints a
Markdown table. Targets: <= 12 s and <= 1.5 GB per cloud with the fast import (the app
alone); `npx cdktf synth` <= 5 s per cloud.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 0.02
PAGE = os.sysconf("SC_PAGE_SIZE")

CONFIGS = {
    "aws": """
[project]
name = "mlpoc-bench"
cloud = "aws"
region = "eu-west-1"
[budget]
amount = 50
alert_email = "team@example.com"
""",
    "gcp": """
[project]
name = "mlpoc-bench"
cloud = "gcp"
region = "europe-west1"
[gcp]
project_id = "mlpoc-bench-123456"
billing_account = "012345-6789AB-CDEF01"
[budget]
amount = 50
alert_email = "team@example.com"
""",
}


@dataclass
class Run:
    cloud: str
    mode: str
    seconds: float
    peak_bytes: int
    output: bytes


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name may hold spaces: fields resume after its closing ')'.
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(root: int) -> int:
    """Summed resident memory of `root` and every descendant, in bytes."""
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(tree.get(pid, ()))
    return total


def synth_once(cloud: str, mode: str, workdir: Path) -> Run:
    config = workdir / f"{cloud}.toml"
    config.write_text(CONFIGS[cloud])
    outdir = workdir / f"out-{cloud}-{mode}"
    env = dict(os.environ)
    env.update(
        MLPOC_CONFIG=str(config),
        CDKTF_OUTDIR=str(outdir),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    if mode == "default":
        env["MLPOC_CDKTF_FULL_IMPORT"] = "1"
    else:
        env.pop("MLPOC_CDKTF_FULL_IMPORT", None)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.main"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"synth {cloud} ({mode}) failed:\n{stderr[-3000:]}")
    output = (outdir / "stacks" / cloud / "cdk.tf.json").read_bytes()
    return Run(cloud, mode, seconds, peak, output)


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return seconds


def cli_synth(cloud: str, workdir: Path, runs: int) -> dict[str, float]:
    """Best-of-`runs` wall times: `cdktf synth`, and the start-ups it contains."""
    config = workdir / f"cli-{cloud}.toml"
    config.write_text(CONFIGS[cloud])
    cdktf = str(REPO / "node_modules" / ".bin" / "cdktf")
    env = {**os.environ, "MLPOC_CONFIG": str(config), "CHECKPOINT_DISABLE": "1",
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}  # fmt: skip
    env.pop("MLPOC_CDKTF_FULL_IMPORT", None)
    best: dict[str, float] = {}
    for _ in range(runs):
        times = {
            "node": _timed(["node", "-e", ""], env),
            "cli": _timed([cdktf, "--version"], env),
            "synth": _timed([cdktf, "synth", "--output", str(workdir / f"cli-{cloud}")], env),
        }
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per cloud and mode (best kept)")
    parser.add_argument("--clouds", default="aws,gcp")
    parser.add_argument("--fast-only", action="store_true", help="skip the default import")
    parser.add_argument("--no-cli", action="store_true", help="skip `npx cdktf synth`")
    args = parser.parse_args()
    modes = ("fast",) if args.fast_only else ("fast", "default")
    rows = []
    identical: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(prefix="mlpoc-bench-synth-") as tmp:
        for cloud in args.clouds.split(","):
            best: dict[str, Run] = {}
            for mode in modes:
                for _ in range(args.runs):
                    run = synth_once(cloud, mode, Path(tmp))
                    if mode not in best or run.seconds < best[mode].seconds:
                        best[mode] = run
                rows.append(best[mode])
            if "default" in best:
                identical[cloud] = best["fast"].output == best["default"].output
        cli = (
            {}
            if args.no_cli
            else {c: cli_synth(c, Path(tmp), args.runs) for c in args.clouds.split(",")}
        )
        app = {run.cloud: run.seconds for run in rows if run.mode == "fast"}
    print(f"Synthesis, one stack per subprocess ({os.cpu_count()} CPUs, best of {args.runs})\n")
    print("| cloud | provider import | wall time (s) | peak RSS, process tree (MB) |")
    print("|---|---|---:|---:|")
    for run in rows:
        print(f"| {run.cloud} | {run.mode} | {run.seconds:.1f} | {run.peak_bytes / 2**20:.0f} |")
    if cli:
        print("\n`npx cdktf synth` (pinned CLI, fast import), target <= 5 s\n")
        print("| cloud | cdktf synth (s) | app alone (s) | Node start (s) | cdktf CLI start (s) |")
        print("|---|---:|---:|---:|---:|")
        for cloud, t in cli.items():
            print(f"| {cloud} | {t['synth']:.1f} | {app.get(cloud, float('nan')):.1f} | "
                  f"{t['node']:.2f} | {t['cli']:.2f} |")  # fmt: skip
    for cloud, same in identical.items():
        print(f"\n{cloud}: fast and default imports give {'identical' if same else 'DIFFERENT'}"
              " cdk.tf.json bytes")  # fmt: skip
    return 0 if all(identical.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
