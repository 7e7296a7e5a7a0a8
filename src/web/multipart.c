/* Streaming multipart/form-data over MHD_PostProcessor: see multipart.h. */
#include "web/multipart.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"
#include "web/escape.h"

#define PP_BUFFER (16 * 1024)
#define MAX_FIELDS 16

struct mp_field {
	const char *name;
	struct strbuf value;
	bool seen;
};

struct multipart {
	struct MHD_PostProcessor *pp;
	const struct multipart_spec *spec;
	struct mp_field fields[MAX_FIELDS];
	size_t nfields;
	enum multipart_fail fail;
	bool file_started, file_seen_data;
	uint64_t file_size, file_next_off;
	char *file_name, *file_type;
};

static enum MHD_Result iterate(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size);
static enum MHD_Result on_file(struct multipart *mp, const char *filename,
			       const char *content_type, const char *data, uint64_t off,
			       size_t size);

int multipart_new(void *connection, const struct multipart_spec *spec, struct multipart **out)
{
	const char *ct = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return SIRT_EINVAL;
	struct multipart *mp = xcalloc(1, sizeof(*mp));
	mp->spec = spec;
	for (const char *const *f = spec->fields; f && *f && mp->nfields < MAX_FIELDS; f++) {
		struct mp_field *x = &mp->fields[mp->nfields++];
		x->name = *f;
		sb_init(&x->value, spec->field_max + 1);
	}
	mp->pp = MHD_create_post_processor(connection, PP_BUFFER, iterate, mp);
	if (!mp->pp) {
		multipart_free(mp);
		return SIRT_EINVAL;
	}
	*out = mp;
	return 0;
}

static enum MHD_Result on_file(struct multipart *mp, const char *filename,
			       const char *content_type, const char *data, uint64_t off,
			       size_t size)
{
	const struct multipart_spec *s = mp->spec;
	if (!mp->file_started) {
		mp->file_started = true;
		mp->file_name = xstrdup(filename ? filename : "");
		mp->file_type = xstrdup(content_type ? content_type : "");
		if (s->file_begin && s->file_begin(s->cls, mp->file_name, mp->file_type) < 0) {
			mp->fail = MULTIPART_SINK;
			return MHD_NO;
		}
	} else if (off == 0 && mp->file_next_off != 0) {
		mp->fail = MULTIPART_MALFORMED; /* a second file part */
		return MHD_NO;
	}
	if (size == 0)
		return MHD_YES;
	if (mp->file_size + size > s->file_max) {
		mp->fail = MULTIPART_FILE_TOO_BIG;
		return MHD_NO;
	}
	if (s->file_data && s->file_data(s->cls, data, size) < 0) {
		mp->fail = MULTIPART_SINK;
		return MHD_NO;
	}
	mp->file_size += size;
	mp->file_next_off = off + size;
	mp->file_seen_data = true;
	return MHD_YES;
}

static enum MHD_Result iterate(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	struct multipart *mp = cls;
	if (mp->fail)
		return MHD_NO;
	if (!key)
		return MHD_YES;
	if (mp->spec->file_field && !strcmp(key, mp->spec->file_field))
		return on_file(mp, filename, content_type, data, off, size);
	for (size_t i = 0; i < mp->nfields; i++) {
		struct mp_field *f = &mp->fields[i];
		if (strcmp(f->name, key) != 0)
			continue;
		if (off == 0 && f->seen && f->value.len)
			sb_reset(&f->value); /* a repeated field: the last one counts */
		f->seen = true;
		if (f->value.len + size > mp->spec->field_max) {
			mp->fail = MULTIPART_FIELD_TOO_BIG;
			return MHD_NO;
		}
		sb_append(&f->value, data, size);
		return MHD_YES;
	}
	return MHD_YES; /* a field nobody asked for */
}

int multipart_feed(struct multipart *mp, const char *data, size_t len)
{
	if (mp->fail)
		return SIRT_EINVAL;
	if (!mp->pp || MHD_post_process(mp->pp, data, len) != MHD_YES) {
		if (!mp->fail)
			mp->fail = MULTIPART_MALFORMED;
		return SIRT_EINVAL;
	}
	return 0;
}

int multipart_finish(struct multipart *mp)
{
	if (mp->fail)
		return SIRT_EINVAL;
	if (!mp->pp)
		return SIRT_EINVAL;
	/* MHD_NO: the body ended in the middle of a part */
	enum MHD_Result ok = MHD_destroy_post_processor(mp->pp);
	mp->pp = NULL;
	if (ok != MHD_YES) {
		mp->fail = MULTIPART_MALFORMED;
		return SIRT_EINVAL;
	}
	return 0;
}

enum multipart_fail multipart_failure(const struct multipart *mp)
{
	return mp->fail;
}

const char *multipart_field(const struct multipart *mp, const char *name)
{
	for (size_t i = 0; i < mp->nfields; i++)
		if (!strcmp(mp->fields[i].name, name))
			return mp->fields[i].seen ? sb_str(&mp->fields[i].value)
						  : NULL;
	return NULL;
}

bool multipart_has_file(const struct multipart *mp)
{
	return mp->file_started;
}

const char *multipart_file_name(const struct multipart *mp)
{
	return mp->file_name ? mp->file_name : "";
}

const char *multipart_file_type(const struct multipart *mp)
{
	return mp->file_type ? mp->file_type : "";
}

uint64_t multipart_file_size(const struct multipart *mp)
{
	return mp->file_size;
}

void multipart_form(const struct multipart *mp, struct strbuf *out)
{
	bool first = true;
	for (size_t i = 0; i < mp->nfields; i++) {
		const struct mp_field *f = &mp->fields[i];
		if (!f->seen)
			continue;
		if (!first)
			sb_putc(out, '&');
		first = false;
		escape_url_query(out, f->name, strlen(f->name));
		sb_putc(out, '=');
		escape_url_query(out, f->value.buf ? f->value.buf : "", f->value.len);
	}
}

void multipart_free(struct multipart *mp)
{
	if (!mp)
		return;
	if (mp->pp)
		(void)MHD_destroy_post_processor(mp->pp);
	for (size_t i = 0; i < mp->nfields; i++)
		sb_free(&mp->fields[i].value);
	free(mp->file_name);
	free(mp->file_type);
	free(mp);
}
