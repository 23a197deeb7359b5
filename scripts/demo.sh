#!/usr/bin/env bash
# The main job: installs what is needed, then runs the StreamPulse demo.
# Extra arguments are passed to `streampulse demo`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
exec node cli/dist/src/bin.js demo "$@"
