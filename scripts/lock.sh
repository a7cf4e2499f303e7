#!/usr/bin/env bash
# Regenerate requirements.lock: what the runtime image installs (`pip install --require-hashes`),
# every package pinned to its constraints.txt version with the sha256 of each of its files on
# PyPI, so a build installs exactly these bytes or fails.
#
#   scripts/lock.sh           rewrite requirements.lock (needs PyPI)
#   scripts/lock.sh --check   exit 1 if requirements.lock is not what it would write
#
# pip-tools runs from its own virtual environment, pinned below, so that it never constrains
# the project's dependencies. Environment: LOCK_VENV (default .venv-lock), PYTHON.
set -euo pipefail

PIP_TOOLS_VERSION=7.7.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${LOCK_VENV:-$root/.venv-lock}"
# shellcheck source=scripts/tool-venv.sh
source "$root/scripts/tool-venv.sh"
tool_venv "$venv" pip-tools "$PIP_TOOLS_VERSION"

output=requirements.lock
if [[ "${1:-}" == "--check" ]]; then
    output="$(mktemp)"
    cp requirements.lock "$output"
    trap 'rm -f "$output"' EXIT
fi
# The runtime and both clouds' SDKs (the image's `.[aws,gcp]`), at constraints.txt's pins.
# PyPI alone: no machine-wide pip configuration (local wheel folders, extra indexes, caps)
# may decide what a release installs. CUSTOM_COMPILE_COMMAND: the header names this script.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$venv/bin/pip-compile" --quiet \
    --generate-hashes --allow-unsafe --strip-extras --resolver=backtracking \
    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
    --extra aws --extra gcp --constraint constraints.txt \
    --output-file "$output" pyproject.toml
if [[ "${1:-}" == "--check" ]]; then
    diff -u requirements.lock "$output"
fi
