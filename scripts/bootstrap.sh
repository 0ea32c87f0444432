#!/usr/bin/env bash
# Installs what is missing on a fresh Debian machine with Node 20 (pnpm, the
# workspace's dependencies, redis-server and postgresql when apt is usable), then starts the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "Installing pnpm $PNPM_VERSION with npm (corepack is not used: it fails on unsigned registries)"
  if ! npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1; then
    # No write access to npm's global folder (not root): install for this user instead.
    npm install -g --prefix "$HOME/.local" "pnpm@$PNPM_VERSION" >/dev/null
    export PATH="$HOME/.local/bin:$PATH"
    echo "pnpm is in $HOME/.local/bin: add it to your PATH for later shells."
  fi
fi

if ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "Installing redis-server with apt"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is missing and apt is not usable here; the demo needs REDIS_URL to point at a Redis 7."
  fi
fi

# PostgreSQL for the audit sink's tests (`pnpm test` starts a private cluster of its own); the demo does not need it.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "Installing postgresql with apt (for the audit sink's tests)"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql >/dev/null || echo "postgresql could not be installed: its tests will say they skipped"
  fi
fi

pnpm install --frozen-lockfile
if [ "${BOOTSTRAP_ONLY:-}" = "1" ]; then exit 0; fi
exec pnpm start
