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

# ---- the PySpark runtime (jobs/python): a Python 3.11 venv with the pinned pyspark +
# delta-spark pair, and Delta's jars fetched with Maven at install time (Spark never
# downloads anything when it starts). Needs Python 3.11, Java 17 and Maven; without them
# this part is skipped with a warning and scripts/test.sh counts pytest as failed.
setup_python() {
  local req="jobs/python/requirements.lock" py="${STREAMPULSE_PYTHON:-python3.11}"
  if ! command -v "$py" >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    log "WARNING: Python 3.11 ($py), Java 17 and Maven are needed for the PySpark runtime; skipping .venv and the Delta jars"
    return 0
  fi
  if [ ! -x .venv/bin/python ] || ! cmp -s "$req" .venv/.installed-requirements.lock; then
    log "python: creating .venv ($("$py" --version 2>&1)) and installing $req (pyspark, delta-spark, pytest)"
    rm -rf .venv
    "$py" -m venv .venv
    .venv/bin/python -m pip install --disable-pip-version-check --no-input -q -r "$req" >&2
    cp "$req" .venv/.installed-requirements.lock
  fi
  local pom="jobs/python/pom.xml" stamp="jobs/python/jars/.pom.sha256"
  if [ ! -f "$stamp" ] || [ "$(sha256sum "$pom" | cut -d' ' -f1)" != "$(cat "$stamp")" ]; then
    log "maven: fetching the Delta Lake jars into jobs/python/jars"
    mvn -q -B -f "$pom" dependency:copy >&2
    sha256sum "$pom" | cut -d' ' -f1 > "$stamp"
  fi
}
setup_python
