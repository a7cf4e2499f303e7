# Sourced by scripts/checkov.sh and scripts/lock.sh: a tool's own virtual environment, so
# that the tool's dependencies never constrain the project's. Made again only when the
# pinned version changes (the version is kept in VENV/.installed).
#
#   tool_venv VENV TOOL VERSION      e.g. tool_venv .venv-lock pip-tools 7.7.0
#
# Environment: PYTHON (default python3), the interpreter the venv is made from.
tool_venv() {
    local venv="$1" tool="$2" version="$3" started=$SECONDS
    if [[ "$(cat "$venv/.installed" 2>/dev/null)" != "$version" ]]; then
        "${PYTHON:-python3}" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$tool==$version"
        echo "$version" >"$venv/.installed"
        echo "$tool $version installed in $venv in $((SECONDS - started)) s" >&2
    fi
}
