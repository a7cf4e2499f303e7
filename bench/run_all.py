"""Run every benchmark under bench/ and write one Markdown report with the machine it ran on.

    python bench/run_all.py [--output bench/REPORT.md] [--only NAME ...] [--timeout S]

Each `bench/<name>.py` (every file here but this one) runs in its own process, one after
the other (they measure time: never in parallel), with its default arguments; its Markdown
output goes into the report under its name, with its wall time and exit code. A benchmark
that fails is reported as failed (with the end of its output) and the others still run; the
exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def benchmarks() -> list[Path]:
    return sorted(p for p in BENCH.glob("*.py") if p.name != Path(__file__).name)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def machine() -> list[tuple[str, str]]:
    return [
        ("date (UTC)", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")),
        ("host", platform.node()),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} logical cores"),
        ("memory", _memory_gib()),
        ("Python", platform.python_version()),
        ("commit", _git_commit()),
    ]


def run(path: Path, timeout: float) -> tuple[int, float, str]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        code, output = done.returncode, done.stdout
        if code != 0:
            output += "\n" + "\n".join(done.stderr.splitlines()[-20:])
    except subprocess.TimeoutExpired as exc:
        code, output = -1, f"timed out after {timeout:.0f} s\n{exc.stdout or ''}"
    return code, time.monotonic() - started, output.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=BENCH / "REPORT.md")
    parser.add_argument("--only", action="append", help="a benchmark's file stem (repeatable)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark")
    args = parser.parse_args(argv)
    chosen = [p for p in benchmarks() if not args.only or p.stem in args.only]
    unknown = set(args.only or ()) - {p.stem for p in benchmarks()}
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")

    lines = ["# mlpoc benchmarks", "", "| machine | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in machine()]
    failed = []
    for path in chosen:
        print(f"== {path.name}", file=sys.stderr, flush=True)
        code, seconds, output = run(path, args.timeout)
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        if code != 0:
            failed.append(path.stem)
        lines += [
            "",
            f"## {path.stem}",
            "",
            f"`python bench/{path.name}`: {status}, {seconds:.0f} s",
            "",
        ]
        lines += [output if code == 0 else f"```\n{output}\n```"]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"wrote {args.output}" + (f"; failed: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
