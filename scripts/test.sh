#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the system packages the
# tests drive for real (Chromium), Node 24 and the npm dependencies, then type-checks,
# lints and runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v git >/dev/null 2>&1 || packages+=(git)
command -v curl >/dev/null 2>&1 || packages+=(curl)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "berth: installing ${packages[*]} with apt-get" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >&2
fi
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
npm test
