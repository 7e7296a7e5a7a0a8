#include "api/review_api.h"

#include <stdlib.h>
#include <string.h>

#include "store/incident_store.h"

int rapi_fail(struct req *r, int rc, struct op_result *res, const char *what)
{
	int ret;
	const char *why = res && res->why[0] ? res->why : NULL;
	switch (rc) {
	case SIRT_EINVAL:
		if (res && res->errors) {
			json_t *e = res->errors;
			res->errors = NULL;
			ret = resp_problem(r, 422, NULL, why ? why : "validation failed", e);
		} else {
			ret = resp_problem(r, 422, NULL, why ? why : what, NULL);
		}
		break;
	case SIRT_ENOTFOUND:
		ret = resp_problem(r, 404, NULL, why ? why : what, NULL);
		break;
	case SIRT_ECONFLICT:
		ret = resp_problem(r, 409, NULL, why ? why : what, NULL);
		break;
	case SIRT_EPRECOND:
		ret = resp_problem(r, 412, NULL,
				   "the record was changed since you read it (ETag mismatch);"
				   " fetch it again and reapply your change",
				   NULL);
		break;
	case SIRT_EPERM:
		ret = resp_problem(r, 403, NULL, why ? why : what, NULL);
		break;
	default:
		ret = api_store_error(r, NULL, rc, what);
	}
	if (res)
		op_free(res);
	return ret;
}

int rapi_cursor(struct req *r, int64_t *a, int64_t *b)
{
	*a = *b = 0;
	const char *cur = req_query(r, "cursor");
	if (cur && *cur && incident_cursor_parse(cur, a, b) < 0) {
		resp_problem(r, 400, NULL, "cursor is not one this server returned", NULL);
		return -1;
	}
	return 0;
}

bool rapi_in(const char *const *list, const char *s)
{
	for (; s && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

int rapi_bool(struct req *r, const char *name, bool *out)
{
	const char *v = req_query(r, name);
	*out = false;
	if (!v)
		return 0;
	if (!strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	resp_problem(r, 400, NULL, arena_printf(&r->arena, "%s must be true or false", name), NULL);
	return -1;
}

const char *rapi_name(const struct req *r)
{
	return r->who.display_name && *r->who.display_name ? r->who.display_name : r->who.email;
}
