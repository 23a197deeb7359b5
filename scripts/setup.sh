#!/usr/bin/env bash
# Installs everything StreamPulse needs on a fresh machine that has only Node 20 +
# npm (and, for later runtimes, Python 3.11 and Java 17). Idempotent: a second run
# is a quick check. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  PNPM=(pnpm)
else
  PNPM=(npx -y "pnpm@${PNPM_VERSION}")
fi
export PNPM_CMD="${PNPM[*]}"

log() { printf '\033[36m[setup]\033[0m %s\n' "$*" >&2; }

# Native addons build from source against the local Node headers: never download
# a prebuilt binary or the headers.
export npm_config_build_from_source=true
if [ -z "${npm_config_nodedir:-}" ]; then
  NODE_PREFIX="$(dirname "$(dirname "$(command -v node)")")"
  if [ -f "$NODE_PREFIX/include/node/node.h" ]; then export npm_config_nodedir="$NODE_PREFIX"; fi
fi

log "node $(node --version), pnpm ${PNPM_VERSION}: installing workspace dependencies"
"${PNPM[@]}" install --frozen-lockfile --reporter=append-only >&2

log "type-checking and building (tsc -b)"
node_modules/.bin/tsc -b
