/*
 * sirt incident import | export: the incident log to and from CSV, JSON
 * lines and VERIS JSON files (see docs/import-export.md).
 *
 * Import reads and checks each file completely before anything is written;
 * then each file's incidents go to the database in one transaction (several
 * small files share a transaction for speed; should that transaction fail,
 * each file is retried on its own so one file cannot sink another).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "export/import_map.h"
#include "export/incident_export.h"
#include "export/progress.h"
#include "store/import_store.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define IMPORT_FILE_MAX ((size_t)1 << 30)
#define IMPORT_BATCH 500

static char *read_file(const char *path, size_t *len, char *err, size_t errlen);
static int collect(const char *path, const char *ext, json_t *files, char *err, size_t errlen);
static int org_of(struct store *st, const char *name, int64_t *org_id, char *org_name,
		  size_t len);

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	struct strbuf sb;
	sb_init(&sb, IMPORT_FILE_MAX);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	bool bad = ferror(f);
	fclose(f);
	if (bad || sb_status(&sb) < 0) {
		snprintf(err, errlen, bad ? "read error" : "larger than 1 GiB");
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb, len);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path, or the files ending in ext in the directory path (sorted). */
static int collect(const char *path, const char *ext, json_t *files, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SIRT_EIO;
	}
	if (!S_ISDIR(st.st_mode)) {
		json_array_append_new(files, json_string(path));
		return 0;
	}
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SIRT_EIO;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	size_t el = strlen(ext);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= el || strcmp(e->d_name + l - el, ext) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xasprintf("%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(files, json_string(names[i]));
		free(names[i]);
	}
	free(names);
	return 0;
}

struct org_job {
	const char *name;
	int64_t org_id;
	char org_name[256];
};

static int org_tx(struct db *db, void *arg)
{
	struct org_job *j = arg;
	return import_find_org(db, j->name, &j->org_id, j->org_name, sizeof(j->org_name));
}

static int org_of(struct store *st, const char *name, int64_t *org_id, char *org_name,
		  size_t len)
{
	struct org_job j = {.name = name};
	struct db *db = store_reader(st);
	int rc = db ? org_tx(db, &j) : SIRT_EUNAVAIL;
	if (rc == SIRT_ENOTFOUND)
		fprintf(stderr, "sirt: %s\n", name ? "no such organisation" : "no organisation yet: run sirt init");
	else if (rc == SIRT_EINVAL)
		fprintf(stderr, "sirt: there are several organisations: name one with --org\n");
	else if (rc < 0)
		fprintf(stderr, "sirt: %s\n", db ? db_errmsg(db) : "database unreachable");
	if (rc < 0)
		return rc;
	*org_id = j.org_id;
	snprintf(org_name, len, "%s", j.org_name);
	return 0;
}

static struct store *open_store(const char *config, const char *db, struct config *cfg)
{
	cli_config(cfg, config, db);
	struct store *st = cli_store(cfg);
	char err[512];
	int applied;
	if (store_migrate(st, &applied, err, sizeof(err)) < 0) {
		fprintf(stderr, "sirt: %s\n", err);
		store_close(st);
		exit(1);
	}
	return st;
}

/* A file's accepted records waiting in the batch. */
struct pending {
	char *name;
	json_t *records;
};

static void flush(struct store *st, const struct audit_ctx *ac, int64_t org_id,
		  const char *format, struct pending *p, int np, struct import_result *res,
		  struct progress *prog)
{
	if (!np)
		return;
	json_t *all = json_array();
	for (int i = 0; i < np; i++)
		json_array_extend(all, p[i].records);
	int rc = import_write(st, ac, org_id, all, format, ac->actor, res);
	json_decref(all);
	if (rc < 0) /* retry file by file: report only the files that fail */
		for (int i = 0; i < np; i++) {
			rc = import_write(st, ac, org_id, p[i].records, format, ac->actor, res);
			if (rc < 0) {
				res->rejected++;
				json_array_append_new(
					res->rejects,
					json_pack("{s:s, s:s, s:s}", "where", p[i].name, "field", "",
						  "message",
						  rc == SIRT_ECONFLICT
							  ? "conflicts with an incident written meanwhile"
							  : "the database refused the file; nothing of it was"
							    " written"));
			}
		}
	for (int i = 0; i < np; i++) {
		progress_add(prog, (int64_t)json_array_size(p[i].records));
		free(p[i].name);
		json_decref(p[i].records);
	}
}

