#!/usr/bin/env bash
# Run checkov on both synthesized stacks (cdktf.out/stacks/{aws,gcp}/cdk.tf.json).
#
# checkov lives in its own virtual environment: its dependency tree (boto3, networkx,
# pydantic pins...) must not constrain the project's. Skips and their reasons are in
# .checkov.yaml, the one place for them.
#
#   scripts/checkov.sh [STACK_JSON ...]    default: both synthesized stacks
#   scripts/checkov.sh --install           only make the venv; prints the checkov path
#
# Environment: CHECKOV_VENV (default .venv-checkov), PYTHON (default python3).
set -euo pipefail

CHECKOV_VERSION=3.3.30
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${CHECKOV_VENV:-$root/.venv-checkov}"
# shellcheck source=scripts/tool-venv.sh
source "$root/scripts/tool-venv.sh"
tool_venv "$venv" checkov "$CHECKOV_VERSION"

if [[ "${1:-}" == "--install" ]]; then
    echo "$venv/bin/checkov"
    exit 0
fi
# No call to PyPI for a newer checkov on every run.
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true

if [[ $# -eq 0 ]]; then
    set -- cdktf.out/stacks/aws/cdk.tf.json cdktf.out/stacks/gcp/cdk.tf.json
fi
args=()
for stack in "$@"; do
    if [[ ! -f "$stack" ]]; then
        echo "checkov.sh: $stack not found; synthesize the stacks first" \
            "(MLPOC_CONFIG=<mlpoc.toml> python -m infra.main)" >&2
        exit 2
    fi
    args+=(--file "$stack")
done

exec "$venv/bin/checkov" --config-file "$root/.checkov.yaml" --compact --quiet "${args[@]}"
