#!/usr/bin/env bash
# The demo command: sets the machine up and runs the whole hall with every device simulated.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"
exec uv run --frozen onevisit demo "$@"
