/*
 * sirt audit verify|export|checkpoint|key
 *
 * verify      checks every chain in the database (or one, --org), or an
 *             exported file offline (--file), optionally against a signed
 *             checkpoint (--checkpoint CP --public-key KEY). Exit 0 when
 *             everything verifies, 1 when something does not, 2 on usage.
 * export      writes JSON lines (see audit.h) to --out FILE ("-": stdout).
 * checkpoint  signs the head of each chain (or --org's) with the Ed25519
 *             key file and stores and prints the checkpoints.
 * key         prints the public key (creating the key file if needed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "audit/checkpoint.h"
#include "cli/cli_trust.h"
#include "store/account_store.h"
#include "util/rand.h"
#include "util/xalloc.h"

#define DB_OPTS                                                                          \
	{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL}, \
	{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL}

struct chain_name {
	int64_t id;
	char name[210];
};

/* Organisation ids and names in the database (org 0 first). */
static int load_chains(struct db *db, const char *org, struct chain_name **out, int *n)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, name FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1"
			  " OR slug = $1 OR uid = $1 ORDER BY id",
			  1, DBV(DB_TEXT(org)));
	if (rc < 0)
		return rc;
	struct chain_name *c = xcalloc(1, sizeof(*c));
	int k = 0;
	if (!org) {
		c[k].id = 0;
		snprintf(c[k].name, sizeof(c[k].name), "(installation)");
		k++;
	}
	while (db_next(r)) {
		c = xrealloc(c, (size_t)(k + 1) * sizeof(*c));
		c[k].id = db_int(r, 0);
		snprintf(c[k].name, sizeof(c[k].name), "%s", db_text(r, 1));
		k++;
	}
	db_res_free(r);
	if (org && k == 0) {
		free(c);
		return SIRT_ENOTFOUND;
	}
	*out = c;
	*n = k;
	return 0;
}

static void report(const char *name, int64_t org_id, const struct audit_verify_result *v)
{
	if (v->ok)
		printf("%s (org %lld): OK, %lld entries, head %lld %s\n", name, (long long)org_id,
		       (long long)v->entries, (long long)v->head_seq,
		       v->head_hash[0] ? v->head_hash : "-");
	else
		printf("%s (org %lld): TAMPERED: first bad entry is seq %lld: %s\n", name,
		       (long long)org_id, (long long)v->first_bad, v->problem);
}

static int check_checkpoint(const char *file, const char *cp_path, const char *pk_arg,
			    int64_t *cp_org)
{
	char err[512];
	unsigned char pk[32];
	if (audit_public_key_parse(pk_arg, pk, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		return 2;
	}
	json_error_t je;
	json_t *cpj = json_load_file(cp_path, JSON_REJECT_DUPLICATES, &je);
	struct audit_checkpoint cp;
	if (!cpj || audit_checkpoint_from_json(cpj, &cp) < 0) {
		fprintf(stderr, "sirt: %s is not a sirt audit checkpoint (%s)\n", cp_path,
			cpj ? "missing or malformed members" : je.text);
		json_decref(cpj);
		return 2;
	}
	json_decref(cpj);
	*cp_org = cp.org_id;
	if (!audit_checkpoint_verify(&cp, pk)) {
		printf("checkpoint: INVALID: the signature does not verify with this public key\n");
		return 1;
	}
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "sirt: %s: %s\n", file, strerror(errno));
		return 2;
	}
	char *line = NULL;
	size_t cap = 0;
	int found = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		const char *type = json_string_value(json_object_get(o, "type"));
		if (type && !strcmp(type, "entry") &&
		    json_integer_value(json_object_get(o, "org_id")) == cp.org_id &&
		    json_integer_value(json_object_get(o, "seq")) == cp.seq) {
			const char *h = json_string_value(json_object_get(o, "hash"));
			found = h && !strcmp(h, cp.hash) ? 1 : -1;
		}
		json_decref(o);
		if (found)
			break;
	}
	free(line);
	fclose(f);
	if (found == 0) {
		printf("checkpoint: MISMATCH: the export has no entry %lld in org %lld's chain (it"
		       " was removed or the export is older than the checkpoint)\n",
		       (long long)cp.seq, (long long)cp.org_id);
		return 1;
	}
	if (found < 0) {
		printf("checkpoint: MISMATCH: entry %lld of org %lld differs from the signed head"
		       " (the chain up to it was rewritten)\n",
		       (long long)cp.seq, (long long)cp.org_id);
		return 1;
	}
	printf("checkpoint: OK: signed head %lld of org %lld (%s) is in the export\n",
	       (long long)cp.seq, (long long)cp.org_id, cp.hash);
	return 0;
}

