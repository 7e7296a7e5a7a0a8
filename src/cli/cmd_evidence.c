/* sirt evidence: build the auditor's evidence pack, verify one, show the signing key. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "export/pack.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char usage[] =
	"Usage: sirt evidence export|verify|key [OPTIONS]\n\n"
	"  export   build the evidence pack for a period:\n"
	"           sirt evidence export --from 2026-01-01 --to 2026-03-31 --out pack.zip\n"
	"  verify   check every hash and the signature of a pack: sirt evidence verify pack.zip\n"
	"           (exit 0 when intact, 1 when anything was altered)\n"
	"  key      print the public key that signs the packs of this installation\n";

static int64_t resolve_org(struct db *db, const char *name, char *out, size_t outlen)
{
	struct db_res *r;
	if (db_query(db, &r,
		     "SELECT id, name FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1 ORDER BY id",
		     1, DBV(DB_TEXT(name))) < 0) {
		fprintf(stderr, "sirt: database error: %s\n", db_errmsg(db));
		exit(1);
	}
	int64_t id = 0;
	int n = 0;
	while (db_next(r)) {
		id = db_int(r, 0);
		snprintf(out, outlen, "%s", db_text(r, 1));
		n++;
	}
	db_res_free(r);
	if (n == 0) {
		fprintf(stderr, "sirt: %s\n",
			name ? "no such organisation" : "no organisation: run sirt init");
		exit(1);
	}
	if (n > 1) {
		fprintf(stderr, "sirt: there are several organisations: name one with --org\n");
		exit(2);
	}
	return id;
}

static void on_signal(int sig)
{
	(void)sig;
	pack_cancel();
}

struct export_audit {
	int64_t org;
	json_t *details;
	const char *actor;
};

static int export_audit_tx(struct db *db, void *arg)
{
	struct export_audit *a = arg;
	struct audit_ctx ac = {.actor = a->actor, .request_id = "", .client_addr = ""};
	return audit_append(db, &ac, a->org, "evidence.export", "evidence_pack", "cli", a->details);
}

static int do_export(int argc, char **argv)
{
	const char *db_url = NULL, *config = NULL, *org = NULL, *from = NULL, *to = NULL,
		   *framework = "all", *out = NULL, *keyp = NULL, *maxr = NULL, *as = NULL;
	const struct opt opts[] = {
		{"from", "DATE", "first day of the period (YYYY-MM-DD, UTC)", &from, NULL},
		{"to", "DATE", "last day of the period, included (YYYY-MM-DD)", &to, NULL},
		{"framework", "NAME", "m365, soc2, iso27001 or all (default)", &framework, NULL},
		{"out", "FILE.zip", "the pack to write", &out, NULL},
		{"org", "NAME", "organisation (default: the only one)", &org, NULL},
		{"evidence-key", "FILE",
		 "signing key (default DATA_DIR/" PACK_KEY_FILE "; env SIRT_EVIDENCE_KEY)", &keyp,
		 NULL},
		{"max-reports", "N", "incident reports at most (default 1000)", &maxr, NULL},
		{"as", "NAME", "who generates it, as stamped on every page (default cli:<login>)",
		 &as, NULL},
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db_url, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt evidence export --from DATE --to DATE --out FILE.zip",
		      "Builds the auditor's evidence pack for the period (see docs/evidence-pack.md).",
		      opts, &rest) < 0)
		return 2;
	if (rest != argc) {
		fprintf(stderr, "sirt: unexpected argument '%s'\n", argv[rest]);
		return 2;
	}
	char why[512];
	int64_t f, t;
	if (pack_parse_period(from, to, &f, &t, why, sizeof(why)) < 0) {
		fprintf(stderr, "sirt: %s\n", why);
		return 2;
	}
	if (!pack_framework_valid(framework)) {
		fprintf(stderr, "sirt: --framework must be m365, soc2, iso27001 or all\n");
		return 2;
	}
	if (!out || !*out) {
		fprintf(stderr, "sirt: --out FILE.zip is required\n");
		return 2;
	}
	struct config cfg;
	cli_config(&cfg, config, db_url);
	struct store *st = cli_store(&cfg);
	int applied;
	if (store_migrate(st, &applied, why, sizeof(why)) < 0) {
		fprintf(stderr, "sirt: %s\n", why);
		return 1;
	}
	struct db *db = store_reader(st);
	if (!db) {
		fprintf(stderr, "sirt: the database is unreachable\n");
		return 1;
	}
	char org_name[256];
	int64_t org_id = resolve_org(db, org, org_name, sizeof(org_name));
	char *key_path = pack_key_path(keyp, cfg.data_dir);
	char *base_url = cfg.base_url && *cfg.base_url ? xstrdup(cfg.base_url)
						       : xasprintf("http://%s", cfg.listen);
	struct pack_opts o = {
		.org_id = org_id,
		.org_name = org_name,
		.from = f,
		.to = t,
		.framework = framework,
		.generated_by = as && *as ? as : cli_actor(),
		.base_url = base_url,
		.key_path = key_path,
		.out_path = out,
		.now = time_now(),
		.max_reports = maxr ? (int)cli_long("max-reports", maxr, 1, 100000) : 0,
	};
	struct pack_result res;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int64_t t0 = time_mono_us();
	int rc = pack_build(db, &o, &res);
	double secs = (double)(time_mono_us() - t0) / 1e6;
	size_t i;
	json_t *w;
	json_array_foreach(res.warnings, i, w) {
		const char *kind = json_string_value(json_object_get(w, "kind"));
		fprintf(stderr, "warning: %s (%s): %s\n",
			kind && !strcmp(kind, "gap") ? "gap" : "older than three months",
			json_string_value(json_object_get(w, "area")),
			json_string_value(json_object_get(w, "message")));
	}
	if (rc < 0) {
		fprintf(stderr, "sirt: evidence export failed: %s\n", res.why);
		pack_result_free(&res);
		free(key_path);
		free(base_url);
		store_close(st);
		config_free(&cfg);
		return 1;
	}
	printf("Wrote %s: %d files, %lld bytes, %lld incidents, %d incident reports%s, "
	       "%zu warnings, in %.1f s.\n",
	       out, res.files, (long long)res.size, (long long)res.incidents, res.reports,
	       res.reports_omitted ? " (more left out: limit)" : "", json_array_size(res.warnings),
	       secs);
	printf("SHA-256 of the pack: %s\nSigned by: %s\n", res.sha256, res.public_key);
	struct export_audit a = {
		.org = org_id,
		.actor = cli_actor(),
		.details = json_pack("{s:s, s:s, s:s, s:s, s:I}", "file", out, "sha256", res.sha256,
				     "framework", framework, "from", from, "incidents",
				     (json_int_t)res.incidents),
	};
	if (store_tx(st, export_audit_tx, &a) < 0)
		fprintf(stderr, "warning: the export could not be recorded in the audit trail\n");
	json_decref(a.details);
	pack_result_free(&res);
	free(key_path);
	free(base_url);
	store_close(st);
	config_free(&cfg);
	return 0;
}

static int do_verify(int argc, char **argv)
{
	const char *pk = NULL;
	bool quiet = false;
	const struct opt opts[] = {
		{"public-key", "HEX|FILE", "the key the pack must be signed with", &pk, NULL},
		{"quiet", NULL, "print nothing; the exit code tells", NULL, &quiet},
		{NULL},
	};
	/* the pack may come before the options: take it out first */
	const char *file = NULL;
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	int nargs = 0;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && !file && argv[i][0] != '-' &&
		    !(i > 1 && !strcmp(argv[i - 1], "--public-key"))) {
			file = argv[i];
			continue;
		}
		args[nargs++] = argv[i];
	}
	int rest;
	int prc = cli_parse(nargs, args, "sirt evidence verify FILE.zip [--public-key HEX|FILE]",
		      "Checks every file's SHA-256 against manifest.json and the manifest's "
		      "Ed25519 signature; exit 0 when intact, 1 when anything was altered, 2 on "
		      "bad usage.",
		      opts, &rest);
	bool extra = rest != nargs;
	free(args);
	if (prc < 0)
		return 2;
	if (!file || extra) {
		fprintf(stderr, "sirt: name one pack: sirt evidence verify FILE.zip\n");
		return 2;
	}
	char err[512];
	unsigned char key[32];
	if (pk && pack_public_key_parse(pk, key, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		return 2;
	}
	struct pack_verify_report r;
	if (pack_verify_zip(file, pk ? key : NULL, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		pack_verify_report_free(&r);
		return 1;
	}
	if (!quiet) {
		size_t i;
		json_t *p;
		json_array_foreach(r.problems, i, p) {
			const char *what = json_string_value(json_object_get(p, "problem"));
			const char *label = !strcmp(what, "changed")	       ? "CHANGED"
					    : !strcmp(what, "missing")	       ? "MISSING"
					    : !strcmp(what, "added")	       ? "ADDED"
					    : !strcmp(what, "signature_invalid") ? "SIGNATURE INVALID"
					    : !strcmp(what, "wrong_signer")    ? "WRONG SIGNER"
									       : "DAMAGED";
			printf("%s: %s — %s\n", label, json_string_value(json_object_get(p, "path")),
			       json_string_value(json_object_get(p, "detail")));
		}
		if (r.ok)
			printf("OK: %d files match the manifest; the signature is valid (key %s%s).\n",
			       r.files_checked, r.signer,
			       r.key_trusted ? ", as expected" : ", taken from the pack itself");
		else
			printf("ALTERED: %zu problem(s) found in %s.\n", json_array_size(r.problems),
			       file);
	}
	int code = r.ok ? 0 : 1;
	pack_verify_report_free(&r);
	return code;
}

static int do_key(int argc, char **argv)
{
	const char *config = NULL, *keyp = NULL;
	const struct opt opts[] = {
		{"evidence-key", "FILE", "signing key file; env SIRT_EVIDENCE_KEY", &keyp, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt evidence key",
		      "Prints the Ed25519 public key (hex) that signs evidence packs, creating the "
		      "key on first use.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	struct config cfg;
	cli_config(&cfg, config, NULL);
	char *path = pack_key_path(keyp, cfg.data_dir);
	char err[512];
	struct pack_key k;
	int rc = pack_key_load(path, true, &k, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		free(path);
		config_free(&cfg);
		return 1;
	}
	char hex[65];
	pack_hex(k.pk, 32, hex);
	memset(&k, 0, sizeof(k));
	printf("%s\n", hex);
	free(path);
	config_free(&cfg);
	return 0;
}

int cmd_evidence(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "export"))
		return do_export(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return do_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "key"))
		return do_key(argc - 1, argv + 1);
	fprintf(stderr, "sirt: unknown evidence command '%s'\n\n%s", argv[1], usage);
	return 2;
}
