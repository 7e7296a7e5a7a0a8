#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "auth/session.h"
#include "cli/cli.h"
#include "http/metrics.h"
#include "http/server.h"
#include "notify/worker.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

int cmd_serve(int argc, char **argv)
{
	const char *db = NULL, *listen = NULL, *config = NULL, *threads = NULL, *tls_cert = NULL,
		   *tls_key = NULL, *access_log = NULL, *base_url = NULL, *evidence_max = NULL,
		   *blob_store = NULL, *trusted_proxies = NULL, *session_idle = NULL, *session_max = NULL;
	const struct opt opts[] = {
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080); env SIRT_LISTEN", &listen, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{"threads", "N", "worker threads (default 64); env SIRT_THREADS", &threads, NULL},
		{"tls-cert", "FILE", "PEM certificate: serve HTTPS; env SIRT_TLS_CERT", &tls_cert, NULL},
		{"tls-key", "FILE", "PEM private key for --tls-cert; env SIRT_TLS_KEY", &tls_key, NULL},
		{"access-log", "DEST", "stderr, off, or a file path; env SIRT_ACCESS_LOG", &access_log, NULL},
		{"base-url", "URL", "public URL of this instance; env SIRT_BASE_URL", &base_url, NULL},
		{"evidence-max", "SIZE", "largest evidence upload, e.g. 100M (default); env SIRT_EVIDENCE_MAX", &evidence_max, NULL},
		{"blob-store", "fs|db", "evidence files under the data dir (fs) or in PostgreSQL (db); env SIRT_BLOB_STORE", &blob_store, NULL},
		{"trusted-proxies", "ADDRS", "comma-separated proxy addresses whose X-Forwarded-For"
		 " and X-Forwarded-Proto are believed; env SIRT_TRUSTED_PROXIES", &trusted_proxies, NULL},
		{"session-idle", "SECONDS", "web session idle timeout (default 3600);"
		 " env SIRT_SESSION_IDLE", &session_idle, NULL},
		{"session-max", "SECONDS", "web session absolute lifetime (default 43200);"
		 " env SIRT_SESSION_MAX", &session_max, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt serve [OPTIONS]",
		      "Serves the web UI and the JSON API. Applies pending migrations first.\n"
		      "Stops gracefully on SIGTERM or SIGINT: in-flight requests finish.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	struct app app;
	memset(&app, 0, sizeof(app));
	cli_config(&app.cfg, config, db);
	const char *why;
	struct {
		const char *key, *val;
	} flags[] = {{"listen", listen}, {"threads", threads}, {"tls-cert", tls_cert},
		     {"tls-key", tls_key}, {"access-log", access_log}, {"base-url", base_url},
		     {"evidence-max", evidence_max}, {"blob-store", blob_store},
		     {"trusted-proxies", trusted_proxies}, {"session-idle", session_idle},
		     {"session-max", session_max}};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].val && config_set(&app.cfg, flags[i].key, flags[i].val, &why) < 0) {
			fprintf(stderr, "sirt: --%s: %s\n", flags[i].key, why);
			return 2;
		}
	if (!app.cfg.base_url)
		app.cfg.base_url = xasprintf("%s://%s", app.cfg.tls_cert ? "https" : "http",
					     app.cfg.listen);
	/* Block the stop signals in every thread; this one waits for them. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(app.cfg.access_log, "stderr"))
		app.access_log = stderr;
	else if (strcmp(app.cfg.access_log, "off") != 0) {
		app.access_log = fopen(app.cfg.access_log, "a");
		if (!app.access_log) {
			fprintf(stderr, "sirt: cannot open access log %s\n", app.cfg.access_log);
			return 1;
		}
	}
	pthread_mutex_init(&app.log_lock, NULL);
	app.store = cli_store(&app.cfg);
	if (!strcmp(app.cfg.blob_store, "db") && !store_is_postgres(app.store)) {
		fprintf(stderr, "sirt: --blob-store db needs a PostgreSQL database\n");
		return 2;
	}
	char err[512];
	int applied = 0;
	if (store_migrate(app.store, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		return 1;
	}
	session_install();
	int nroutes;
	router_table(&nroutes);
	app.metrics = metrics_new(nroutes);
	app.started_at = time_now();
	struct server *srv;
	if (server_start(&app, &srv, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		return 1;
	}
	struct notify_worker *notifier = NULL;
	if (notify_worker_start(&app, &notifier, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		server_stop(srv);
		return 1;
	}
	fprintf(stderr, "sirt %s listening on %s://%s:%d (database: %s, %d migration%s applied)\n",
		SIRT_VERSION, app.cfg.tls_cert ? "https" : "http",
		strncmp(app.cfg.listen, "[", 1) == 0 ? "[::1]" : "127.0.0.1", server_port(srv),
		store_is_postgres(app.store) ? "postgres" : "sqlite", applied,
		applied == 1 ? "" : "s");
	/* machine-readable line for scripts and tests */
	printf("listening port=%d\n", server_port(srv));
	fflush(stdout);
	int sig = 0;
	sigwait(&sigs, &sig);
	fprintf(stderr, "sirt: %s received, finishing in-flight requests\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(srv);
	notify_worker_stop(notifier);
	store_close(app.store);
	metrics_free(app.metrics);
	if (app.access_log && app.access_log != stderr)
		fclose(app.access_log);
	config_free(&app.cfg);
	fprintf(stderr, "sirt: stopped cleanly\n");
	return 0;
}
