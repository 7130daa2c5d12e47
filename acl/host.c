#include "host.h"

#include <libpsl.h>
#include <stdio.h>
#include <string.h>

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A final label of digits only, or 0x + hex digits, makes a name that
 * resolvers and inet_aton would read as a number: refuse it. */
static bool numeric_label(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!strchr("0123456789abcdefABCDEF", s[i]))
				return false;
		return true;
	}
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Validate the labels of s[0..n) (no wildcard), at offset base. */
static int check_labels(const char *s, size_t n, size_t base,
			struct acl_err *err)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t len;

		if (i < n && s[i] != '.') {
			if ((unsigned char)s[i] >= 0x80) {
				acl_errf(err, base + i,
					 "non-ASCII host name; write its punycode "
					 "(A-label) form, e.g. xn--bcher-kva.example");
				return -1;
			}
			if (!is_ldh(s[i])) {
				acl_errf(err, base + i,
					 "invalid character '%c' in host name "
					 "(letters, digits, '-' and '_' only)",
					 s[i]);
				return -1;
			}
			continue;
		}
		len = i - start;
		if (len == 0) {
			acl_errf(err, base + i, "empty label in host name");
			return -1;
		}
		if (len > 63) {
			acl_errf(err, base + start,
				 "label '%.*s...' is %zu bytes long (at most 63)",
				 10, s + start, len);
			return -1;
		}
		if (s[start] == '-' || s[i - 1] == '-') {
			acl_errf(err, base + (s[start] == '-' ? start : i - 1),
				 "label '%.*s' starts or ends with a hyphen",
				 (int)len, s + start);
			return -1;
		}
		if (i == n && numeric_label(s + start, len)) {
			acl_errf(err, base,
				 "'%.*s' is neither a host name (its last label "
				 "is numeric) nor an IPv4 address (write a dotted "
				 "quad a.b.c.d with decimal parts 0-255)",
				 (int)(n), s);
			return -1;
		}
		start = i + 1;
	}
	return 0;
}

int acl_host_parse(const char *s, size_t n, bool concrete_only,
		   struct acl_host *out, struct acl_err *err)
{
	size_t base = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		acl_errf(err, 0, "empty host name");
		return -1;
	}
	if (n == 1 && s[0] == '*') {
		if (concrete_only) {
			acl_errf(err, 0, "'*' is a pattern; a concrete host name is needed here");
			return -1;
		}
		out->kind = ACL_HOST_ANY;
		return 0;
	}
	if (n > 1 && s[n - 1] == '.')
		n--; /* one trailing dot: the fully qualified form */
	out->kind = ACL_HOST_EXACT;
	if (s[0] == '*') {
		if (concrete_only) {
			acl_errf(err, 0, "a wildcard is a pattern; a concrete host name is needed here");
			return -1;
		}
		if (n < 3 || s[1] != '.') {
			acl_errf(err, 0, "'*' must be the whole first label, as in *.example.com");
			return -1;
		}
		out->kind = ACL_HOST_WILD;
		base = 2;
	}
	if (memchr(s + base, '*', n - base)) {
		acl_errf(err, (size_t)((const char *)memchr(s + base, '*', n - base) - s),
			 "'*' must be the whole first label, as in *.example.com");
		return -1;
	}
	if (n - base > ACL_NAME_MAX) {
		acl_errf(err, 0, "host name is %zu bytes long (at most %d)",
			 n - base, ACL_NAME_MAX);
		return -1;
	}
	if (check_labels(s + base, n - base, base, err))
		return -1;
	for (size_t i = base; i < n; i++)
		out->name[i - base] = lower(s[i]);
	if (out->kind == ACL_HOST_WILD) {
		/* a name under it needs a label and a dot more: "x." */
		if (n - base + 2 > ACL_NAME_MAX) {
			acl_errf(err, 2, "wildcard suffix is %zu bytes long: no name under it fits "
				 "in %d bytes (at most %d)", n - base, ACL_NAME_MAX, ACL_NAME_MAX - 2);
			return -1;
		}
		if (!strchr(out->name, '.')) {
			acl_errf(err, 2, "wildcard on the single-label suffix '%s' "
				 "would match a whole top-level domain", out->name);
			return -1;
		}
		if (psl_is_public_suffix2(psl_builtin(), out->name, PSL_TYPE_ICANN)) {
			acl_errf(err, 2, "wildcard on the public suffix '%s' would "
				 "match every domain registered under it", out->name);
			return -1;
		}
	}
	return 0;
}

static bool under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s + 1 && name[n - s - 1] == '.' &&
	       memcmp(name + n - s, suffix, s) == 0;
}

bool acl_name_matches(enum acl_host_kind kind, const char *pattern, const char *name)
{
	switch (kind) {
	case ACL_HOST_ANY:
		return true;
	case ACL_HOST_EXACT:
		return strcmp(pattern, name) == 0;
	case ACL_HOST_WILD:
		return under(name, pattern);
	}
	return false;
}

bool acl_host_matches(const struct acl_host *pat, const char *name)
{
	return acl_name_matches(pat->kind, pat->name, name);
}

bool acl_host_intersect(const struct acl_host *a, const struct acl_host *b,
			struct acl_host *out)
{
	if (a->kind == ACL_HOST_ANY || b->kind == ACL_HOST_ANY) {
		*out = a->kind == ACL_HOST_ANY ? *b : *a;
		return true;
	}
	if (a->kind == ACL_HOST_EXACT || b->kind == ACL_HOST_EXACT) {
		const struct acl_host *e = a->kind == ACL_HOST_EXACT ? a : b;
		const struct acl_host *o = e == a ? b : a;

		*out = *e;
		return acl_host_matches(o, e->name);
	}
	/* two wildcards: the longer one, if its suffix lies under the other */
	if (strcmp(a->name, b->name) == 0 || under(a->name, b->name)) {
		*out = *a;
		return true;
	}
	if (under(b->name, a->name)) {
		*out = *b;
		return true;
	}
	return false;
}

void acl_host_format(const struct acl_host *h, char *buf, size_t size)
{
	switch (h->kind) {
	case ACL_HOST_ANY:
		snprintf(buf, size, "*");
		break;
	case ACL_HOST_EXACT:
		snprintf(buf, size, "%s", h->name);
		break;
	case ACL_HOST_WILD:
		snprintf(buf, size, "*.%s", h->name);
		break;
	}
}
