#!/bin/sh
# Generates the sirt(1) man page from the --help texts of the binary, so the
# two can never disagree. Usage: gen-man.sh path/to/sirt > sirt.1
set -eu
SIRT=$1
VERSION=$("$SIRT" version | head -1 | cut -d' ' -f2)
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/" -e 's/-/\\-/g'; }
cat <<HDR
.TH SIRT 1 "" "sirt $VERSION" "User Commands"
.SH NAME
sirt \- security incident response tracker
.SH SYNOPSIS
.B sirt
.I COMMAND
[\fIOPTIONS\fR]
.SH DESCRIPTION
sirt runs a security incident response programme: the incident log, the response
plan and team, notifications and regulatory clocks, post-incident reviews and the
auditor's evidence pack. It serves a web UI and a JSON API and keeps its data in
an embedded SQLite database or in PostgreSQL.
.PP
Configuration is read from, highest precedence first: command-line flags,
environment variables (\fBSIRT_*\fR), the configuration file (\fB\-\-config\fR or
\fBSIRT_CONFIG\fR), built-in defaults.
.SH COMMANDS
HDR
"$SIRT" --help | sed -n 's/^  \([a-z][a-z-]*\)  *\(.*\)$/\1\t\2/p' | while IFS="$(printf '\t')" read -r cmd help; do
	echo ".SS \"$cmd\""
	echo "$help" | esc
	echo ".PP"
	echo ".nf"
	"$SIRT" "$cmd" --help | esc
	echo ".fi"
	# subcommands named in the usage line ("sirt plan show|versions ...") or
	# listed under "Subcommands:":
	# include each one's own --help. SIRT_DB points nowhere, so a verb that
	# did not understand --help could not touch a database.
	verbs=$( { "$SIRT" "$cmd" --help | sed -n "1s/^Usage: sirt $cmd \([a-z|-]*\).*/\1/p" | tr '|' '\n'
		   "$SIRT" "$cmd" --help | sed -n '/^Subcommands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p'; } | sort -u)
	for v in $verbs; do
		out=$(SIRT_DB=sqlite:/nonexistent/sirt-man/x.db "$SIRT" "$cmd" "$v" --help 2>/dev/null) || continue
		case "$out" in Usage:*) ;; *) continue ;; esac
		echo ".PP"
		echo ".nf"
		printf '%s\n' "$out" | esc
		echo ".fi"
	done
done
cat <<'FTR'
.SH ENVIRONMENT
.TP
.B SIRT_DB
database URL: sqlite:PATH, a plain path, or postgres://USER@HOST:PORT/DB
.TP
.B SIRT_LISTEN
address to listen on, HOST:PORT
.TP
.B SIRT_CONFIG
configuration file
.TP
.B SIRT_ADMIN_PASSWORD
the first admin's password for \fBsirt init\fR
.SH FILES
.TP
.I /etc/sirt/sirt.conf
configuration (see sirt.conf.example)
.TP
.I /var/lib/sirt
data directory of the packaged service
.SH SEE ALSO
The README and docs/ of the source distribution.
FTR
