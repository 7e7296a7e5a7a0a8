/*
 * Indicators of compromise: validation and the canonical form under which an
 * indicator is stored and de-duplicated.
 *
 * Every value is first trimmed of surrounding ASCII white space and must then
 * be at most INDICATOR_VALUE_MAX bytes. For ip, cidr, domain, url and email,
 * the common "defanged" spellings are undone first: "[.]" and "(.)" become
 * ".", "[:]" becomes ":", "[@]" becomes "@", and a url scheme "hxxp" or
 * "hxxps" becomes "http" or "https" (and "fxp" becomes "ftp").
 *
 *   ip         IPv4 dotted quad or IPv6 (inet_pton); canonical: inet_ntop's
 *              form (IPv6 lower case, zeros compressed). No zone ids.
 *   cidr       address/prefix; prefix 0..32 or 0..128, no leading zeros; the
 *              host bits must be zero (10.0.0.1/8 is refused, naming
 *              10.0.0.0/8, because it more often is a typo than a network).
 *   domain     ASCII only (IDNs in their xn-- form); one trailing dot
 *              dropped; <= 253 characters; labels 1..63 of letters, digits,
 *              hyphen and underscore (seen in real malicious names), not
 *              starting or ending with a hyphen; at least two labels; the
 *              last label not all digits and without underscore. Lower-cased.
 *   url        http, https or ftp; "://"; optional user info; a host that is
 *              a domain, an IPv4 address or a bracketed IPv6 address; optional
 *              port 1..65535; then any path, query and fragment without
 *              spaces or control characters (UTF-8 allowed). <= 2048 bytes.
 *              Scheme and host lower-cased, IPv6 host canonical, the port
 *              written without leading zeros; the rest kept byte for byte.
 *   email      as contact_email_check(); canonical: domain lower-cased, local
 *              part kept (it is case-sensitive in principle).
 *   md5, sha1, sha256
 *              32, 40, 64 hexadecimal digits; lower-cased.
 *   file_name  1..255 bytes of UTF-8 without control characters, '/' or '\';
 *              not "." or "..". Kept as given.
 *   account    1..256 bytes of UTF-8 without control characters ("DOMAIN\user",
 *              "user@tenant" and "S-1-5-..." all fit). Kept as given.
 */
#ifndef SIRT_CORE_INDICATOR_H
#define SIRT_CORE_INDICATOR_H

#include <stdbool.h>
#include <stddef.h>
#include "util/err.h"
#include "util/strbuf.h"

#define INDICATOR_VALUE_MAX 4096
#define INDICATOR_URL_MAX 2048

/* The type names, NULL-terminated, in a stable order. */
extern const char *const indicator_types[];

bool indicator_type_valid(const char *type);

/* Validates value as an indicator of the given type. On success *out_canonical
 * is a new string (free() it) and 0 is returned. Otherwise SIRT_EINVAL, and
 * *why holds one sentence naming the problem. */
int indicator_normalise(const char *type, const char *value, char **out_canonical,
			struct strbuf *why) WUR;

enum { INDICATOR_DOMAIN_UNDERSCORE = 1 };
/* Checks the domain s[0..n) (no trailing dot) by the rules above; with
 * INDICATOR_DOMAIN_UNDERSCORE, underscores are allowed except in the last
 * label. Does not change case. */
int indicator_check_domain(const char *s, size_t n, unsigned flags, struct strbuf *why) WUR;

#endif
