#!/usr/bin/env bash
# The test command: sets the machine up, checks style, runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"
uv run --frozen ruff check .
uv run --frozen ruff format --check .
uv run --frozen lint-imports
uv run --frozen pytest "$@"