static int verify_file(const char *file, const char *org, const char *cp, const char *pk)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f) {
		fprintf(stderr, "sirt: %s: %s\n", file, strerror(errno));
		return 2;
	}
	struct audit_file_result *res = xcalloc(1, sizeof(*res));
	int rc = audit_verify_file(f, res);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		fprintf(stderr, "sirt: cannot read %s\n", file);
		free(res);
		return 2;
	}
	int status = 0;
	if (res->problem[0]) {
		printf("%s: line %lld: %s\n", file, (long long)res->bad_line, res->problem);
		status = 1;
	}
	char *end;
	long long want = org ? strtoll(org, &end, 10) : -1;
	if (org && *end) {
		fprintf(stderr, "sirt: with --file, --org is the organisation's number (org_id)\n");
		free(res);
		return 2;
	}
	int shown = 0;
	for (int i = 0; i < res->nchains; i++) {
		if (want >= 0 && res->chains[i].org_id != want)
			continue;
		report(res->chains[i].org_id ? "chain" : "installation chain",
		       res->chains[i].org_id, &res->chains[i].res);
		if (!res->chains[i].res.ok)
			status = 1;
		shown++;
	}
	if (shown == 0 && !res->problem[0]) {
		printf("%s: no audit chain found\n", file);
		status = 1;
	}
	free(res);
	if (cp) {
		int64_t cp_org;
		int c = check_checkpoint(file, cp, pk, &cp_org);
		if (c)
			status = status ? status : c;
	}
	return status;
}

static int audit_verify(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *file = NULL, *cp = NULL, *pk = NULL;
	const struct opt opts[] = {
		DB_OPTS,
		{"org", "NAME", "only this organisation's chain (with --file: its number)", &org, NULL},
		{"file", "FILE", "verify an export (sirt audit export) instead of the database", &file, NULL},
		{"checkpoint", "CP", "with --file: a signed checkpoint (JSON) the export must contain", &cp, NULL},
		{"public-key", "KEY", "the checkpoint signer's public key (hex, or a file)", &pk, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt audit verify [OPTIONS]",
		      "Checks the hash chains of the audit trail and names the first entry that\n"
		      "was changed, removed, inserted or reordered. Exit status 0: intact; 1: not.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	if ((cp || pk) && (!cp || !pk || !file)) {
		fprintf(stderr, "sirt: --checkpoint needs --public-key and --file\n");
		return 2;
	}
	if (file)
		return verify_file(file, org, cp, pk);
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	struct db *d = store_reader(st);
	struct chain_name *chains = NULL;
	int n = 0, status = 0;
	int rc = d ? load_chains(d, org, &chains, &n) : SIRT_EUNAVAIL;
	if (rc == SIRT_ENOTFOUND) {
		fprintf(stderr, "sirt: no organisation '%s'\n", org);
		status = 2;
	} else if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", sirt_strerror(rc));
		status = 1;
	}
	for (int i = 0; i < n; i++) {
		struct audit_verify_result v;
		rc = audit_verify_db(d, chains[i].id, &v);
		if (rc < 0) {
			fprintf(stderr, "sirt: %s: %s\n", chains[i].name, sirt_strerror(rc));
			status = 1;
			continue;
		}
		if (chains[i].id == 0 && v.entries == 0 && v.ok)
			continue;
		report(chains[i].name, chains[i].id, &v);
		if (!v.ok)
			status = 1;
	}
	free(chains);
	store_close(st);
	config_free(&cfg);
	return status;
}

static int audit_export_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *outp = NULL;
	const struct opt opts[] = {
		DB_OPTS,
		{"out", "FILE", "where to write (required; - for standard output)", &outp, NULL},
		{"org", "NAME", "only this organisation's chain (default: every chain)", &org, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt audit export --out FILE [OPTIONS]",
		      "Writes the audit trail as JSON lines, in chain order, each chain followed\n"
		      "by its head. 'sirt audit verify --file FILE' checks it offline.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	if (!outp) {
		fprintf(stderr, "sirt: --out FILE is required\n");
		return 2;
	}
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	struct db *d = store_reader(st);
	int64_t org_id = -1;
	int rc = d ? 0 : SIRT_EUNAVAIL;
	if (rc == 0 && org) {
		rc = org_find_any(d, org, &org_id);
		if (rc == SIRT_ENOTFOUND) {
			fprintf(stderr, "sirt: no organisation '%s'\n", org);
			store_close(st);
			return 2;
		}
	}
	FILE *f = NULL;
	if (rc == 0) {
		f = strcmp(outp, "-") ? fopen(outp, "w") : stdout;
		if (!f) {
			fprintf(stderr, "sirt: %s: %s\n", outp, strerror(errno));
			store_close(st);
			return 1;
		}
	}
	int64_t count = 0;
	if (rc == 0)
		rc = audit_export(d, org_id, f, &count);
	if (f && f != stdout && fclose(f) != 0 && rc == 0)
		rc = SIRT_EIO;
	store_close(st);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: export failed: %s\n", sirt_strerror(rc));
		return 1;
	}
	if (f != stdout)
		fprintf(stderr, "Wrote %lld audit entries to %s\n", (long long)count, outp);
	return 0;
}

static char *key_path(const struct config *cfg, const char *opt)
{
	if (opt)
		return xstrdup(opt);
	if (cfg->audit_key)
		return xstrdup(cfg->audit_key);
	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST)
		fprintf(stderr, "sirt: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
	return xasprintf("%s/audit-ed25519.key", cfg->data_dir);
}

