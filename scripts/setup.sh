# Sourced by start.sh and test.sh: Node 24 on PATH and npm dependencies installed.
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$root" || exit 1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "berth: installing npm dependencies" >&2
  # npm install, not npm ci: this npm leaves other platforms' optional packages (Biome's
  # binaries) out of the lock file and then refuses it in ci; the versions stay locked
  npm install --no-audit --no-fund >&2
fi
