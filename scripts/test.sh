#!/usr/bin/env bash
# Runs every test of the project after installing what they need.
# The last line totals every runner as `N passed, N failed`.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export STREAMPULSE_TEST_TOOLS=1 # setup.sh also installs the linters and chromium
source "$ROOT/scripts/setup.sh" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
set +e

mkdir -p .cache/test-results
PASSED=0; FAILED=0; STATUS=0

# Every runner writes a small "passed failed" summary that we add up at the end.
run_jest() {
  echo "== jest ==" >&2
  node_modules/.bin/jest --ci --json --outputFile=.cache/test-results/jest.json "$@"
  local rc=$?
  if [ -f .cache/test-results/jest.json ]; then
    read -r p f < <(node -e '
      const r = require("./.cache/test-results/jest.json");
      const suiteErrors = r.testResults.filter(t => t.status === "failed" && t.assertionResults.length === 0).length;
      console.log(r.numPassedTests, r.numFailedTests + suiteErrors);')
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
    echo "jest: $p passed, $f failed" >&2
  else
    FAILED=$((FAILED + 1))
  fi
  [ $rc -eq 0 ] || STATUS=1
}

# pytest: the PySpark runtime (jobs/python), its engine parity with the DuckDB runner and
# the engine benchmark; counts come from its JUnit XML.
run_pytest() {
  echo "== pytest (jobs/python) ==" >&2
  local xml="$ROOT/.cache/test-results/pytest.xml"
  rm -f "$xml"
  if [ ! -x .venv/bin/python ]; then
    echo "pytest: .venv is missing (Python 3.11, Java 17 and Maven are prerequisites, see README)" >&2
    FAILED=$((FAILED + 1)); STATUS=1
    return
  fi
  (cd jobs/python && "$ROOT/.venv/bin/python" -m pytest -p no:cacheprovider -s --junitxml="$xml")
  local rc=$?
  if [ -f "$xml" ]; then
    read -r p f < <("$ROOT/.venv/bin/python" -c '
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
suites = [r] if r.tag == "testsuite" else list(r)
n = lambda k: sum(int(s.get(k, 0)) for s in suites)
print(n("tests") - n("failures") - n("errors") - n("skipped"), n("failures") + n("errors"))' "$xml")
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
    echo "pytest: $p passed, $f failed" >&2
    [ "$p" -gt 0 ] || { FAILED=$((FAILED + 1)); STATUS=1; }
  else
    FAILED=$((FAILED + 1))
  fi
  [ $rc -eq 0 ] || STATUS=1
}

# lint + format check (Biome, biome.json): any finding fails the run; counted as one check
run_lint() {
  echo "== lint + format (biome check) ==" >&2
  if node_modules/.bin/biome check --reporter=summary . >&2; then
    PASSED=$((PASSED + 1)); echo "lint: 1 passed, 0 failed" >&2
  else
    FAILED=$((FAILED + 1)); STATUS=1; echo "lint: 0 passed, 1 failed (run \`pnpm format\` and read \`pnpm lint\`)" >&2
  fi
}

run_lint
run_jest "$@"
run_pytest

echo
echo "$PASSED passed, $FAILED failed"
[ $STATUS -eq 0 ] && [ $FAILED -eq 0 ]
