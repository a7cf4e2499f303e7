"""Synthesis cost per cloud: wall time and peak memory of the whole process tree (python and
its node jsii child), with the fast provider import and with the default (eager) import.

    python bench/synth.py [--runs N] [--clouds aws,gcp] [--fast-only]

Each synthesis runs `python -m infra.main` in a fresh subprocess, as `cdktf synth` does;
memory is the peak of the summed RSS of that process and all its descendants, sampled from
/proc every 20 ms. Also checks that both imports give byte-identical cdk.tf.json. Prints a
Markdown table. Target: <= 12 s and <= 1.5 GB per cloud with the fast import.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per cloud and mode (best kept)")
    parser.add_argument("--clouds", default="aws,gcp")
    parser.add_argument("--fast-only", action="store_true", help="skip the default import")
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
    print(f"Synthesis, one stack per subprocess ({os.cpu_count()} CPUs, best of {args.runs})\n")
    print("| cloud | provider import | wall time (s) | peak RSS, process tree (MB) |")
    print("|---|---|---:|---:|")
    for run in rows:
        print(f"| {run.cloud} | {run.mode} | {run.seconds:.1f} | {run.peak_bytes / 2**20:.0f} |")
    for cloud, same in identical.items():
        print(f"\n{cloud}: fast and default imports give {'identical' if same else 'DIFFERENT'}"
              " cdk.tf.json bytes")  # fmt: skip
    return 0 if all(identical.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
