#!/bin/sh
# bench/run.sh — `make bench`: load tests of the incidents slice.
#
# For each backend (SQLite, then a throw-away PostgreSQL cluster on
# 127.0.0.1): a fresh database (`sirt init`), an API token (`sirt token
# create`), 1,000,000 seeded incidents, `sirt serve` on 127.0.0.1 with the
# access log off, then three wrk scenarios of BENCH_DURATION seconds each
# (create, read one, list a filtered page of 50) after a short warm-up, with
# the server's RSS read from /proc. Prints a table of figures and targets.
#
# Seeding BYPASSES THE API: one INSERT ... SELECT over a recursive CTE
# (SQLite) or generate_series (PostgreSQL) into the real schema, then
# ANALYZE. Seeded rows have no audit entries; the rows the create scenario
# makes go through the API like any other.
#
# Environment (all optional):
#   BENCH_BACKENDS     "sqlite postgres" (default) or one of them
#   BENCH_DURATION     seconds per measured scenario (default 15)
#   BENCH_WARMUP       seconds of unmeasured warm-up per scenario (default 3)
#   BENCH_ROWS         incidents to seed (default 1000000)
#   BENCH_CONNS        concurrent clients (default 64)
#   BENCH_WRK_THREADS  wrk threads (default 2)
#   BENCH_SCENARIOS    "create read list deep" (default) or a subset; "search"
#                      (full-text search, bench/search.lua) and "search4"
#                      (the same with 4 clients) also seed timeline entries
#                      and indicators
#   BENCH_TIMELINE     timeline entries per incident (default 10 with the
#                      search scenario, else 0)
#   BENCH_OUT          directory for the results (default build/bench)
#   SIRT_THREADS       passed to `sirt serve` (its own default otherwise)
#   BENCH_SIRT         another sirt binary to measure (e.g. an older build)
#   SIRT_PG_BIN        PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH_DIR=$ROOT/bench
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
DUR=${BENCH_DURATION:-15}
WARM=${BENCH_WARMUP:-3}
ROWS=${BENCH_ROWS:-1000000}
CONNS=${BENCH_CONNS:-64}
WT=${BENCH_WRK_THREADS:-2}
SCENARIOS=${BENCH_SCENARIOS:-create read list deep}
case " $SCENARIOS " in
*" search "* | *" search4 "*) TIMELINE=${BENCH_TIMELINE:-10} ;;
*) TIMELINE=${BENCH_TIMELINE:-0} ;;
esac
OUT=${BENCH_OUT:-$ROOT/build/bench}
PG_BIN=${SIRT_PG_BIN:-/usr/lib/postgresql/15/bin}
SIRT=${BENCH_SIRT:-$ROOT/build/sirt}
EMAIL=bench@example.com

for tool in wrk sqlite3 awk; do
	command -v $tool >/dev/null || {
		echo "bench: '$tool' is missing (apt-get install wrk sqlite3)" >&2
		exit 1
	}
done

if [ -z "${BENCH_SIRT:-}" ]; then
	echo "bench: building sirt" >&2
	make -s -j2 build/sirt >&2
fi

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/sirt-bench-XXXXXX)
chmod 755 "$WORK"
SERVER_PID=
PG_DATA=
RESULTS=$OUT/results.txt
: >"$RESULTS"

