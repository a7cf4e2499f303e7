"""What a request without an API key costs the API: its memory (RSS) and how much of the
body it read before refusing, for a huge multipart body and a large JSON body.

Run by hand (never as a timed test):

    python bench/preauth.py [--multipart-mb 300] [--json-mib 32]

The API runs as deployed (`python -m runtime.api`, local backend, a temporary data dir) in
its own process, so its RSS is its own. Each request goes over a plain socket that stops
sending as soon as the answer arrives (tests/api/raw_http.py), so "body sent" is what the
server had a chance to read. Prints Markdown: status, body bytes sent when the answer came,
seconds, RSS before and after, and the process's peak RSS (VmHWM, reset before each
request) during it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import Settings, build_adapters
from runtime import api_keys
from runtime.schema import COLLECTIONS
from tests.api.raw_http import send
from tests.support.live import api_process

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) // 1024
    return found


def reset_peak(pid: int) -> None:
    """Start VmHWM afresh at the current RSS (Linux: clear_refs 5), so each request's peak
    is its own."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def json_rows(size: int) -> bytes:
    """A valid batch-predict body of exactly `size` bytes (rows, then padding spaces)."""
    row = b'{"sepal length (cm)": 5.1},'
    head, tail = b'{"rows": [', b'{"sepal length (cm)": 5.1}]}'
    count = (size - len(head) - len(tail)) // len(row)
    body = head + row * count
    return body + b" " * (size - len(body) - len(tail)) + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--multipart-mb", type=int, default=300)
    parser.add_argument("--json-mib", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(backend="local", data_dir=Path(data_dir))
        documents = build_adapters(COLLECTIONS, settings).documents
        _, token = api_keys.create(documents, "probe", ["predict"])
        env = {**settings.to_env(), "MLPOC_LOG_LEVEL": "WARNING"}
        with api_process(env) as (url, proc):
            port = int(url.rsplit(":", 1)[1])
            boundary = "probe"
            multipart = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            multipart_head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                'filename="x.csv"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            json_type = {"Content-Type": "application/json"}
            key = {"X-API-Key": token}
            big, rows = args.multipart_mb * 1000 * 1000, json_rows(args.json_mib * MIB)
            cases = [
                (f"{args.multipart_mb} MB multipart, no key", "/models/x/predict", multipart,
                 big, multipart_head),
                (f"{args.json_mib} MiB JSON batch, no key", "/models/x/predict/batch", json_type,
                 len(rows), rows),
                (f"{args.multipart_mb} MB multipart, predict key", "/models/x/predict",
                 {**multipart, **key}, big, multipart_head),
                (f"{args.json_mib} MiB JSON batch, predict key", "/models/x/predict/batch",
                 {**json_type, **key}, len(rows), rows),
            ]  # fmt: skip
            print("| request | status | body sent when answered | seconds | RSS before | "
                  "RSS after | peak RSS during |")  # fmt: skip
            print("| --- | --- | --- | --- | --- | --- | --- |")
            for name, path, headers, size, prefix in cases:
                reset_peak(proc.pid)
                before = memory(proc.pid)
                answer = send(
                    "127.0.0.1", port, "POST", path, headers=headers, body_size=size,
                    body_prefix=prefix, deadline_seconds=300,
                )  # fmt: skip
                time.sleep(0.5)  # let the server finish with the request before measuring
                after = memory(proc.pid)
                print(
                    f"| {name} | {answer.status} | {answer.body_bytes_sent / MIB:.1f} MiB "
                    f"of {size / MIB:.1f} | {answer.seconds:.2f} | {before['VmRSS']} MiB | "
                    f"{after['VmRSS']} MiB | {after['VmHWM']} MiB |"
                )
                error = json.loads(answer.body)["error"]
                print(f"<!-- {error['code']}: {error['message']} -->", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
