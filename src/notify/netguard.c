/*
 * The outbound guard against server-side request forgery. A channel URL is
 * chosen by an administrator, but a URL is easily pointed at the metadata
 * service or an internal admin port; so every connection libcurl opens is
 * checked here, after name resolution, on the address it is about to
 * connect to (deliver.c's open-socket callback). Internal addresses are
 * refused unless they fall in the administrator's notify-allow list.
 */
#include "notify/notify.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* IPv4 ranges no notification may reach by default. */
static const struct {
	unsigned char a[4];
	int prefix;
} v4_internal[] = {
	{{0, 0, 0, 0}, 8},        /* "this network", 0.0.0.0 */
	{{10, 0, 0, 0}, 8},       /* private */
	{{100, 64, 0, 0}, 10},    /* CGNAT (and some clouds' metadata) */
	{{127, 0, 0, 0}, 8},      /* loopback */
	{{169, 254, 0, 0}, 16},   /* link-local, cloud metadata 169.254.169.254 */
	{{172, 16, 0, 0}, 12},    /* private */
	{{192, 0, 0, 0}, 24},     /* IETF protocol assignments */
	{{192, 168, 0, 0}, 16},   /* private */
	{{198, 18, 0, 0}, 15},    /* benchmarking */
	{{224, 0, 0, 0}, 4},      /* multicast */
	{{240, 0, 0, 0}, 4},      /* reserved, broadcast */
};

static bool prefix_match(const unsigned char *a, const unsigned char *b, int prefix)
{
	int full = prefix / 8, rem = prefix % 8;
	if (memcmp(a, b, (size_t)full) != 0)
		return false;
	if (rem == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rem));
	return (a[full] & mask) == (b[full] & mask);
}

static bool v4_is_internal(const unsigned char *a)
{
	for (size_t i = 0; i < sizeof(v4_internal) / sizeof(v4_internal[0]); i++)
		if (prefix_match(a, v4_internal[i].a, v4_internal[i].prefix))
			return true;
	return false;
}

bool notify_addr_is_internal(int family, const unsigned char *addr)
{
	if (family == AF_INET)
		return v4_is_internal(addr);
	if (family != AF_INET6)
		return true;
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	if (memcmp(addr, zero, 15) == 0 && (addr[15] == 0 || addr[15] == 1))
		return true; /* :: and ::1 */
	if (memcmp(addr, mapped, 12) == 0 || memcmp(addr, nat64, 12) == 0 ||
	    memcmp(addr, zero, 12) == 0)
		return v4_is_internal(addr + 12); /* mapped, NAT64, v4-compatible */
	if ((addr[0] & 0xfe) == 0xfc)
		return true; /* fc00::/7 unique local (includes fd00:ec2::254) */
	if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
		return true; /* fe80::/10 link-local */
	if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0xc0)
		return true; /* fec0::/10 old site-local */
	if (addr[0] == 0xff)
		return true; /* multicast */
	if (addr[0] == 0x20 && addr[1] == 0x01 && addr[2] == 0x0d && addr[3] == 0xb8)
		return true; /* documentation */
	return false;
}

bool notify_cidr_contains(const struct notify_cidr *c, int family, const unsigned char *addr)
{
	if (c->family == family)
		return prefix_match(addr, c->addr, c->prefix);
	/* An IPv4 rule also covers the IPv4-mapped IPv6 form of its addresses. */
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (c->family == AF_INET && family == AF_INET6 && memcmp(addr, mapped, 12) == 0)
		return prefix_match(addr + 12, c->addr, c->prefix);
	return false;
}

const char *notify_addr_check(const struct notify_settings *s, int family,
			      const unsigned char *addr, bool plain_http)
{
	bool allowed = false;
	for (size_t i = 0; i < s->nallow; i++)
		if (notify_cidr_contains(&s->allow[i], family, addr))
			allowed = true;
	if (allowed)
		return NULL;
	if (notify_addr_is_internal(family, addr))
		return "the target address is private, loopback, link-local or reserved;"
		       " an administrator can allow it with notify-allow";
	if (plain_http)
		return "plain http is allowed only to targets in notify-allow; use https";
	return NULL;
}

static int parse_one(const char *item, struct notify_cidr *c, const char **why)
{
	char buf[80];
	size_t n = strlen(item);
	if (n == 0 || n >= sizeof(buf)) {
		*why = "notify-allow: an entry is empty or too long";
		return SIRT_EINVAL;
	}
	memcpy(buf, item, n + 1);
	char *slash = strchr(buf, '/');
	long prefix = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end) {
			*why = "notify-allow: a prefix length is not a number";
			return SIRT_EINVAL;
		}
	}
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		if (prefix < 0)
			prefix = 32;
		if (prefix > 32) {
			*why = "notify-allow: an IPv4 prefix is longer than 32";
			return SIRT_EINVAL;
		}
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		if (prefix < 0)
			prefix = 128;
		if (prefix > 128) {
			*why = "notify-allow: an IPv6 prefix is longer than 128";
			return SIRT_EINVAL;
		}
	} else {
		*why = "notify-allow: expected addresses or CIDR blocks like 10.0.0.0/8 or ::1/128";
		return SIRT_EINVAL;
	}
	c->prefix = (int)prefix;
	return 0;
}

int notify_cidr_parse_list(const char *s, struct notify_cidr *out, size_t max, size_t *n,
			   const char **why)
{
	*n = 0;
	const char *p = s;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " ,\t");
		char item[80];
		if (len >= sizeof(item)) {
			*why = "notify-allow: an entry is too long";
			return SIRT_EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (*n == max) {
			*why = "notify-allow: too many entries";
			return SIRT_EINVAL;
		}
		if (parse_one(item, &out[*n], why) < 0)
			return SIRT_EINVAL;
		(*n)++;
		p += len;
	}
	return 0;
}