cleanup() {
	stop_server
	if [ -n "${BENCH_KEEP:-}" ]; then # keep the last database to look into it
		echo "bench: kept $WORK (database: ${URL:-})" >&2
		[ -z "$PG_DATA" ] || echo "bench: PostgreSQL still runs; stop it with:" \
			"${PG_BIN}/pg_ctl -D $PG_DATA -m fast stop (as postgres when root)" >&2
		return
	fi
	stop_pg
	rm -rf "$WORK"
}

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
		# SIRT_SQL_PROFILE=1: the server printed its per-statement times on exit
		[ -z "${SIRT_SQL_PROFILE:-}" ] || grep -A40 '^sql profile' "$WORK/serve.err" >&2 || true
	fi
}

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_pg() {
	if [ -n "$PG_DATA" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
		PG_DATA=
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Peak RSS since the last reset (VmHWM), and a reset (clear_refs 5 resets
# the high-water mark to the current RSS).
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
hwm_reset() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }

record() { # backend key value
	echo "$1 $2 $3" >>"$RESULTS"
}

start_pg() {
	command -v "$PG_BIN/initdb" >/dev/null 2>&1 || {
		echo "bench: PostgreSQL not found in $PG_BIN (apt-get install postgresql)" >&2
		return 1
	}
	mkdir -p "$WORK/pg"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$WORK/pg"
	PG_PORT=$(free_port)
	as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 \
		--locale=C.UTF-8 >/dev/null
	PG_DATA=$WORK/pg/data
	# Durable commits: fsync and synchronous_commit stay on (the defaults).
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -l "$WORK/pg/log" -o \
		"-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$WORK/pg -c max_connections=200 -c fsync=on -c synchronous_commit=on" \
		start >/dev/null
	PG_URL=postgresql://postgres@127.0.0.1:$PG_PORT
	psql -X -q -v ON_ERROR_STOP=1 "$PG_URL/postgres" -c "CREATE DATABASE sirt_bench"
	PG_URL=$PG_URL/sirt_bench
}

sql() { # backend sql...
	if [ "$1" = sqlite ]; then
		sqlite3 -batch -bail "$SQLITE_PATH" "$2"
	else
		psql -X -q -At -v ON_ERROR_STOP=1 "$PG_URL" -c "$2"
	fi
}

# Status and severity come from two multiplicative hashes of n so they do not
# follow creation order; see bench/list.lua for the distribution.
STATUS_CASE="CASE WHEN (n * 2654435761) % 100 < 55 THEN 'closed'
 WHEN (n * 2654435761) % 100 < 70 THEN 'resolved'
 WHEN (n * 2654435761) % 100 < 75 THEN 'rejected'
 WHEN (n * 2654435761) % 100 < 80 THEN 'recovery'
 WHEN (n * 2654435761) % 100 < 85 THEN 'eradication'
 WHEN (n * 2654435761) % 100 < 90 THEN 'containment'
 WHEN (n * 2654435761) % 100 < 95 THEN 'triage' ELSE 'new' END"
SEV_CASE="CASE WHEN ((n / 100) * 40503 + 17) % 100 < 5 THEN 'critical'
 WHEN ((n / 100) * 40503 + 17) % 100 < 20 THEN 'high'
 WHEN ((n / 100) * 40503 + 17) % 100 < 60 THEN 'medium' ELSE 'low' END"

seed() { # backend
	org=$(sql "$1" "SELECT id FROM orgs ORDER BY id LIMIT 1")
	prefix=$(sql "$1" "SELECT key_prefix FROM orgs WHERE id = $org")
	year=$(date -u +%Y)
	NOW=$(date -u +%s)
	# Row n: id n, uid 00000000-0000-4000-8000-<n, 12 digits>, created
	# (ROWS - n) * 30 s before now, key <prefix>-<year>-<n>.
	cols="id, uid, org_id, key, title, description, severity, status, detected_at,"
	cols="$cols created_at, updated_at, version, created_by"
	if [ "$1" = sqlite ]; then
		sqlite3 -batch -bail "$SQLITE_PATH" >/dev/null <<EOF
PRAGMA synchronous=OFF;
PRAGMA cache_size=-262144;
BEGIN;
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $ROWS)
INSERT INTO incidents($cols)
SELECT n, printf('00000000-0000-4000-8000-%012d', n), $org,
 printf('%s-%d-%04d', '$prefix', $year, n), 'Seeded incident ' || n,
 'Seeded by bench/run.sh (bypasses the API).', $SEV_CASE, $STATUS_CASE,
 $NOW - ($ROWS - n) * 30 - 600, $NOW - ($ROWS - n) * 30, $NOW - ($ROWS - n) * 30, 1, '$EMAIL'
FROM s;
INSERT INTO incident_counters(org_id, year, next_seq) VALUES ($org, $year, $ROWS + 1)
 ON CONFLICT (org_id, year) DO UPDATE SET next_seq = excluded.next_seq;
COMMIT;
ANALYZE;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
	else
		psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" <<EOF
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
BEGIN;
INSERT INTO incidents($cols)
SELECT n, '00000000-0000-4000-8000-' || lpad(n::text, 12, '0'), $org,
 '$prefix-$year-' || CASE WHEN n < 10000 THEN lpad(n::text, 4, '0') ELSE n::text END,
 'Seeded incident ' || n, 'Seeded by bench/run.sh (bypasses the API).', $SEV_CASE, $STATUS_CASE,
 $NOW - ($ROWS - n) * 30 - 600, $NOW - ($ROWS - n) * 30, $NOW - ($ROWS - n) * 30, 1, '$EMAIL'
FROM generate_series(1::bigint, $ROWS::bigint) AS s(n);
SELECT setval(pg_get_serial_sequence('incidents', 'id'), $ROWS);
INSERT INTO incident_counters(org_id, year, next_seq) VALUES ($org, $year, $ROWS + 1)
 ON CONFLICT (org_id, year) DO UPDATE SET next_seq = excluded.next_seq;
COMMIT;
VACUUM ANALYZE;
CHECKPOINT;
EOF
	fi
}

# Timeline text for the search scenario: each word drawn from a vocabulary
# of 200,000 by a log-uniform rank (rank r with probability about
# 1 / (r ln 200000)), like words in real text: 64 real words first
# ("user", "host", ... "recovered"), then w65 .. w200000. Each draw is
# random() on its own ("+ 0 * n" makes the lookup depend on the row, or the
# engine would draw once for all rows): the same distribution every run,
# and words independent of each other, as a hash of the row number was not.
VOCAB_TOP="user host alert mailbox login account phishing server malware reported blocked firewall
 password endpoint email suspicious attachment invoice domain network traffic isolated laptop
 credentials reset vpn admin ransomware backup restored scan quarantined outbound inbound
 connection process powershell script download link clicked sender spoofed customer data
 exfiltration lateral movement privilege escalation vulnerability patch exploit web shell upload
 token session mfa push fatigue contained eradicated recovered"

words_sql() { # backend row-column count -> SQL for "count random words joined by spaces"
	e=
	k=0
	while [ "$k" -lt "$3" ]; do
		r="CAST(exp((abs(random()) % 1000000000) / 1e9 * 12.206) AS INTEGER) + 0 * $2"
		e="${e:+$e || ' ' || }(SELECT w FROM vocab WHERE r = $r)"
		k=$((k + 1))
	done
	# PostgreSQL would call random() once per vocab row it compares: the
	# ranks are drawn first, in a subquery that depends on the row
	[ "$1" = postgres ] && e="(SELECT string_agg(v.w, ' ') FROM (SELECT floor(exp(random() * 12.206))::int
 + 0 * $2 AS r FROM generate_series(1, $3)) x JOIN vocab v USING (r))"
	echo "$e"
}

