#!/bin/sh
# Prints the results table from bench/run.sh's raw "backend key value" file.
# The targets are the issue's, set for SQLite; PostgreSQL rows show them
# for comparison only.
awk '
{ v[$1 "|" $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++nb] = $1 } }
function met(ok) { return ok ? "yes" : "NO" }
function mb(kb) { return sprintf("%.1f MB", kb / 1024) }
END {
	printf "%-9s %-7s %9s %8s %8s %8s %7s %10s  %-30s %s\n", "backend", "test", "req/s",
		"p50 ms", "p99 ms", "max ms", "errors", "peak RSS", "target (SQLite)", "met"
	for (i = 1; i <= nb; i++) {
		b = order[i]
		n = split("create read list deep search search4", sc, " ")
		for (j = 1; j <= n; j++) {
			s = sc[j]
			if (!((b "|" s ".rps") in v))
				continue
			rps = v[b "|" s ".rps"]; p99 = v[b "|" s ".p99_ms"]
			err = v[b "|" s ".non2xx"] + v[b "|" s ".connect_err"] + v[b "|" s ".read_err"] \
				+ v[b "|" s ".write_err"] + v[b "|" s ".timeouts"]
			if (s == "create") { t = ">= 10000/s, p99 < 25 ms"; ok = rps >= 10000 && p99 < 25 }
			if (s == "read")   { t = ">= 30000/s"; ok = rps >= 30000 }
			if (s == "list" || s == "deep") { t = "p99 < 20 ms"; ok = p99 < 20 }
			if (s ~ /^search/) { t = "p99 < 50 ms"; ok = p99 < 50 }
			ok = ok && err == 0
			printf "%-9s %-7s %9d %8.2f %8.2f %8.2f %7d %10s  %-30s %s\n", b, s, rps,
				v[b "|" s ".p50_ms"], p99, v[b "|" s ".max_ms"], err,
				mb(v[b "|" s ".rss_peak_kb"]), t, met(ok)
		}
		pk = 0
		for (j = 1; j <= n; j++) if (v[b "|" sc[j] ".rss_peak_kb"] > pk) pk = v[b "|" sc[j] ".rss_peak_kb"]
		printf "%-9s %-7s %47s %10s  %-30s %s\n", b, "idle", "RSS at rest after start",
			mb(v[b "|rss_idle_kb"]), "< 20 MB", met(v[b "|rss_idle_kb"] < 20480)
		printf "%-9s %-7s %47s %10s  %-30s %s\n", b, "load", "peak RSS under load", mb(pk),
			"< 100 MB", met(pk > 0 && pk < 102400)
		printf "%-9s %-7s %47s %10s\n", b, "after", "RSS at rest after the load",
			mb(v[b "|rss_after_kb"])
		if ((b "|create.rows_added") in v)
			printf "%-9s rows added by the create test: %d (wrk counted %d requests)\n", b,
				v[b "|create.rows_added"], v[b "|create.requests"]
		pg = 0
		for (j = 1; j <= n; j++)
			if ((b "|" sc[j] ".pg_cpu_pct") in v)
				pg = 1
		printf "%-9s CPU, %% of one core (sirt%s / wrk / anything else on the machine):", b,
			pg ? " / PostgreSQL" : ""
		for (j = 1; j <= n; j++)
			if ((b "|" sc[j] ".server_cpu_pct") in v)
				printf " %s %d%s/%d/%d", sc[j], v[b "|" sc[j] ".server_cpu_pct"],
					pg ? "/" v[b "|" sc[j] ".pg_cpu_pct"] : "",
					v[b "|" sc[j] ".wrk_cpu_pct"], v[b "|" sc[j] ".other_cpu_pct"]
		printf "\n"
		printf "%-9s seeding took %d s; database %.0f MB; %s %s; server threads %d\n", b,
			v[b "|seed_seconds"], v[b "|db_bytes"] / 1048576,
			(b "|sqlite_version") in v ? "SQLite" : "PostgreSQL",
			(b "|sqlite_version") in v ? v[b "|sqlite_version"] : v[b "|pg_version"],
			v[b "|server_threads"]
	}
}' "$1"
