#!/usr/bin/env bash
# run.sh: the end-to-end browser tests of the web app (node --test, Debian's
# Chromium through playwright-core). Run from anywhere; CHORUSD picks the
# server binary (default build/dev/chorusd), CHROMIUM the browser.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

export CHORUSD="${CHORUSD:-$root/build/dev/chorusd}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHORUSD" ]]; then
  echo "e2e: no chorusd at $CHORUSD (build it, or set CHORUSD)" >&2
  exit 1
fi
if [[ ! -x "$CHROMIUM" ]]; then
  echo "e2e: no browser at $CHROMIUM (apt-get install -y chromium)" >&2
  exit 1
fi
if ! command -v node >/dev/null; then
  echo "e2e: node is missing (apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [[ ! -d tests/e2e/node_modules/playwright-core || tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]]; then
  npm ci --prefix tests/e2e --no-audit --no-fund
fi

# One file at a time: each starts its own chorusd and browser.
exec node --test --test-concurrency=1 tests/e2e/*.test.mjs
