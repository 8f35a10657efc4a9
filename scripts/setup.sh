# Sourced by start.sh and test.sh: Node 24 on PATH and npm dependencies installed.
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$root" || exit 1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "berth: installing npm dependencies" >&2
  # npm ci: exactly the lock file (it lists every platform's optional packages, such as
  # Biome's binaries), which it never rewrites, so a fresh clone stays clean
  npm ci --no-audit --no-fund >&2
fi
