#include "core/indicator.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/contact.h"
#include "core/utf8.h"
#include "util/xalloc.h"

static char *trimmed_copy(const char *s);
static void refang(char *s, bool url);
static void lower(char *s);
static bool is_hex(char c);
static int norm_ip(char *v, char **out, struct strbuf *why);
static int norm_cidr(char *v, char **out, struct strbuf *why);
static int norm_domain(char *v, char **out, struct strbuf *why);
static int norm_url(char *v, char **out, struct strbuf *why);
static int norm_email(char *v, char **out, struct strbuf *why);
static int norm_hash(const char *type, size_t want, char *v, char **out, struct strbuf *why);
static int norm_text(const char *type, size_t max, bool no_slash, char *v, char **out,
		     struct strbuf *why);

const char *const indicator_types[] = {
	"ip", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "file_name", "account",
	NULL,
};

bool indicator_type_valid(const char *type)
{
	if (!type)
		return false;
	for (int i = 0; indicator_types[i]; i++)
		if (strcmp(type, indicator_types[i]) == 0)
			return true;
	return false;
}

static char *trimmed_copy(const char *s)
{
	const char *ws = " \t\r\n\v\f";
	while (*s && strchr(ws, *s))
		s++;
	size_t n = strlen(s);
	while (n && strchr(ws, s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* In place; the result is never longer than the input. */
static void refang(char *s, bool url)
{
	static const struct {
		const char *from, *to;
	} subst[] = {{"[.]", "."}, {"(.)", "."}, {"[:]", ":"}, {"[@]", "@"}};
	char *w = s;
	const char *r = s;
	if (url) {
		static const struct {
			const char *from, *to;
		} schemes[] = {{"hxxps://", "https://"}, {"hxxp://", "http://"}, {"fxp://", "ftp://"}};
		for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
			size_t n = strlen(schemes[i].from);
			if (strncasecmp(r, schemes[i].from, n) == 0) {
				size_t m = strlen(schemes[i].to);
				memcpy(w, schemes[i].to, m);
				w += m;
				r += n;
				break;
			}
		}
	}
	while (*r) {
		size_t i;
		for (i = 0; i < sizeof(subst) / sizeof(subst[0]); i++) {
			if (strncmp(r, subst[i].from, 3) == 0) {
				*w++ = subst[i].to[0];
				r += 3;
				break;
			}
		}
		if (i == sizeof(subst) / sizeof(subst[0]))
			*w++ = *r++;
	}
	*w = '\0';
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int indicator_normalise(const char *type, const char *value, char **out_canonical,
			struct strbuf *why)
{
	*out_canonical = NULL;
	if (!indicator_type_valid(type)) {
		sb_printf(why, "unknown indicator type '%.32s' (one of ip, cidr, domain, url, email, "
			  "md5, sha1, sha256, file_name, account)", type ? type : "");
		return SIRT_EINVAL;
	}
	if (!value) {
		sb_printf(why, "%s: value is required", type);
		return SIRT_EINVAL;
	}
	if (strlen(value) > INDICATOR_VALUE_MAX) {
		sb_printf(why, "%s: value is longer than %d bytes", type, INDICATOR_VALUE_MAX);
		return SIRT_EINVAL;
	}
	char *v = trimmed_copy(value);
	int rc;
	if (*v == '\0') {
		sb_printf(why, "%s: value is empty", type);
		rc = SIRT_EINVAL;
	} else if (strcmp(type, "ip") == 0) {
		refang(v, false);
		rc = norm_ip(v, out_canonical, why);
	} else if (strcmp(type, "cidr") == 0) {
		refang(v, false);
		rc = norm_cidr(v, out_canonical, why);
	} else if (strcmp(type, "domain") == 0) {
		refang(v, false);
		rc = norm_domain(v, out_canonical, why);
	} else if (strcmp(type, "url") == 0) {
		refang(v, true);
		rc = norm_url(v, out_canonical, why);
	} else if (strcmp(type, "email") == 0) {
		refang(v, false);
		rc = norm_email(v, out_canonical, why);
	} else if (strcmp(type, "md5") == 0) {
		rc = norm_hash(type, 32, v, out_canonical, why);
	} else if (strcmp(type, "sha1") == 0) {
		rc = norm_hash(type, 40, v, out_canonical, why);
	} else if (strcmp(type, "sha256") == 0) {
		rc = norm_hash(type, 64, v, out_canonical, why);
	} else if (strcmp(type, "file_name") == 0) {
		rc = norm_text(type, 255, true, v, out_canonical, why);
	} else {
		rc = norm_text(type, 256, false, v, out_canonical, why);
	}
	free(v);
	return rc;
}

static int norm_ip(char *v, char **out, struct strbuf *why)
{
	unsigned char buf[16];
	char txt[INET6_ADDRSTRLEN];
	if (strchr(v, '/')) {
		sb_printf(why, "ip: '%.64s' is a network; use type cidr", v);
		return SIRT_EINVAL;
	}
	if (strchr(v, '%')) {
		sb_puts(why, "ip: zone identifiers ('%...') are not allowed");
		return SIRT_EINVAL;
	}
	if (inet_pton(AF_INET, v, buf) == 1) {
		inet_ntop(AF_INET, buf, txt, sizeof(txt));
	} else if (inet_pton(AF_INET6, v, buf) == 1) {
		inet_ntop(AF_INET6, buf, txt, sizeof(txt));
	} else {
		sb_printf(why, "ip: '%.64s' is not an IPv4 or IPv6 address", v);
		return SIRT_EINVAL;
	}
	*out = xstrdup(txt);
	return 0;
}

static int norm_cidr(char *v, char **out, struct strbuf *why)
{
	unsigned char buf[16];
	char txt[INET6_ADDRSTRLEN];
	char *slash = strchr(v, '/');
	if (!slash) {
		sb_printf(why, "cidr: '%.64s' has no '/prefix'", v);
		return SIRT_EINVAL;
	}
	*slash = '\0';
	const char *plen = slash + 1;
	int af, bits;
	if (inet_pton(AF_INET, v, buf) == 1) {
		af = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, v, buf) == 1) {
		af = AF_INET6;
		bits = 128;
	} else {
		sb_printf(why, "cidr: '%.64s' is not an IPv4 or IPv6 address", v);
		return SIRT_EINVAL;
	}
	size_t n = strlen(plen);
	int p = 0;
	bool ok = n >= 1 && n <= 3 && !(n > 1 && plen[0] == '0');
	for (size_t i = 0; ok && i < n; i++) {
		if (plen[i] < '0' || plen[i] > '9')
			ok = false;
		else
			p = p * 10 + (plen[i] - '0');
	}
	if (!ok || p > bits) {
		sb_printf(why, "cidr: prefix length must be a number from 0 to %d", bits);
		return SIRT_EINVAL;
	}
	unsigned char net[16];
	memcpy(net, buf, sizeof(net));
	for (int i = 0; i < bits / 8; i++) {
		int keep = p - i * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
		net[i] &= mask;
	}
	if (memcmp(net, buf, (size_t)bits / 8) != 0) {
		inet_ntop(af, net, txt, sizeof(txt));
		sb_printf(why, "cidr: host bits are set; did you mean %s/%d?", txt, p);
		return SIRT_EINVAL;
	}
	inet_ntop(af, buf, txt, sizeof(txt));
	struct strbuf sb;
	sb_init(&sb, 0);
	sb_printf(&sb, "%s/%d", txt, p);
	*out = sb_steal(&sb, NULL);
	return 0;
}

int indicator_check_domain(const char *s, size_t n, unsigned flags, struct strbuf *why)
{
	if (n == 0) {
		sb_puts(why, "domain is empty");
		return SIRT_EINVAL;
	}
	if (n > 253) {
		sb_puts(why, "domain is longer than 253 characters");
		return SIRT_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80) {
			sb_puts(why, "domain contains non-ASCII characters; give its IDNA (xn--) form");
			return SIRT_EINVAL;
		}
	}
	size_t start = 0, labels = 0;
	bool last_digits = true, last_underscore = false;
	while (start <= n) {
		size_t end = start;
		while (end < n && s[end] != '.')
			end++;
		size_t len = end - start;
		const char *l = s + start;
		if (len == 0) {
			sb_puts(why, "domain has an empty label ('..' or a leading dot)");
			return SIRT_EINVAL;
		}
		if (len > 63) {
			sb_printf(why, "domain label '%.20s...' is longer than 63 characters", l);
			return SIRT_EINVAL;
		}
		last_digits = true;
		last_underscore = false;
		for (size_t i = 0; i < len; i++) {
			char c = l[i];
			bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				     (c >= '0' && c <= '9');
			if (!(c >= '0' && c <= '9'))
				last_digits = false;
			if (c == '_')
				last_underscore = true;
			if (alnum || c == '-' || (c == '_' && (flags & INDICATOR_DOMAIN_UNDERSCORE)))
				continue;
			if (c == ' ')
				sb_puts(why, "domain contains a space");
			else if (c > 0x20 && c < 0x7f)
				sb_printf(why, "domain contains the invalid character '%c'", c);
			else
				sb_printf(why, "domain contains the invalid byte 0x%02x",
					  (unsigned)(unsigned char)c);
			return SIRT_EINVAL;
		}
		if (l[0] == '-' || l[len - 1] == '-') {
			sb_printf(why, "domain label '%.*s' starts or ends with a hyphen", (int)len,
				  l);
			return SIRT_EINVAL;
		}
		labels++;
		start = end + 1;
	}
	if (labels < 2) {
		sb_puts(why, "domain needs at least two labels (like example.com)");
		return SIRT_EINVAL;
	}
	if (last_digits) {
		sb_puts(why, "domain's last label is all digits (an IP address? use type ip)");
		return SIRT_EINVAL;
	}
	if (last_underscore) {
		sb_puts(why, "domain's last label contains '_'");
		return SIRT_EINVAL;
	}
	return 0;
}

static int norm_domain(char *v, char **out, struct strbuf *why)
{
	size_t n = strlen(v);
	if (n > 1 && v[n - 1] == '.')
		v[--n] = '\0';
	int rc = indicator_check_domain(v, n, INDICATOR_DOMAIN_UNDERSCORE, why);
	if (rc < 0)
		return rc;
	lower(v);
	*out = xstrdup(v);
	return 0;
}

static int norm_url(char *v, char **out, struct strbuf *why)
{
	struct strbuf tmp, res;
	int rc = SIRT_EINVAL;
	sb_init(&tmp, 4096);
	sb_init(&res, INDICATOR_URL_MAX + 64);

	if (strlen(v) > INDICATOR_URL_MAX) {
		sb_printf(why, "url: longer than %d bytes", INDICATOR_URL_MAX);
		goto out;
	}
	char *sep = strstr(v, "://");
	if (!sep) {
		sb_puts(why, "url: no scheme (expected http://, https:// or ftp://)");
		goto out;
	}
	*sep = '\0';
	lower(v);
	if (strcmp(v, "http") != 0 && strcmp(v, "https") != 0 && strcmp(v, "ftp") != 0) {
		sb_printf(why, "url: scheme '%.16s' is not http, https or ftp", v);
		goto out;
	}
	sb_printf(&res, "%s://", v);
	char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	char *rest = auth + alen;
	size_t rlen = strlen(rest);
	for (size_t i = 0; i < rlen; i++) {
		unsigned char c = (unsigned char)rest[i];
		if (c <= 0x20 || c == 0x7f) {
			sb_printf(why, "url: space or control character at position %zu",
				  (size_t)(rest - v) + i + 1);
			goto out;
		}
	}
	if (!utf8_valid(rest, rlen, NULL)) {
		sb_puts(why, "url: path or query is not valid UTF-8");
		goto out;
	}
	char *host = auth;
	for (char *a = auth + alen; a > auth; a--) {
		if (a[-1] == '@') {
			host = a;
			break;
		}
	}
	for (char *u = auth; u < host; u++) {
		unsigned char c = (unsigned char)*u;
		if (c <= 0x20 || c >= 0x7f) {
			sb_puts(why, "url: user info contains a space, control or non-ASCII character");
			goto out;
		}
	}
	sb_append(&res, auth, (size_t)(host - auth));
	size_t hlen = (size_t)(auth + alen - host);
	char *hcopy = xstrndup(host, hlen);
	char *port = NULL;
	if (hcopy[0] == '[') {
		char *close = strchr(hcopy, ']');
		unsigned char buf[16];
		char txt[INET6_ADDRSTRLEN];
		if (!close) {
			sb_puts(why, "url: '[' without ']' in the host");
			free(hcopy);
			goto out;
		}
		*close = '\0';
		if (inet_pton(AF_INET6, hcopy + 1, buf) != 1) {
			sb_printf(why, "url: '%.64s' is not an IPv6 address", hcopy + 1);
			free(hcopy);
			goto out;
		}
		inet_ntop(AF_INET6, buf, txt, sizeof(txt));
		sb_printf(&res, "[%s]", txt);
		if (close[1] == ':') {
			port = close + 2;
		} else if (close[1] != '\0') {
			sb_puts(why, "url: unexpected text after the IPv6 host");
			free(hcopy);
			goto out;
		}
	} else {
		char *colon = strrchr(hcopy, ':');
		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
		unsigned char buf[4];
		if (hcopy[0] == '\0') {
			sb_puts(why, "url: no host");
			free(hcopy);
			goto out;
		}
		if (inet_pton(AF_INET, hcopy, buf) != 1) {
			size_t n = strlen(hcopy);
			if (n > 1 && hcopy[n - 1] == '.')
				hcopy[--n] = '\0';
			if (indicator_check_domain(hcopy, n, INDICATOR_DOMAIN_UNDERSCORE, &tmp) < 0) {
				sb_printf(why, "url: host: %s", sb_str(&tmp));
				free(hcopy);
				goto out;
			}
			lower(hcopy);
		}
		sb_puts(&res, hcopy);
	}
	if (port) {
		size_t n = strlen(port);
		long p = 0;
		bool ok = n >= 1 && n <= 5;
		for (size_t i = 0; ok && i < n; i++) {
			if (port[i] < '0' || port[i] > '9')
				ok = false;
			else
				p = p * 10 + (port[i] - '0');
		}
		if (!ok || p < 1 || p > 65535) {
			sb_puts(why, "url: port must be a number from 1 to 65535");
			free(hcopy);
			goto out;
		}
		sb_printf(&res, ":%ld", p);
	}
	free(hcopy);
	sb_append(&res, rest, rlen);
	if (sb_status(&res) < 0) {
		sb_puts(why, "url: too long");
		goto out;
	}
	*out = sb_steal(&res, NULL);
	rc = 0;
out:
	sb_free(&tmp);
	sb_free(&res);
	return rc;
}

static int norm_email(char *v, char **out, struct strbuf *why)
{
	struct strbuf tmp;
	sb_init(&tmp, 4096);
	if (contact_email_check(v, &tmp) < 0) {
		sb_printf(why, "email: %s", sb_str(&tmp));
		sb_free(&tmp);
		return SIRT_EINVAL;
	}
	sb_free(&tmp);
	lower(strrchr(v, '@'));
	*out = xstrdup(v);
	return 0;
}

static int norm_hash(const char *type, size_t want, char *v, char **out, struct strbuf *why)
{
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++) {
		if (!is_hex(v[i])) {
			sb_printf(why, "%s: character %zu is not a hexadecimal digit", type, i + 1);
			return SIRT_EINVAL;
		}
	}
	if (n != want) {
		sb_printf(why, "%s: must be %zu hexadecimal digits, got %zu", type, want, n);
		return SIRT_EINVAL;
	}
	lower(v);
	*out = xstrdup(v);
	return 0;
}

static int norm_text(const char *type, size_t max, bool no_slash, char *v, char **out,
		     struct strbuf *why)
{
	size_t n = strlen(v);
	if (n > max) {
		sb_printf(why, "%s: longer than %zu bytes", type, max);
		return SIRT_EINVAL;
	}
	if (!utf8_valid(v, n, NULL)) {
		sb_printf(why, "%s: not valid UTF-8", type);
		return SIRT_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f) {
			sb_printf(why, "%s: control character at position %zu", type, i + 1);
			return SIRT_EINVAL;
		}
		if (no_slash && (c == '/' || c == '\\')) {
			sb_printf(why, "%s: a file name has no directory part ('/' or '\\'); "
				  "give its last component", type);
			return SIRT_EINVAL;
		}
	}
	if (no_slash && (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)) {
		sb_printf(why, "%s: '%s' is not a file name", type, v);
		return SIRT_EINVAL;
	}
	*out = xstrdup(v);
	return 0;
}
