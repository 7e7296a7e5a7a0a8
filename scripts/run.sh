#!/bin/sh
# `make run`: initialise an embedded SQLite database on first use, then serve.
set -eu
cd "$(dirname "$0")/.."
DATA=${SIRT_DATA_DIR:-data}
DB=${SIRT_DB:-sqlite:$DATA/sirt.db}
EMAIL=${SIRT_ADMIN_EMAIL:-admin@example.com}
mkdir -p "$DATA"
if out=$(build/sirt init --db "$DB" --admin-email "$EMAIL" 2>&1); then
	echo "$out"
else
	case "$out" in
	*"already initialised"*) echo "sirt: using the existing database $DB" ;;
	*) echo "$out" >&2; exit 1 ;;
	esac
fi
echo "API token:  build/sirt token create --db $DB --email $EMAIL"
exec build/sirt serve --db "$DB" --listen "${SIRT_LISTEN:-127.0.0.1:8080}"
