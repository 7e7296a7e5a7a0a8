#!/bin/sh
# Browser tests: installs playwright-core from npm (no browser download: it
# drives Debian's /usr/bin/chromium), then runs every *.test.mjs with node's
# test runner. Prints "browser: N passed, N failed". Screenshots of each main
# page are kept in tests/browser/artifacts/.
set -u
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent >/dev/null 2>&1 ||
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent >/dev/null 2>&1 || {
		echo "browser: npm install failed"; echo "browser: 0 passed, 1 failed"; exit 1; }
fi
rm -rf artifacts
out=$(node --test --test-reporter=tap --test-concurrency=1 ./*.test.mjs 2>&1)
rc=$?
echo "$out" | grep -E "^not ok|^# (pass|fail)|Error|expected|received" | head -60
pass=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)/\1/p' | tail -1)
fail=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)/\1/p' | tail -1)
[ $rc -ne 0 ] && [ "${fail:-0}" = 0 ] && fail=1
echo "browser: ${pass:-0} passed, ${fail:-0} failed"
[ "${fail:-0}" = 0 ]
