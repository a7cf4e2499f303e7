#!/usr/bin/env bash
# Debian's headless Chromium for the web UI's browser tests (tests/ui), installed with apt
# only when it is missing: Playwright's own browser download is never used. `make test` and
# .ci/run both call this, so a fresh machine needs nothing installed by hand.
set -euo pipefail
browser="${MLPOC_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$browser" ]; then
  if [ -n "${MLPOC_CHROMIUM:-}" ]; then
    echo "MLPOC_CHROMIUM=$MLPOC_CHROMIUM is not an executable browser" >&2
    exit 1
  fi
  echo "installing Debian's chromium and chromium-driver for the browser tests (apt-get)"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium chromium-driver
fi
"$browser" --version 2>/dev/null
