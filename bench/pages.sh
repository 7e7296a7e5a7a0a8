#!/bin/sh
# Page rendering with 100,000 incidents: seeds a fresh SQLite database with
# SQL (100k incidents over ~3 years, the last 300 open, full-text index
# rebuilt), signs in with curl (session cookie), then for each page prints
# its size and wrk's latency percentiles.
#   sh bench/pages.sh [SECONDS] [N]
# Environment: CONNS (4), THREADS (server threads, 8).
set -eu
SECS=${1:-10}
N=${2:-100000}
CONNS=${CONNS:-1}
THREADS=${THREADS:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIRT=${SIRT_BIN:-$ROOT/build/sirt}
TMP=$(mktemp -d /tmp/sirt-bench-pages.XXXXXX)
SERVER=""
PW=correct-horse-battery-staple

cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

DB="$TMP/sirt.db"
export SIRT_DB="sqlite:$DB" SIRT_ACCESS_LOG=off SIRT_THREADS="$THREADS"
SIRT_ADMIN_PASSWORD=$PW "$SIRT" init --org Bench --admin-email bench@example.com >/dev/null
ORG=$(sqlite3 "$DB" "SELECT id FROM orgs WHERE name = 'Bench'")
NOW=$(date +%s)

# One incident every 15 minutes up to now; 1 in 8 with personal data; the
# newest 300 open, the rest closed with their lifecycle times.
START=$(date +%s.%N)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO incidents (uid, org_id, key, title, description, severity, status, detected_at,
	created_at, updated_at, created_by, category, personal_data, acknowledged_at, contained_at,
	resolved_at, closed_at, resolution, root_cause_category, resolution_summary)
SELECT printf('00000000-0000-4000-8000-%012d', i), $ORG, printf('BENCH-%06d', i),
	CASE i % 5 WHEN 0 THEN 'Credential phishing against finance'
		WHEN 1 THEN 'Malware beaconing from a workstation'
		WHEN 2 THEN 'Brute-force logins on the admin portal'
		WHEN 3 THEN 'Storage bucket exposed publicly'
		ELSE 'Denial of service against the API' END || ' #' || i,
	'Seeded for the page benchmark. Scope: one team, ' || (i % 40) || ' users.',
	CASE WHEN i % 23 = 0 THEN 'critical' WHEN i % 5 = 0 THEN 'high'
		WHEN i % 3 = 0 THEN 'medium' ELSE 'low' END,
	CASE WHEN i > $N - 300 THEN 'triage' ELSE 'closed' END,
	t, t + 60, t + 60, 'bench@example.com',
	CASE i % 5 WHEN 0 THEN 'phishing' WHEN 1 THEN 'malware' WHEN 2 THEN 'unauthorised_access'
		WHEN 3 THEN 'data_breach' ELSE 'denial_of_service' END,
	i % 8 = 0, t + 300 + (i % 7) * 600,
	CASE WHEN i > $N - 300 THEN NULL ELSE t + 3600 * (1 + i % 9) END,
	CASE WHEN i > $N - 300 THEN NULL ELSE t + 3600 * (10 + i % 50) END,
	CASE WHEN i > $N - 300 THEN NULL ELSE t + 3600 * (12 + i % 50) END,
	CASE WHEN i > $N - 300 THEN NULL ELSE 'fixed' END,
	CASE WHEN i > $N - 300 THEN NULL ELSE 'misconfiguration' END,
	CASE WHEN i > $N - 300 THEN '' ELSE 'Contained, cleaned and credentials rotated.' END
FROM (SELECT i, $NOW - ($N - i) * 900 - 7200 AS t FROM n);
INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild');
COMMIT;
ANALYZE;
SQL
echo "seeded $N incidents in $(echo "$(date +%s.%N) - $START" | bc) s"

PORT=$(free_port)
"$SIRT" serve --listen "127.0.0.1:$PORT" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
for _ in $(seq 1 100); do
	grep -q listening "$TMP/serve.out" 2>/dev/null && break
	sleep 0.1
done
BASE="http://127.0.0.1:$PORT"

# sign in like a browser: the login form's CSRF cookie and field, then the session cookie
JAR="$TMP/jar"
CSRF=$(curl -s -c "$JAR" "$BASE/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" \
	--data-urlencode "email=bench@example.com" --data-urlencode "password=$PW" "$BASE/login"
SESSION=$(awk '$6 == "sirt_session" { print $7 }' "$JAR")
[ -n "$SESSION" ] || { echo "sign-in failed" >&2; exit 1; }

MID=$(printf 'BENCH-%06d' $((N / 2)))
echo "pages, $N incidents, wrk -t1 -c$CONNS -d${SECS}s, server threads $THREADS, $(nproc) cores"
printf '%-58s %8s %8s %8s %8s %8s\n' page bytes req/s p50 p90 p99
for path in / /incidents "/incidents?severity=critical&status=closed" \
	"/incidents?q=phishing" "/incidents?personal_data=true&detected_from=2025-01-01&detected_to=2025-06-30" \
	"/incidents?sort=resolved_at&order=asc" "/incidents/$MID" "/incidents/$MID/edit" \
	/incidents/new; do
	bytes=$(curl -s -o /dev/null -w '%{size_download}' -H "Cookie: sirt_session=$SESSION" "$BASE$path")
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: sirt_session=$SESSION" "$BASE$path")
	[ "$code" = 200 ] || { echo "$path: HTTP $code" >&2; exit 1; }
	out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H "Cookie: sirt_session=$SESSION" "$BASE$path")
	rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
	p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
	p90=$(echo "$out" | awk '$1 == "90%" { print $2 }')
	p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
	printf '%-58s %8s %8s %8s %8s %8s\n' "$path" "$bytes" "$rps" "$p50" "$p90" "$p99"
done