int cmd_incident_import(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *format = NULL, *map = NULL, *map_file = NULL,
		   *org = NULL;
	bool skip_bad = false, quiet = false;
	const struct opt opts[] = {
		{"format", "csv|veris", "input format (required)", &format, NULL},
		{"map", "FIELD=COLUMN,...", "CSV: which header column fills which field", &map, NULL},
		{"map-file", "FILE", "CSV: the mapping as 'field = Column' lines", &map_file, NULL},
		{"skip-bad", NULL, "import the good rows/files and report the bad ones", NULL, &skip_bad},
		{"org", "NAME", "organisation (needed when there are several)", &org, NULL},
		{"quiet", NULL, "print only rejects", NULL, &quiet},
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt incident import --format csv|veris [OPTIONS] PATH...",
		      "Imports incidents from CSV files (an existing spreadsheet log) or VERIS JSON\n"
		      "files and directories. Every file is checked completely first and imported\n"
		      "entirely or not at all (unless --skip-bad). Importing again creates nothing\n"
		      "new. Rejected rows and files are listed with their reason; the exit status\n"
		      "is 1 when anything was rejected.",
		      opts, &rest) < 0)
		return 2;
	if (!format || (strcmp(format, "csv") != 0 && strcmp(format, "veris") != 0)) {
		fprintf(stderr, "sirt: --format must be csv or veris\n");
		return 2;
	}
	if (rest >= argc) {
		fprintf(stderr, "sirt: name at least one file or directory to import\n");
		return 2;
	}
	bool csv = !strcmp(format, "csv");
	if (!csv && (map || map_file)) {
		fprintf(stderr, "sirt: --map and --map-file are for --format csv\n");
		return 2;
	}
	char err[1024];
	struct csv_map m = {0};
	if ((map && csv_map_parse(map, &m, err, sizeof(err)) < 0) ||
	    (map_file && csv_map_load(map_file, &m, err, sizeof(err)) < 0)) {
		fprintf(stderr, "sirt: --map: %s\n", err);
		csv_map_free(&m);
		return 2;
	}
	json_t *files = json_array();
	for (int i = rest; i < argc; i++)
		if (collect(argv[i], csv ? ".csv" : ".json", files, err, sizeof(err)) < 0) {
			fprintf(stderr, "sirt: %s\n", err);
			json_decref(files);
			csv_map_free(&m);
			return 2;
		}
	struct config cfg;
	struct store *st = open_store(config, db, &cfg);
	int64_t org_id;
	char org_name[256];
	if (org_of(st, org, &org_id, org_name, sizeof(org_name)) < 0) {
		store_close(st);
		config_free(&cfg);
		json_decref(files);
		csv_map_free(&m);
		return 1;
	}
	struct audit_ctx ac = {.actor = cli_actor(), .request_id = "", .client_addr = ""};
	struct import_result res;
	import_result_init(&res);
	struct progress prog;
	progress_init(&prog, "incidents imported", 0);
	struct pending batch[IMPORT_BATCH];
	int nb = 0, nrec = 0;
	int64_t t0 = time_mono_us();
	size_t i;
	json_t *fv;
	json_array_foreach(files, i, fv) {
		const char *path = json_string_value(fv);
		size_t len;
		char *data = read_file(path, &len, err, sizeof(err));
		if (!data) {
			res.rejected++;
			json_array_append_new(res.rejects, json_pack("{s:s, s:s, s:s}", "where", path,
								     "field", "", "message", err));
			continue;
		}
		json_t *records = NULL;
		int rc = csv ? import_csv_records(path, data, len, &m, skip_bad, time_now(), &records,
						  &res)
			     : import_veris_records(path, data, len, skip_bad, time_now(), &records,
						    &res);
		free(data);
		(void)rc; /* rejects are in res; records is empty when the file is refused */
		if (json_array_size(records) == 0) {
			json_decref(records);
			continue;
		}
		batch[nb].name = xstrdup(path);
		batch[nb].records = records;
		nb++;
		nrec += (int)json_array_size(records);
		if (nb == IMPORT_BATCH || nrec >= IMPORT_BATCH) {
			flush(st, &ac, org_id, format, batch, nb, &res, &prog);
			nb = nrec = 0;
		}
	}
	flush(st, &ac, org_id, format, batch, nb, &res, &prog);
	progress_end(&prog);
	double secs = (double)(time_mono_us() - t0) / 1e6;
	json_array_foreach(res.rejects, i, fv) {
		const char *f = json_string_value(json_object_get(fv, "field"));
		fprintf(stderr, "sirt: rejected %s:%s%s %s\n",
			json_string_value(json_object_get(fv, "where")), f && *f ? " " : "",
			f && *f ? f : "", json_string_value(json_object_get(fv, "message")));
	}
	if (!quiet)
		printf("%lld created, %lld already imported, %lld rejected (%zu file%s, %.2f s)\n",
		       (long long)res.created, (long long)res.existing, (long long)res.rejected,
		       json_array_size(files), json_array_size(files) == 1 ? "" : "s", secs);
	int status = res.rejected ? 1 : 0;
	import_result_free(&res);
	json_decref(files);
	csv_map_free(&m);
	store_close(st);
	config_free(&cfg);
	return status;
}

