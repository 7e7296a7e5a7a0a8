/* Helpers shared by the incident API files (incidents.c, incident_parts.c). */
#ifndef SIRT_INCIDENT_API_H
#define SIRT_INCIDENT_API_H

#include <jansson.h>

#include "http/http.h"

/* Sends the response for a failed incident store call: 404, 412, 422 with
 * the field errors in out, 409 with them, or the generic store error. out is
 * borrowed. */
int incident_api_store_result(struct req *r, int rc, json_t *out, const char *what);
/* Sends 400 and returns -1 when the query has a parameter not in allowed. */
int incident_api_query_allow(struct req *r, const char *const *allowed);

#endif
