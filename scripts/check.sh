#!/bin/sh
# `make check`: every test, as CI runs it.
#  1. installs missing test packages (PostgreSQL, pytest, Chromium, ...)
#  2. builds sirt and the unit tests, runs the unit tests
#  3. end-to-end tests against the real binary on SQLite and on a throw-away
#     PostgreSQL cluster on 127.0.0.1 (started by the tests themselves)
#  4. browser tests in headless Chromium (when present)
#  5. the unit and end-to-end tests again under ASan+UBSan (SQLite)
# Ends with one line "check: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
total_pass=0
total_fail=0
failed_stages=""

add() { # stage passed failed
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	if [ "$3" -ne 0 ]; then failed_stages="$failed_stages $1"; fi
}

pytest_counts() { # junit-file -> "passed failed"
	/usr/bin/python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("0 1"); sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
sk = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - sk, f)
PY
}

sh scripts/install-deps.sh --test || { echo "check: dependency installation failed"; exit 1; }

stage_build() { # build-dir SAN
	if ! make -j"$JOBS" SAN="$2" all unit-bins >/tmp/sirt-build.$$ 2>&1; then
		cat /tmp/sirt-build.$$
		echo "check: build failed (SAN=$2)"
		exit 1
	fi
}

run_unit() { # label SAN
	bins=$(make -s SAN="$2" print-unit-bins)
	out=$(sh tests/run-unit.sh $bins 2>&1)
	echo "$out" | tail -5
	line=$(echo "$out" | tail -1)
	p=$(echo "$line" | sed -n 's/unit: \([0-9]*\) passed, \([0-9]*\) failed/\1/p')
	f=$(echo "$line" | sed -n 's/unit: \([0-9]*\) passed, \([0-9]*\) failed/\2/p')
	add "$1" "${p:-0}" "${f:-1}"
}

run_e2e() { # label backends sirt-binary
	junit=$(mktemp)
	(cd tests/e2e && SIRT_BIN="$3" SIRT_TEST_BACKENDS="$2" /usr/bin/python3 -m pytest -q \
		-p no:cacheprovider --junitxml="$junit" ${PYTEST_ARGS:-} .)
	set -- "$1" $(pytest_counts "$junit")
	rm -f "$junit"
	add "$1" "$2" "$3"
}

echo "== build"
stage_build build 0
echo "== unit tests"
run_unit unit 0
echo "== end-to-end tests (SQLite and PostgreSQL)"
run_e2e e2e sqlite,postgres "$PWD/build/sirt"
if [ -f tests/browser/run.sh ]; then
	echo "== browser tests (headless Chromium)"
	out=$(sh tests/browser/run.sh 2>&1)
	echo "$out" | tail -15
	line=$(echo "$out" | grep -E '^browser: [0-9]+ passed, [0-9]+ failed' | tail -1)
	p=$(echo "$line" | sed -n 's/browser: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	add browser "${p:-0}" "${f:-1}"
fi
if [ "${SIRT_SKIP_SAN:-0}" != 1 ]; then
	echo "== ASan+UBSan build"
	stage_build build-san 1
	echo "== unit tests under ASan+UBSan"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 run_unit unit-san 1
	echo "== end-to-end tests under ASan+UBSan (SQLite)"
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_e2e e2e-san sqlite "$PWD/build-san/sirt"
fi
echo
if [ -n "$failed_stages" ]; then
	echo "check: failing stages:$failed_stages"
fi
echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