struct cp_job {
	struct audit_ctx ac;
	int64_t org_id;
	const struct audit_key *key;
	struct audit_checkpoint cp;
};

static int cp_tx(struct db *db, void *arg)
{
	struct cp_job *j = arg;
	return audit_checkpoint_create(db, &j->ac, j->org_id, j->key, &j->cp);
}

static int audit_checkpoint_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *org = NULL, *outp = NULL, *keyopt = NULL;
	const struct opt opts[] = {
		DB_OPTS,
		{"org", "NAME", "only this organisation's chain (default: every chain)", &org, NULL},
		{"audit-key", "FILE", "Ed25519 key file (default DATA_DIR/audit-ed25519.key);"
				      " env SIRT_AUDIT_KEY", &keyopt, NULL},
		{"out", "FILE", "also write the checkpoint(s) to FILE", &outp, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt audit checkpoint [OPTIONS]",
		      "Verifies each chain, then signs its head (organisation, sequence number,\n"
		      "hash, time) with the audit key, stores the checkpoint and prints it as\n"
		      "JSON, one line per chain. Publish it (or keep it outside this server) to\n"
		      "check exports against it later with sirt audit verify --checkpoint.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	struct config cfg;
	struct store *st = cli_open(&cfg, config, db);
	char *path = key_path(&cfg, keyopt);
	struct audit_key key;
	char err[512];
	int status = 0;
	if (audit_key_load(path, true, &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		free(path);
		store_close(st);
		return 1;
	}
	free(path);
	struct db *d = store_reader(st);
	struct chain_name *chains = NULL;
	int n = 0;
	int rc = d ? load_chains(d, org, &chains, &n) : SIRT_EUNAVAIL;
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", rc == SIRT_ENOTFOUND ? "no such organisation"
								 : sirt_strerror(rc));
		store_close(st);
		return rc == SIRT_ENOTFOUND ? 2 : 1;
	}
	FILE *out = outp ? fopen(outp, "w") : NULL;
	if (outp && !out) {
		fprintf(stderr, "sirt: %s: %s\n", outp, strerror(errno));
		status = 1;
	}
	for (int i = 0; i < n && status == 0; i++) {
		struct audit_verify_result v;
		if ((rc = audit_verify_db(d, chains[i].id, &v)) < 0 ||
		    (chains[i].id == 0 && v.entries == 0))
			continue;
		if (!v.ok) {
			fprintf(stderr, "sirt: %s: the chain does not verify (seq %lld: %s); not signing\n",
				chains[i].name, (long long)v.first_bad, v.problem);
			status = 1;
			continue;
		}
		struct cp_job j = {.ac = {.actor = cli_actor()}, .org_id = chains[i].id, .key = &key};
		rc = store_tx(st, cp_tx, &j);
		if (rc < 0) {
			fprintf(stderr, "sirt: %s: %s\n", chains[i].name, sirt_strerror(rc));
			status = 1;
			continue;
		}
		json_t *o = audit_checkpoint_json(&j.cp, chains[i].name);
		char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s);
		if (out)
			fprintf(out, "%s\n", s);
		free(s);
		json_decref(o);
	}
	if (out && fclose(out) != 0)
		status = 1;
	sodium_memzero(&key, sizeof(key));
	free(chains);
	store_close(st);
	config_free(&cfg);
	return status;
}

static int audit_key_cmd(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *keyopt = NULL;
	const struct opt opts[] = {
		DB_OPTS,
		{"audit-key", "FILE", "Ed25519 key file (default DATA_DIR/audit-ed25519.key);"
				      " env SIRT_AUDIT_KEY", &keyopt, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt audit key [OPTIONS]",
		      "Prints the public key that verifies checkpoints (hex), creating the key\n"
		      "file (mode 0600) if it does not exist yet.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	struct config cfg;
	cli_config(&cfg, config, db);
	char *path = key_path(&cfg, keyopt);
	struct audit_key key;
	char err[512];
	int rc = audit_key_load(path, true, &key, err, sizeof(err));
	free(path);
	config_free(&cfg);
	if (rc < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		return 1;
	}
	char hex[65];
	hex_encode(hex, key.pk, sizeof(key.pk));
	sodium_memzero(&key, sizeof(key));
	printf("%s\n", hex);
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	const char *usage = "Usage: sirt audit verify|export|checkpoint|key ...\n\n"
			    "The tamper-evident audit trail. Run 'sirt audit VERB --help'.\n";
	if (argc >= 2) {
		const char *v = argv[1];
		if (!strcmp(v, "verify"))
			return audit_verify(argc - 1, argv + 1);
		if (!strcmp(v, "export"))
			return audit_export_cmd(argc - 1, argv + 1);
		if (!strcmp(v, "checkpoint"))
			return audit_checkpoint_cmd(argc - 1, argv + 1);
		if (!strcmp(v, "key"))
			return audit_key_cmd(argc - 1, argv + 1);
		if (!strcmp(v, "--help") || !strcmp(v, "-h")) {
			printf("%s", usage);
			return 0;
		}
	}
	fprintf(stderr, "%s", usage);
	return 2;
}
