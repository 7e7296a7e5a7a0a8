#include "store/db_json.h"

int db_query_one_json(struct db *db, db_row_json row, json_t **out, const char *sql, int nparams,
		      const struct db_val *params)
{
	struct db_res *r;
	int rc = db_query(db, &r, sql, nparams, params);
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = row(r);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int db_query_all_json(struct db *db, db_row_json row, json_t **out, const char *sql, int nparams,
		      const struct db_val *params)
{
	struct db_res *r;
	int rc = db_query(db, &r, sql, nparams, params);
	if (rc < 0)
		return rc;
	json_t *a = json_array();
	while (db_next(r))
		json_array_append_new(a, row(r));
	db_res_free(r);
	*out = a;
	return 0;
}
