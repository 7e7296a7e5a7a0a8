/* Writing checked import records in one transaction (import_map.h). */
#include <string.h>

#include "audit/audit.h"
#include "export/import_map.h"
#include "store/import_store.h"
#include "store/store.h"

struct write_job {
	const struct audit_ctx *ac;
	int64_t org_id;
	json_t *records;
	const char *format;
	const char *created_by;
	int64_t created, existing;
	json_t *ids;
};

static int write_tx(struct db *db, void *arg)
{
	struct write_job *j = arg;
	j->created = j->existing = 0;
	json_array_clear(j->ids);
	size_t i;
	json_t *r;
	json_array_foreach(j->records, i, r) {
		const char *ref = json_string_value(json_object_get(r, "external_ref"));
		bool exists = false;
		int rc = ref ? import_exists(db, j->org_id, ref, &exists) : 0;
		if (rc < 0)
			return rc;
		if (exists) {
			j->existing++;
			continue;
		}
		char uid[37];
		rc = import_create_incident(db, j->ac, j->org_id, r, json_object_get(r, "_veris"),
					    j->created_by, j->format, uid);
		if (rc < 0)
			return rc;
		j->created++;
		if (json_array_size(j->ids) < 10000)
			json_array_append_new(j->ids, json_string(uid));
	}
	return 0;
}

int import_write(struct store *st, const struct audit_ctx *ac, int64_t org_id, json_t *records,
		 const char *format, const char *created_by, struct import_result *res)
{
	if (json_array_size(records) == 0)
		return 0;
	struct write_job j = {.ac = ac, .org_id = org_id, .records = records, .format = format,
			      .created_by = created_by, .ids = json_array()};
	int rc = store_tx(st, write_tx, &j);
	if (rc == 0) {
		res->created += j.created;
		res->existing += j.existing;
		size_t i;
		json_t *id;
		json_array_foreach(j.ids, i, id)
			if (json_array_size(res->created_ids) < 10000)
				json_array_append(res->created_ids, id);
	}
	json_decref(j.ids);
	return rc;
}
