#!/usr/bin/env bash
# Installs everything StreamPulse needs on a fresh machine that has only Node 20 +
# npm (and, for the PySpark runtime, Python 3.11, Java 17 and Maven). Idempotent: a
# second run is a quick check. Sourced by scripts/demo.sh and scripts/test.sh.
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

# ---- the local Kafka broker (rehearsal/src/kafka/broker.ts: `streampulse stream demo` and the
# streaming tests): Apache Kafka's jars (KRaft mode) fetched with Maven at install time into
# .cache/kafka/jars (git-ignored; nothing is downloaded when a broker starts). Like the Delta
# jars: skipped while the pom's sha256 matches the stamp. Needs Java 17 and Maven.
setup_kafka() {
  local pom="rehearsal/kafka/pom.xml" jars=".cache/kafka/jars" stamp=".cache/kafka/jars/.pom.sha256"
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    log "WARNING: Java 17 and Maven are needed for the local Kafka broker; skipping $jars (the streaming tests will fail)"
    return 0
  fi
  if [ ! -f "$stamp" ] || [ "$(sha256sum "$pom" | cut -d' ' -f1)" != "$(cat "$stamp")" ]; then
    log "maven: fetching the Kafka broker's jars into $jars"
    rm -rf "$jars"
    mkdir -p "$jars"
    mvn -q -B -f "$pom" dependency:copy-dependencies >&2
    sha256sum "$pom" | cut -d' ' -f1 > "$stamp"
  fi
}
setup_kafka

# ---- the workflow linters (tests/test/workflows.test.ts): actionlint, built from source with
# `go install` through the Go module proxy into .cache/bin (no release binary is downloaded),
# and shellcheck from Debian (actionlint runs it on every `run:` script). Like the Delta jars
# above: a second run only checks `actionlint -version`. Without Go (>= the version actionlint's
# go.mod asks for) or root for apt-get this part warns, and the workflow test fails.
ACTIONLINT_VERSION=1.7.12 # its go.mod needs go >= 1.25
APT_UPDATED=0
# apt_install PACKAGE [WHO-NEEDS-IT]: as root, else through sudo when it needs no password
apt_install() {
  local as=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as=(sudo -n)
    else
      log "WARNING: $1 is missing and this is neither root nor a password-less sudo: install it (apt-get install $1), ${2:-the workflow test} needs it"
      return 1
    fi
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    ${as[@]+"${as[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "apt-get install $1"
  ${as[@]+"${as[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2
}
setup_lint_tools() {
  local bin="$ROOT/.cache/bin"
  if ! command -v shellcheck >/dev/null 2>&1; then
    apt_install shellcheck || true
  fi
  if [ -x "$bin/actionlint" ] && [ "$("$bin/actionlint" -version 2>/dev/null | head -n1)" = "v$ACTIONLINT_VERSION" ]; then
    return 0
  fi
  local go
  go="$(command -v go || true)"
  if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
  if [ -z "$go" ]; then
    apt_install golang-go || return 0
    go="$(command -v go || true)"
    [ -n "$go" ] || { log "WARNING: no go command after installing golang-go; actionlint not built"; return 0; }
  fi
  log "actionlint v$ACTIONLINT_VERSION: go install with $("$go" version | cut -d' ' -f3) into .cache/bin"
  mkdir -p "$bin"
  if ! GOBIN="$bin" GOFLAGS=-mod=mod "$go" install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2; then
    log "WARNING: could not build actionlint v$ACTIONLINT_VERSION (it needs go >= 1.25; this is $("$go" version | cut -d' ' -f3)); the workflow test will fail"
  fi
}
# ---- Debian's chromium for the static dashboard page's browser test
# (tests/test/dashboard-page-chromium.test.ts): playwright-core drives /usr/bin/chromium and
# never downloads a browser of its own. A second run only checks that the file is there.
setup_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium "the dashboard page's browser test" || true
  fi
}

# The linters and the browser serve the tests only: scripts/test.sh asks for them
# (STREAMPULSE_TEST_TOOLS=1); the demo does not wait for them.
if [ "${STREAMPULSE_TEST_TOOLS:-0}" = 1 ]; then
  setup_lint_tools
  setup_browser
fi