struct export_audit_job {
	struct audit_ctx ac;
	int64_t org_id;
	const char *format;
	int64_t count;
};

static int export_audit_tx(struct db *db, void *arg)
{
	struct export_audit_job *j = arg;
	json_t *d = json_pack("{s:s, s:I}", "format", j->format, "incidents", (json_int_t)j->count);
	int rc = audit_append(db, &j->ac, j->org_id, "incident_log.export", "incident_log", "", d);
	json_decref(d);
	return rc;
}

/* A file name for a VERIS document: its incident_id, made safe. */
static char *veris_file_name(const char *dir, json_t *doc)
{
	const char *id = json_string_value(json_object_get(doc, "incident_id"));
	char safe[128];
	size_t k = 0;
	for (const char *p = id ? id : "incident"; *p && k < sizeof(safe) - 1; p++)
		safe[k++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
				    ? *p
				    : '_';
	safe[k] = '\0';
	return xasprintf("%s/%s.json", dir, safe);
}

int cmd_incident_export(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *format = NULL, *out = NULL, *org = NULL;
	const struct opt opts[] = {
		{"format", "csv|jsonl|veris", "output format (required)", &format, NULL},
		{"out", "FILE|DIR", "where to write (default standard output); for veris a"
				    " directory gets one file per incident", &out, NULL},
		{"org", "NAME", "organisation (needed when there are several)", &org, NULL},
		{"db", "URL", "database (sqlite:PATH or postgres://...); env SIRT_DB", &db, NULL},
		{"config", "FILE", "configuration file; env SIRT_CONFIG", &config, NULL},
		{NULL},
	};
	int rest;
	if (cli_parse(argc, argv, "sirt incident export --format csv|jsonl|veris [--out FILE|DIR]",
		      "Writes the incident log as CSV (RFC 4180, formula cells neutralised), JSON\n"
		      "lines, or VERIS 1.3.4 JSON (JSON lines, or one file per incident when --out\n"
		      "is a directory). Streams: memory does not grow with the log.",
		      opts, &rest) < 0 || rest != argc)
		return 2;
	enum export_format fmt;
	if (export_format_parse(format, &fmt) < 0) {
		fprintf(stderr, "sirt: --format must be csv, jsonl or veris\n");
		return 2;
	}
	struct stat sst;
	bool to_dir = fmt == EXPORT_VERIS && out &&
		      ((stat(out, &sst) == 0 && S_ISDIR(sst.st_mode)) || out[strlen(out) - 1] == '/');
	if (to_dir && mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "sirt: %s: %s\n", out, strerror(errno));
		return 1;
	}
	struct config cfg;
	struct store *st = open_store(config, db, &cfg);
	int64_t org_id;
	char org_name[256];
	if (org_of(st, org, &org_id, org_name, sizeof(org_name)) < 0) {
		store_close(st);
		config_free(&cfg);
		return 1;
	}
	FILE *f = stdout;
	char *tmp = NULL;
	if (out && !to_dir && strcmp(out, "-") != 0) {
		tmp = xasprintf("%s.tmp", out);
		f = fopen(tmp, "wb");
		if (!f) {
			fprintf(stderr, "sirt: %s: %s\n", tmp, strerror(errno));
			free(tmp);
			store_close(st);
			config_free(&cfg);
			return 1;
		}
	}
	struct db *d = store_reader(st);
	int64_t total = 0;
	if (!d || export_count(d, org_id, &total) < 0)
		total = 0;
	struct progress prog;
	progress_init(&prog, "incidents exported", total);
	struct export_iter it;
	export_iter_init(&it, fmt, org_id, org_name);
	struct strbuf buf;
	sb_init(&buf, SB_DEFAULT_MAX);
	int rc = d ? 0 : SIRT_EUNAVAIL;
	while (rc == 0) {
		int n;
		if (to_dir) {
			json_t *docs;
			n = export_iter_docs(&it, d, &docs);
			size_t i;
			json_t *doc;
			json_array_foreach(docs, i, doc) {
				char *path = veris_file_name(out, doc);
				if (json_dump_file(doc, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
					fprintf(stderr, "sirt: cannot write %s\n", path);
					rc = SIRT_EIO;
				}
				free(path);
			}
			json_decref(docs);
		} else {
			sb_reset(&buf);
			n = export_iter_next(&it, d, &buf);
			if (n >= 0 && sb_status(&buf) == 0 && buf.len &&
			    fwrite(buf.buf, 1, buf.len, f) != buf.len)
				rc = SIRT_EIO;
		}
		if (n < 0)
			rc = n;
		if (n <= 0)
			break;
		progress_add(&prog, n);
	}
	progress_end(&prog);
	sb_free(&buf);
	if (f != stdout && fclose(f) != 0)
		rc = SIRT_EIO;
	else if (f == stdout)
		fflush(stdout);
	if (tmp) {
		if (rc == 0 && rename(tmp, out) != 0)
			rc = SIRT_EIO;
		if (rc < 0)
			remove(tmp);
		free(tmp);
	}
	if (rc == 0) {
		struct export_audit_job j = {.ac = {.actor = cli_actor(), .request_id = "",
						    .client_addr = ""},
					     .org_id = org_id, .format = format, .count = it.count};
		rc = store_tx(st, export_audit_tx, &j);
	}
	if (rc < 0)
		fprintf(stderr, "sirt: export failed: %s%s%s\n", sirt_strerror(rc), d ? ": " : "",
			d ? db_errmsg(d) : "");
	else if (out && strcmp(out, "-") != 0)
		fprintf(stderr, "sirt: %lld incident%s exported to %s\n", (long long)it.count,
			it.count == 1 ? "" : "s", out);
	store_close(st);
	config_free(&cfg);
	return rc < 0 ? 1 : 0;
}
