/* netacl diff A.json B.json: what a target allows in one and not the
 * other.  Exit 0 same, 1 different. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cli.h"
#include "compiler/diag.h"

static const char usage[] = "netacl diff A.json B.json";

/* One allowed thing as a line: "ADDR PORTS PROTO" or "* PORTS PROTO". */
static void entry_line(const struct acl_cidr *addr, const struct acl_ports *p, int proto,
		       char *buf, size_t size)
{
	char a[ACL_CIDR_STRLEN] = "*";
	size_t n;

	if (addr)
		acl_cidr_format(addr, a);
	snprintf(buf, size, "%s ports ", a);
	n = strlen(buf);
	if (acl_ports_is_all(p))
		snprintf(buf + n, size - n, "all");
	for (unsigned i = 0; i < p->n && !acl_ports_is_all(p) && n + 16 < size; i++) {
		if (i)
			buf[n++] = ',';
		acl_prange_format(&p->r[i], buf + n, size - n);
		n = strlen(buf);
	}
	n = strlen(buf);
	snprintf(buf + n, size - n, " %s", acl_proto_name(proto));
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted lines of what t allows; the private exemptions of '*' too. */
static char **lines_of(const struct m_target *t, size_t *n)
{
	char **v = calloc(t->nallow + t->nrules + t->priv_text.n + 1, sizeof(char *));
	char buf[512];

	*n = 0;
	if (!v)
		abort();
	for (size_t i = 0; i < t->nallow; i++) {
		entry_line(&t->allow[i].addr, &t->allow[i].ports, t->allow[i].proto, buf, sizeof(buf));
		v[(*n)++] = strdup(buf);
	}
	for (size_t i = 0; i < t->nrules; i++)
		if (strcmp(t->rules[i].match, "*") == 0) {
			entry_line(NULL, &t->rules[i].ports, t->rules[i].proto, buf, sizeof(buf));
			v[(*n)++] = strdup(buf);
		}
	for (size_t i = 0; t->allow_all && i < t->priv_text.n; i++) {
		snprintf(buf, sizeof(buf), "private %s", t->priv_text.v[i]);
		v[(*n)++] = strdup(buf);
	}
	xsort(v, *n, sizeof(char *), line_cmp);
	return v;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Print the lines only one side has; true if any. */
static bool diff_target(const struct m_target *a, const struct m_target *b)
{
	size_t na = 0, nb = 0, i = 0, j = 0;
	char **la = a ? lines_of(a, &na) : NULL, **lb = b ? lines_of(b, &nb) : NULL;
	const char *name = a ? a->name : b->name;
	bool differ = false;

	if (!a || !b) {
		printf("%c target %s\n", a ? '-' : '+', name);
		differ = true;
	}
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(la[i], lb[j]);

		if (c == 0) {
			i++, j++;
			continue;
		}
		differ = true;
		if (c < 0)
			printf("- %s: %s\n", name, la[i++]);
		else
			printf("+ %s: %s\n", name, lb[j++]);
	}
	free_lines(la, na);
	free_lines(lb, nb);
	return differ;
}

int cmd_diff(int argc, char **argv)
{
	struct cli c;
	struct model a, b;
	struct resolve_opts none;
	bool differ = false;
	size_t i = 0, j = 0;
	int rc = cli_parse(argc, argv, 0, usage, &c);

	if (!rc && c.nargs != 2)
		rc = cli_usage_error(usage, "diff takes two compiled JSON files");
	if (rc) {
		free(c.args);
		return rc;
	}
	resolve_opts_init(&none);
	none.offline = true;
	model_init(&a);
	model_init(&b);
	rc = input_load(c.args[0], &none, NULL, 0, &a);
	if (!rc)
		rc = input_load(c.args[1], &none, NULL, 0, &b);
	while (!rc && (i < a.n || j < b.n)) {
		int cmp = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.t[i].name, b.t[j].name);

		if (cmp == 0)
			differ |= diff_target(&a.t[i++], &b.t[j++]);
		else if (cmp < 0)
			differ |= diff_target(&a.t[i++], NULL);
		else
			differ |= diff_target(NULL, &b.t[j++]);
	}
	if (!rc && differ)
		rc = 1;
	model_free(&a);
	model_free(&b);
	free(c.args);
	return rc;
}
