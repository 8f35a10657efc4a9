#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the system packages the
# tests drive for real (Chromium, nginx, BIND, Pebble, git, bubblewrap, shellcheck), Node 24 and the
# npm dependencies, then type-checks, lints and runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
# the real components the tests drive: command → Debian package
packages=()
need() { command -v "$1" >/dev/null 2>&1 || packages+=("$2"); }
need chromium chromium
need git git
need curl curl
need openssl openssl
need nginx nginx
need named bind9
need dig bind9-dnsutils
need pebble pebble
need shellcheck shellcheck
need visudo sudo
need bwrap bubblewrap
need systemd-nspawn systemd-container
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