seed_text() { # backend: TIMELINE entries and one indicator per incident, indexed
	n_tl=$((ROWS * TIMELINE))
	top=$(echo $VOCAB_TOP | awk '{for (i = 1; i <= NF; i++) printf "%s(%d, '"'"'%s'"'"')", (i > 1 ? "," : ""), i, $i}')
	tl_text=$(words_sql "$1" n 8)
	inc="((n - 1) / $TIMELINE + 1)"
	tl_cols="id, org_id, incident_id, kind, text, author, recorded_at"
	tl_vals="n, $org, $inc, 'note', $tl_text, '$EMAIL', $NOW - ($ROWS - $inc) * 30 + ((n - 1) % $TIMELINE) * 2"
	ix_cols="id, org_id, incident_id, type, value, description, first_seen, last_seen, created_at, updated_at"
	t="$NOW - ($ROWS - n) * 30"
	ix_vals="n, $org, n, 'domain', 'h' || ((n * 7919) % 300007) || '.example.net', 'seen in proxy logs', $t, $t, $t, $t"
	echo "bench: $1: seeding $n_tl timeline entries and $ROWS indicators, with their search index" >&2
	if [ "$1" = sqlite ]; then
		# no journal while seeding: one transaction of this size in the WAL
		# reads its own spilled pages back through the WAL index, slowly
		sqlite3 -batch -bail "$SQLITE_PATH" >/dev/null <<EOF
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA temp_store=MEMORY;
PRAGMA cache_size=-1048576;
CREATE TEMP TABLE vocab(r INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO vocab(r, w) VALUES $top;
WITH RECURSIVE s(n) AS (SELECT 65 UNION ALL SELECT n + 1 FROM s WHERE n < 200000)
INSERT INTO vocab(r, w) SELECT n, 'w' || n FROM s;
BEGIN;
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $n_tl)
INSERT INTO incident_timeline($tl_cols, search_key)
SELECT $tl_vals, ($inc << 24) + (n - 1) % $TIMELINE FROM s;
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $ROWS)
INSERT INTO incident_indicators($ix_cols, search_key) SELECT $ix_vals, n << 24 FROM s;
INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild');
INSERT INTO timeline_fts(rowid, text) SELECT search_key, text FROM incident_timeline;
INSERT INTO indicators_fts(rowid, value, description)
 SELECT search_key, value, description FROM incident_indicators;
