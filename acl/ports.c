#include "ports.h"

#include <stdio.h>
#include <string.h>

void acl_ports_all(struct acl_ports *p)
{
	p->n = 1;
	p->r[0].lo = 0;
	p->r[0].hi = 65535;
}

bool acl_ports_is_all(const struct acl_ports *p)
{
	return p->n == 1 && p->r[0].lo == 0 && p->r[0].hi == 65535;
}

int acl_ports_add(struct acl_ports *p, unsigned lo, unsigned hi,
		  struct acl_err *err)
{
	unsigned i = 0, j;

	/* find the first range that ends at or after lo - 1 */
	while (i < p->n && (unsigned)p->r[i].hi + 1 < lo)
		i++;
	/* merge every range that overlaps or touches [lo, hi] */
	for (j = i; j < p->n && p->r[j].lo <= hi + 1; j++) {
		if (p->r[j].lo < lo)
			lo = p->r[j].lo;
		if (p->r[j].hi > hi)
			hi = p->r[j].hi;
	}
	if (j == i && p->n == ACL_MAX_PRANGES) {
		acl_errf(err, 0, "more than %d separate port ranges", ACL_MAX_PRANGES);
		return -1;
	}
	memmove(&p->r[i + 1], &p->r[j], (p->n - j) * sizeof(p->r[0]));
	p->n = p->n - (j - i) + 1;
	p->r[i].lo = (uint16_t)lo;
	p->r[i].hi = (uint16_t)hi;
	return 0;
}

static int parse_port(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

int acl_ports_add_text(struct acl_ports *p, const char *s, size_t n,
		       struct acl_err *err)
{
	const char *dash = memchr(s, '-', n);
	size_t ln = dash ? (size_t)(dash - s) : n;
	unsigned lo, hi;

	if (parse_port(s, ln, &lo)) {
		acl_errf(err, 0, "invalid port '%.*s' (a number 1-65535)", (int)ln, s);
		return -1;
	}
	hi = lo;
	if (dash && parse_port(dash + 1, n - ln - 1, &hi)) {
		acl_errf(err, ln + 1, "invalid port '%.*s' (a number 1-65535)",
			 (int)(n - ln - 1), dash + 1);
		return -1;
	}
	if (hi < lo) {
		acl_errf(err, 0, "port range %u-%u is backwards", lo, hi);
		return -1;
	}
	return acl_ports_add(p, lo, hi, err);
}

bool acl_ports_contains(const struct acl_ports *p, unsigned port)
{
	for (unsigned i = 0; i < p->n; i++)
		if (port >= p->r[i].lo && port <= p->r[i].hi)
			return true;
	return false;
}

void acl_ports_intersect(const struct acl_ports *a, const struct acl_ports *b,
			 struct acl_ports *out)
{
	struct acl_ports r = { 0 };
	unsigned i = 0, j = 0;

	/* both sides are sorted and disjoint: a merge walk */
	while (i < a->n && j < b->n) {
		unsigned lo = a->r[i].lo > b->r[j].lo ? a->r[i].lo : b->r[j].lo;
		unsigned hi = a->r[i].hi < b->r[j].hi ? a->r[i].hi : b->r[j].hi;

		if (lo <= hi && r.n < ACL_MAX_PRANGES) {
			r.r[r.n].lo = (uint16_t)lo;
			r.r[r.n].hi = (uint16_t)hi;
			r.n++;
		}
		if (a->r[i].hi < b->r[j].hi)
			i++;
		else
			j++;
	}
	*out = r;
}

bool acl_ports_equal(const struct acl_ports *a, const struct acl_ports *b)
{
	return a->n == b->n && memcmp(a->r, b->r, a->n * sizeof(a->r[0])) == 0;
}

void acl_prange_format(const struct acl_prange *r, char *buf, size_t size)
{
	if (r->lo == r->hi)
		snprintf(buf, size, "%u", r->lo);
	else
		snprintf(buf, size, "%u-%u", r->lo, r->hi);
}

void acl_ports_format(const struct acl_ports *p, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < p->n && n + 16 < size; i++) {
		if (i)
			buf[n++] = ',';
		acl_prange_format(&p->r[i], buf + n, size - n);
		n += strlen(buf + n);
	}
}

int acl_proto_parse(const char *s)
{
	if (strcmp(s, "tcp") == 0)
		return ACL_TCP;
	if (strcmp(s, "udp") == 0)
		return ACL_UDP;
	if (strcmp(s, "any") == 0)
		return ACL_ANY_PROTO;
	return -1;
}

const char *acl_proto_name(int proto)
{
	switch (proto) {
	case ACL_TCP:
		return "tcp";
	case ACL_UDP:
		return "udp";
	default:
		return "any";
	}
}
