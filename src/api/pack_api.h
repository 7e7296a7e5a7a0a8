/*
 * What the evidence-pack API (src/api/pack.c) shares with the evidence page
 * (src/web/pages_pack.c): building and recording a pack, and the list of
 * packs built, so both build one pack at a time the same way.
 */
#ifndef SIRT_API_PACK_API_H
#define SIRT_API_PACK_API_H

#include <jansson.h>

#include "http/http.h"
#include "store/db.h"

struct api_pack_error {
	int status;        /* HTTP status: 422 (field), 409 (busy), 500, 503 */
	const char *field; /* "from", "to" or "framework" for 422 field errors, else NULL */
	char why[512];     /* a sentence */
};

/* Builds the pack for [from, to] (YYYY-MM-DD or RFC 3339) and framework
 * (NULL: all) synchronously and records it (also when the build fails).
 * 0 with *out the pack's record; else err says why. Sets no response. */
int api_pack_create(struct req *r, const char *from, const char *to, const char *framework,
		    json_t **out, struct api_pack_error *err) WUR;
/* The organisation's packs, newest first. */
int api_pack_list(struct db *db, int64_t org_id, int limit, json_t **items) WUR;

#endif
