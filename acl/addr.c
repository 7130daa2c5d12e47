#include "addr.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void acl_errf(struct acl_err *err, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->off = off;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

unsigned acl_width(int family)
{
	return family == ACL_V4 ? 32 : 128;
}

acl_u128 acl_family_max(int family)
{
	return family == ACL_V4 ? (acl_u128)0xffffffffu : ~(acl_u128)0;
}

acl_u128 acl_hostmask(int family, unsigned len)
{
	unsigned bits = acl_width(family) - len;

	if (bits == 0)
		return 0;
	if (bits >= 128)
		return ~(acl_u128)0;
	return ((acl_u128)1 << bits) - 1;
}

acl_u128 acl_cidr_last(const struct acl_cidr *c)
{
	return c->v | acl_hostmask(c->family, c->len);
}

bool acl_looks_numeric(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return n > 0;
}

bool acl_parse_ipv4(const char *s, size_t n, acl_u128 *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned octet = 0, digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			octet = octet * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
		}
		/* "0" alone is fine; "00" or "017" is octal-looking, refused */
		if (digits == 0 || digits > 3 || octet > 255 ||
		    (digits > 1 && s[i - digits] == '0'))
			return false;
		v = v << 8 | octet;
	}
	if (i != n)
		return false;
	*out = v;
	return true;
}

bool acl_parse_ipv6(const char *s, size_t n, acl_u128 *out)
{
	char buf[64];
	unsigned char b[16];
	acl_u128 v = 0;

	if (n == 0 || n >= sizeof(buf) || memchr(s, '%', n))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET6, buf, b) != 1)
		return false;
	for (int i = 0; i < 16; i++)
		v = v << 8 | b[i];
	*out = v;
	return true;
}

static int parse_len(const char *s, size_t n, unsigned max, unsigned *len)
{
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*len = v;
	return 0;
}

int acl_cidr_parse(const char *s, size_t n, struct acl_cidr *out,
		   struct acl_err *err)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	const char *a = s;
	unsigned len;
	acl_u128 v;
	int fam;

	if (an >= 2 && a[0] == '[' && a[an - 1] == ']') {
		a++;
		an -= 2;
		if (!memchr(a, ':', an)) {
			acl_errf(err, 0, "brackets are for IPv6 addresses only");
			return -1;
		}
	}
	if (memchr(a, '%', an)) {
		acl_errf(err, (size_t)((const char *)memchr(a, '%', an) - s),
			 "IPv6 zone ids are not allowed");
		return -1;
	}
	if (memchr(a, ':', an)) {
		fam = ACL_V6;
		if (!acl_parse_ipv6(a, an, &v)) {
			acl_errf(err, (size_t)(a - s), "invalid IPv6 address '%.*s'",
				 (int)an, a);
			return -1;
		}
	} else {
		fam = ACL_V4;
		if (!acl_parse_ipv4(a, an, &v)) {
			acl_errf(err, 0,
				 "invalid IPv4 address '%.*s': write it as a dotted quad "
				 "a.b.c.d with decimal parts 0-255",
				 (int)an, a);
			return -1;
		}
	}
	len = acl_width(fam);
	/* the length is what follows the slash (an no longer counts brackets) */
	size_t ln = slash ? n - (size_t)(slash - s) - 1 : 0;

	if (slash && parse_len(slash + 1, ln, acl_width(fam), &len)) {
		acl_errf(err, (size_t)(slash - s) + 1, "invalid prefix length '%.*s' (0-%u)",
			 (int)ln, slash + 1, acl_width(fam));
		return -1;
	}
	out->family = (uint8_t)fam;
	out->len = (uint8_t)len;
	out->v = v & ~acl_hostmask(fam, len);
	if (out->v != v) {
		char net[ACL_CIDR_STRLEN];

		acl_cidr_format(out, net);
		acl_errf(err, 0, "host bits set in '%.*s'; the network is %s",
			 (int)n, s, net);
		return -1;
	}
	return 0;
}

/* v (< 1000) in decimal at p; past its last digit.  inspect and compile
 * format a million addresses: snprintf was a fifth of their time. */
static char *decimal(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

void acl_addr_format(int family, acl_u128 v, char *buf)
{
	unsigned char b[16];

	if (family == ACL_V4) {
		uint32_t x = (uint32_t)v;
		char *p = buf;

		for (int shift = 24; shift >= 0; shift -= 8) {
			p = decimal(p, x >> shift & 255);
			*p++ = shift ? '.' : 0;
		}
		return;
	}
	for (int i = 15; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	inet_ntop(AF_INET6, b, buf, ACL_CIDR_STRLEN);
}

void acl_cidr_format(const struct acl_cidr *c, char *buf)
{
	size_t n;

	acl_addr_format(c->family, c->v, buf);
	n = strlen(buf);
	buf[n] = '/';
	*decimal(buf + n + 1, c->len) = 0;
}

void acl_addr_unmap(uint8_t *family, acl_u128 *v)
{
	if (*family == ACL_V6 && (*v >> 32) == 0xffff) {
		*family = ACL_V4;
		*v &= 0xffffffffu;
	}
}

bool acl_cidr_contains(const struct acl_cidr *c, int family, acl_u128 v)
{
	return c->family == family &&
	       (v & ~acl_hostmask(family, c->len)) == c->v;
}

bool acl_cidr_overlap(const struct acl_cidr *a, const struct acl_cidr *b,
		      struct acl_cidr *out)
{
	if (a->family != b->family)
		return false;
	if (a->len <= b->len && acl_cidr_contains(a, b->family, b->v)) {
		*out = *b;
		return true;
	}
	if (b->len < a->len && acl_cidr_contains(b, a->family, a->v)) {
		*out = *a;
		return true;
	}
	return false;
}

acl_u128 acl_addr_from_bytes(const uint8_t *b, size_t n)
{
	acl_u128 v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

void acl_addr_to_bytes(acl_u128 v, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}
