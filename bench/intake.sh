#!/bin/sh
# Alert intake throughput: wrk posts Alertmanager-shaped batches (bench/intake.lua)
# at a real `sirt serve` on a fresh durable database.
#   sh bench/intake.sh [sqlite|postgres] [SECONDS]
# Environment: CONNS (64), BATCH (50), THREADS (server threads, 64), POOL, RESOLVED.
# Prints one RESULT line per run: batches, then single-alert requests.
# PostgreSQL is a throw-away cluster (initdb, fsync=on, loopback, free port),
# started the way tests/e2e/sirt_harness.py does.
set -eu
BACKEND=${1:-sqlite}
SECS=${2:-20}
CONNS=${CONNS:-64}
BATCH=${BATCH:-50}
THREADS=${THREADS:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIRT=${SIRT_BIN:-$ROOT/build/sirt}
PG_BIN=${SIRT_PG_BIN:-/usr/lib/postgresql/15/bin}
TMP=$(mktemp -d /tmp/sirt-bench-intake.XXXXXX)
SERVER=""
PGDATA=""
RUNAS=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
	[ -n "$PGDATA" ] && $RUNAS "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if [ "$BACKEND" = postgres ]; then
	PGPORT=$(free_port)
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$TMP"
		RUNAS="runuser -u postgres --"
	fi
	PGDATA=$TMP/pg
	$RUNAS "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	$RUNAS "$PG_BIN/pg_ctl" -D "$PGDATA" -w -l "$TMP/pg.log" -o \
		"-c listen_addresses=127.0.0.1 -c port=$PGPORT -c fsync=on -c unix_socket_directories=$TMP -c max_connections=200" \
		start >/dev/null
	psql -X -q "postgresql://postgres@127.0.0.1:$PGPORT/postgres" -c "CREATE DATABASE bench"
	DB="postgresql://postgres@127.0.0.1:$PGPORT/bench"
else
	DB="sqlite:$TMP/sirt.db"
fi
export SIRT_DB="$DB" SIRT_ACCESS_LOG=off SIRT_THREADS="$THREADS"
SIRT_ADMIN_PASSWORD=correct-horse-battery-staple "$SIRT" init --org Bench \
	--admin-email bench@example.com >/dev/null
SECRET=$("$SIRT" intake source add --name bench --kind alertmanager 2>/dev/null)
PORT=$(free_port)
"$SIRT" serve --listen "127.0.0.1:$PORT" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
for _ in $(seq 1 100); do
	grep -q listening "$TMP/serve.out" 2>/dev/null && break
	sleep 0.1
done
URL="http://127.0.0.1:$PORT/api/v1/intake/alertmanager"
echo "backend=$BACKEND conns=$CONNS server_threads=$THREADS seconds=$SECS $(nproc) cores"
echo "# batches of $BATCH alerts"
SECRET=$SECRET BATCH=$BATCH wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s \
	-s "$ROOT/bench/intake.lua" "$URL" | grep RESULT
echo "# single-alert requests"
SECRET=$SECRET BATCH=1 wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s \
	-s "$ROOT/bench/intake.lua" "$URL" | grep RESULT
echo "# stored: $(
	if [ "$BACKEND" = postgres ]; then
		psql -X -At "$DB" -c "SELECT count(*) || ' alerts, ' || (SELECT count(*) FROM alert_payloads) || ' payloads' FROM alerts"
	else
		sqlite3 "$TMP/sirt.db" "SELECT count(*) || ' alerts, ' || (SELECT count(*) FROM alert_payloads) || ' payloads' FROM alerts"
	fi)"
