/*
 * Output escaping, one function per context (ENGINEERING.md habit 6). Every
 * value that did not come from a literal in sirt's source goes through the
 * function for the place it is written to:
 *
 *   escape_html        element content:        <p>HERE</p>
 *   escape_attr        quoted attribute value: <input value="HERE">
 *   escape_url_path    one URL path segment:   /incidents/HERE
 *   escape_url_query   one query component:    /log?q=HERE
 *   escape_header      an HTTP header value (refuses CR, LF, NUL, controls)
 *   escape_json_script JSON in <script type="application/json">HERE</script>
 *
 * The HTML escapers also replace invalid UTF-8 and control characters with
 * U+FFFD so that no input can make a page invalid. The URL escapers
 * percent-encode every byte outside RFC 3986's unreserved set, so their
 * output is also safe inside a quoted attribute. All append to a strbuf;
 * strbuf errors are sticky and checked once by the caller.
 */
#ifndef SIRT_WEB_ESCAPE_H
#define SIRT_WEB_ESCAPE_H

#include <stddef.h>
#include <jansson.h>
#include "util/err.h"
#include "util/strbuf.h"

void escape_html(struct strbuf *out, const char *s, size_t n);
void escape_attr(struct strbuf *out, const char *s, size_t n);
/* A whole segment that is "." or ".." is encoded as %2E / %2E%2E, so a value
 * can never step out of the path it is placed in. */
void escape_url_path(struct strbuf *out, const char *s, size_t n);
void escape_url_query(struct strbuf *out, const char *s, size_t n);
/* Appends s unchanged if it is a valid header value (visible ASCII, obs-text,
 * SP, HTAB); otherwise appends nothing and returns SIRT_EINVAL. */
int escape_header(struct strbuf *out, const char *s, size_t n) WUR;
/* Serialises v (any JSON value) compactly with <, >, & and U+2028/U+2029 as
 * \uXXXX escapes, so the text can neither end the <script> element nor be
 * misread by a JavaScript parser. */
int escape_json_script(struct strbuf *out, const json_t *v) WUR;
/* The same transformation for JSON text that is already serialised. */
void escape_json_text(struct strbuf *out, const char *s, size_t n);

#endif
