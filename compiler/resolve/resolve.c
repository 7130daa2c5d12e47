#define _GNU_SOURCE
#include "compiler/resolve/resolve.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acl/host.h"
#include "acl/set.h"
#include "acl/set.h"
#include "compiler/diag.h"
#include "compiler/files.h"
#include "compiler/resolve/dns.h"

void resolve_opts_init(struct resolve_opts *o)
{
	const char *eh = getenv("NETACL_ETC_HOSTS");

	memset(o, 0, sizeof(*o));
	o->etc_hosts = eh && *eh ? eh : "/etc/hosts";
	o->timeout_ms = 5000;
	o->max_addrs = 256;
}

/* Appends; repeats are merged by resolve_canonicalise (a name may have a
 * million answers in a hosts file, so no search here). */
void resolve_answer_add(struct resolution *r, int family, acl_u128 v, int64_t ttl)
{
	if ((r->n & (r->n - 1)) == 0) /* grow at powers of two */
		r->a = acl_xrealloc(r->a, (r->n ? 2 * r->n : 1) * sizeof(*r->a));
	r->a[r->n].family = (uint8_t)family;
	r->a[r->n].v = v;
	r->a[r->n].ttl = ttl;
	r->n++;
}

static int answer_cmp(const void *x, const void *y)
{
	const struct answer *a = x, *b = y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return (a->v > b->v) - (a->v < b->v);
}

void resolve_canonicalise(struct resolution *r, unsigned max)
{
	size_t k = 0;

	acl_sort(r->a, r->n, sizeof(*r->a), answer_cmp);
	for (size_t i = 0; i < r->n; i++) {
		struct answer *last = k ? &r->a[k - 1] : NULL;

		if (last && answer_cmp(last, &r->a[i]) == 0) {
			/* a repeated record: the soonest expiry wins */
			if (r->a[i].ttl >= 0 && (last->ttl < 0 || r->a[i].ttl < last->ttl))
				last->ttl = r->a[i].ttl;
		} else {
			r->a[k++] = r->a[i];
		}
	}
	r->n = k;
	if (max && r->n > max) {
		r->n = max;
		r->truncated = true;
	}
}

/* Wanted names, sorted, so each hosts-file token is a binary search. */
struct name_index {
	const char *const *names;
	size_t n, *order;
};

static int order_cmp(const void *a, const void *b, void *names)
{
	const char *const *v = names;

	return strcmp(v[*(const size_t *)a], v[*(const size_t *)b]);
}

static void index_build(struct name_index *ix, const char *const *names, size_t n)
{
	ix->names = names;
	ix->n = n;
	ix->order = calloc(n + 1, sizeof(size_t));
	if (!ix->order)
		abort();
	for (size_t i = 0; i < n; i++)
		ix->order[i] = i;
	qsort_r(ix->order, n, sizeof(size_t), order_cmp, (void *)names);
}

/* The position of name in names[], or n. */
static size_t index_find(const struct name_index *ix, const char *name)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, ix->names[ix->order[mid]]);

		if (c == 0)
			return ix->order[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return ix->n;
}

/* One hosts file: for every wanted name still unanswered, the addresses
 * the file gives it.  A name is answered by the first file naming it. */
static int read_hosts(const char *path, bool strict, const struct name_index *ix,
		      struct resolution *out, bool *answered)
{
	size_t n = ix->n, cap = 0, total = 0;
	FILE *f = files_open(path);
	bool *here = calloc(n + 1, sizeof(bool));
	char *line = NULL;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 0;

	if (!here)
		abort();
	if (!f) {
		free(here);
		if (!strict && errno == ENOENT)
			return 0;
		die_msg("cannot read hosts file %s: %s", path, files_strerror(errno));
		return errno == EFBIG ? EX_DATAERR : EX_NOINPUT;
	}
	/* whole lines, however long: a tail is never a line of its own */
	while ((got = getline(&line, &cap, f)) > 0) {
		char *save = NULL, *addr, *tok;
		struct acl_cidr c;
		size_t len;

		total += (size_t)got;
		if (total > FILES_MAX_BYTES) {
			die_msg("cannot read hosts file %s: %s", path, files_strerror(EFBIG));
			rc = EX_DATAERR;
			break;
		}
		lineno++;
		line[strcspn(line, "#\n")] = 0;
		addr = strtok_r(line, " \t\r", &save);
		if (!addr)
			continue;
		len = strlen(addr);
		if (acl_cidr_parse(addr, len, &c, NULL) != 0 || strchr(addr, '/')) {
			if (strict) {
				diag_error(path, lineno, 1, "invalid address '%s' in hosts file", addr);
				rc = EX_DATAERR;
			}
			continue;
		}
		while ((tok = strtok_r(NULL, " \t\r", &save))) {
			struct acl_host h;

			if (acl_host_parse(tok, strlen(tok), true, &h, NULL))
				continue;
			size_t i = index_find(ix, h.name);

			if (i < n && !answered[i]) {
				here[i] = true;
				resolve_answer_add(&out[i], c.family, c.v, -1);
			}
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc) { /* all or nothing: a refused file answers no name */
		free(here);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		answered[i] |= here[i];
	free(here);
	return rc;
}

int resolve_all(const struct resolve_opts *o, const char *const *names, size_t n,
		struct resolution *out)
{
	bool *answered = calloc(n + 1, sizeof(bool));
	size_t *idx = calloc(n + 1, sizeof(size_t)), nidx = 0;
	struct name_index ix;
	int rc = 0;

	if (!answered || !idx)
		abort();
	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i].name = names[i];
	rc = dns_check_resolvers(o);
	index_build(&ix, names, n);
	for (size_t f = 0; f < o->nhosts_files && !rc; f++)
		rc = read_hosts(o->hosts_files[f], true, &ix, out, answered);
	if (!rc)
		rc = read_hosts(o->etc_hosts, false, &ix, out, answered);
	free(ix.order);
	for (size_t i = 0; i < n && !rc; i++) {
		if (answered[i])
			continue;
		if (o->offline)
			out[i].error = "offline";
		else
			idx[nidx++] = i;
	}
	if (!rc && nidx)
		rc = dns_resolve(o, out, idx, nidx);
	for (size_t i = 0; i < n && !rc; i++) {
		resolve_canonicalise(&out[i], o->max_addrs);
		if (out[i].truncated)
			diag_warning(names[i], 0, 0,
				     "more than %u addresses; keeping the lowest %u "
				     "(raise --max-addrs to keep more)",
				     o->max_addrs, o->max_addrs);
	}
	free(answered);
	free(idx);
	return rc;
}

void resolve_free(struct resolution *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].a);
}