COMMIT;
ANALYZE;
PRAGMA journal_mode=WAL;
EOF
	else
		psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" >/dev/null <<EOF
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';
CREATE TEMP TABLE vocab(r int PRIMARY KEY, w text NOT NULL);
INSERT INTO vocab(r, w) VALUES $top;
INSERT INTO vocab(r, w) SELECT n, 'w' || n FROM generate_series(65, 200000) AS s(n);
ANALYZE vocab;
BEGIN;
DROP INDEX incident_timeline_search;
DROP INDEX incident_indicators_search;
INSERT INTO incident_timeline($tl_cols)
SELECT $tl_vals FROM generate_series(1::bigint, $n_tl::bigint) AS s(n);
SELECT setval(pg_get_serial_sequence('incident_timeline', 'id'), $n_tl);
INSERT INTO incident_indicators($ix_cols)
SELECT $ix_vals FROM generate_series(1::bigint, $ROWS::bigint) AS s(n);
SELECT setval(pg_get_serial_sequence('incident_indicators', 'id'), $ROWS);
CREATE INDEX incident_timeline_search ON incident_timeline USING GIN (search);
CREATE INDEX incident_indicators_search ON incident_indicators USING GIN (search);
COMMIT;
VACUUM ANALYZE;
CHECKPOINT;
EOF
	fi
}

start_server() { # db-url
	: >"$WORK/serve.out"
	set -- serve --db "$1" --listen 127.0.0.1:0 --access-log off
	[ -n "${SIRT_THREADS:-}" ] && set -- "$@" --threads "$SIRT_THREADS"
	"$SIRT" "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
	SERVER_PID=$!
	i=0
	while ! grep -q '^listening port=' "$WORK/serve.out"; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "bench: sirt serve did not start:" >&2
			cat "$WORK/serve.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	PORT=$(sed -n 's/^listening port=//p' "$WORK/serve.out")
}

HZ=$(getconf CLK_TCK)
cpu_busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
proc_ticks() { awk "{print \$14 + \$15}" "/proc/$1/stat" 2>/dev/null || echo 0; }

pg_ticks() { # the PostgreSQL server's processes (postmaster and its children)
	[ -n "$PG_DATA" ] || { echo 0; return; }
	pm=$(head -1 "$PG_DATA/postmaster.pid")
	t=0
	for p in $pm $(pgrep -P "$pm"); do
		t=$((t + $(proc_ticks "$p")))
	done
	echo $t
}

# search4: the search test with 4 clients (a few people searching back to
# back) instead of BENCH_CONNS
conns() { if [ "$1" = search4 ]; then echo 4; else echo "$CONNS"; fi; }

run_wrk() { # scenario seconds -> RESULT line on stdout; wrk's CPU ticks in wrk.ticks
	script=$1 list=first
	[ "$1" = deep ] && script=list list=deep
	[ "$1" = search4 ] && script=search
	BENCH_DIR=$BENCH_DIR BENCH_TOKEN=$TOKEN BENCH_ROWS=$ROWS BENCH_NOW=$NOW BENCH_LIST=$list \
		wrk -t"$WT" -c"$(conns "$1")" -d"$2"s --timeout 10s -s "$BENCH_DIR/$script.lua" \
		"http://127.0.0.1:$PORT" >"$WORK/wrk.out" 2>&1 &
	wpid=$!
	wt=0
	while kill -0 $wpid 2>/dev/null; do # wrk's ticks, read just before it ends
		t=$(proc_ticks $wpid 2>/dev/null) && wt=$t
		sleep 0.2
	done
	wait $wpid || {
		cat "$WORK/wrk.out" >&2
		exit 1
	}
	echo "$wt" >"$WORK/wrk.ticks"
	grep '^RESULT ' "$WORK/wrk.out" | sed 's/^RESULT //'
}

