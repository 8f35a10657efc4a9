#!/usr/bin/env bash
# Starts Berth: installs Node 24 and the npm dependencies when missing, then runs the
# server (SQLite in ./data and built-in serving by default; see README for settings).
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "$0")/setup.sh"
exec node src/main.ts "$@"