scenario() { # backend name
	if [ "$WARM" -gt 0 ]; then
		run_wrk "$2" "$WARM" >/dev/null
	fi
	before=$(sql "$1" "SELECT count(*) FROM incidents")
	hwm_reset "$SERVER_PID"
	echo "bench: $1 $2: $(conns "$2") clients, ${DUR}s" >&2
	# CPU time (ticks) of the whole machine, the server and wrk: what is
	# left was used by something else, which skews every figure.
	m0=$(cpu_busy) s0=$(proc_ticks "$SERVER_PID") p0=$(pg_ticks)
	res=$(run_wrk "$2" "$DUR")
	m1=$(cpu_busy) s1=$(proc_ticks "$SERVER_PID") p1=$(pg_ticks)
	peak=$(rss_kb "$SERVER_PID" VmHWM)
	w=$(cat "$WORK/wrk.ticks")
	record "$1" "$2.server_cpu_pct" $(((s1 - s0) * 100 / (DUR * HZ)))
	record "$1" "$2.wrk_cpu_pct" $((w * 100 / (DUR * HZ)))
	[ -n "$PG_DATA" ] && record "$1" "$2.pg_cpu_pct" $(((p1 - p0) * 100 / (DUR * HZ)))
	record "$1" "$2.other_cpu_pct" $(((m1 - m0 - (s1 - s0) - w - (p1 - p0)) * 100 / (DUR * HZ)))
	echo "bench:   $res" >&2
	for kv in $res; do
		record "$1" "$2.${kv%%=*}" "${kv#*=}"
	done
	record "$1" "$2.rss_peak_kb" "$peak"
	if [ "$2" = create ]; then
		# Every 201 counted by wrk is a row; in-flight requests at the end
		# may add up to one row per client on top.
		after=$(sql "$1" "SELECT count(*) FROM incidents")
		record "$1" create.rows_added $((after - before))
	fi
}

bench_backend() { # backend
	b=$1
	rm -f "$WORK/sirt.db" "$WORK/sirt.db-wal" "$WORK/sirt.db-shm"
	if [ "$b" = sqlite ]; then
		SQLITE_PATH=$WORK/sirt.db
		URL=sqlite:$SQLITE_PATH
	else
		start_pg
		URL=$PG_URL
	fi
	echo "bench: $b: init, token, seeding $ROWS incidents" >&2
	SIRT_ADMIN_PASSWORD=load-test-Passw0rd-not-secret "$SIRT" init --db "$URL" --org Bench \
		--admin-email "$EMAIL" >/dev/null
	TOKEN=$("$SIRT" token create --db "$URL" --email "$EMAIL" --scope write --name bench)
	t0=$(date +%s)
	seed "$b"
	[ "$TIMELINE" -gt 0 ] && seed_text "$b"
	record "$b" seed_seconds $(($(date +%s) - t0))
	if [ "$b" = sqlite ]; then
		record "$b" db_bytes "$(stat -c %s "$SQLITE_PATH")"
		record "$b" sqlite_version "$(sqlite3 --version | cut -d' ' -f1)"
	else
		record "$b" db_bytes "$(sql "$b" "SELECT pg_database_size(current_database())")"
		record "$b" pg_version "$(sql "$b" "SHOW server_version" | cut -d' ' -f1)"
	fi
	start_server "$URL"
	sleep 2
	record "$b" rss_idle_kb "$(rss_kb "$SERVER_PID" VmRSS)"
	for s in $SCENARIOS; do
		scenario "$b" "$s"
	done
	sleep 2
	record "$b" rss_after_kb "$(rss_kb "$SERVER_PID" VmRSS)"
	record "$b" server_threads "$(awk '$1 == "Threads:" {print $2}' "/proc/$SERVER_PID/status")"
	stop_server
	[ -n "${BENCH_KEEP:-}" ] || stop_pg
}

# For context: how long one durable 4 KiB write takes on this disk now.
dd if=/dev/zero of="$WORK/dsync" bs=4k count=500 oflag=dsync 2>"$WORK/dd.err" >/dev/null &&
	DSYNC_US=$(awk '/copied/ {print int($(NF-3) / 500 * 1e6)}' "$WORK/dd.err")
rm -f "$WORK/dsync"

for b in $BACKENDS; do
	bench_backend "$b"
done

{
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "disk: one 4 KiB write with O_DSYNC took ${DSYNC_US:-?} us on average (500 in a row)"
	echo "load: wrk -t$WT -c$CONNS, ${DUR}s per scenario after ${WARM}s warm-up; $ROWS seeded incidents$([ "$TIMELINE" -gt 0 ] && echo ", $((ROWS * TIMELINE)) timeline entries, $ROWS indicators")"
}
sh "$BENCH_DIR/table.sh" "$RESULTS"
echo "bench: raw figures in $RESULTS" >&2
