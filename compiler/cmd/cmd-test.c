/* netacl test (POLICY|JSON) TESTS.yaml [--junit FILE]: expectations of
 * what targets reach (netacl-policy(5), TESTS), checked offline with
 * explain's verdict engine.  Exit 0 when every one holds, 1 when one
 * does not, each failure located like a compiler's error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cmd/cli.h"
#include "compiler/cmd/input.h"
#include "compiler/cmd/junit.h"
#include "compiler/cmd/verbs.h"
#include "compiler/diag.h"
#include "compiler/exits.h"
#include "compiler/files.h"
#include "compiler/model/expect.h"
#include "compiler/policy/yaml.h"

static const char usage[] =
	"netacl test (POLICY|JSON) TESTS.yaml [--junit FILE] [--hosts-file FILE] [--offline]\n"
	"       [--resolver IP[:PORT]] [--timeout MS] [--max-addrs N] [--strict]";

struct tests {
	const char *file;
	struct ynode *root;
	struct junit_case *c;  /* one per expectation */
	struct expect *e;
	size_t n, failed;
};

static const struct {
	const char *key, *says, *expected;
	bool reach, bind;
} verbs[] = { { "reaches", "reaches", "to reach", true, false },
	      { "does_not_reach", "does not reach", "not to reach", false, false },
	      { "binds", "binds", "to bind", true, true },
	      { "does_not_bind", "does not bind", "not to bind", false, true } };
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static bool is(const struct tests *ts, const struct ynode *n, enum ynode_kind k, const char *what)
{
	if (n->kind == k)
		return true;
	diag_error(ts->file, n->line, n->col, "%s must be %s, not %s", what, ykind_name(k),
		   ykind_name(n->kind));
	return false;
}

static void add(struct tests *ts, const char *target, const struct ynode *n, size_t verb)
{
	struct acl_err err = { 0 };
	struct expect e;

	if (!is(ts, n, Y_SCALAR, "an expectation"))
		return;
	if (expect_parse(n->str, n->len, verbs[verb].reach, verbs[verb].bind, &e, &err)) {
		diag_error(ts->file, n->line, n->col + (unsigned)err.off, "%s", err.msg);
		return;
	}
	ts->e = realloc(ts->e, (ts->n + 1) * sizeof(*ts->e));
	ts->c = realloc(ts->c, (ts->n + 1) * sizeof(*ts->c));
	if (!ts->e || !ts->c)
		abort();
	ts->e[ts->n] = e;
	ts->c[ts->n] = (struct junit_case){ .suite = target, .text = n->str, .file = ts->file,
					    .line = n->line, .col = n->col,
					    .says = verbs[verb].says, .expected = verbs[verb].expected };
	ts->n++;
}

/* TARGET: { reaches: [...], does_not_reach: [...] } */
static void add_target(struct tests *ts, const struct ynode *key, const struct ynode *v)
{
	if (!is(ts, v, Y_MAP, "a target's expectations"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		size_t k = 0;

		while (k < NVERBS && strcmp(v->keys[i]->str, verbs[k].key) != 0)
			k++;
		if (k == NVERBS) {
			diag_error(ts->file, v->keys[i]->line, v->keys[i]->col,
				   "unknown key '%s' (expected reaches, does_not_reach, binds or "
				   "does_not_bind)", v->keys[i]->str);
			continue;
		}
		if (v->items[i]->kind == Y_SCALAR) {
			add(ts, key->str, v->items[i], k);
			continue;
		}
		if (!is(ts, v->items[i], Y_SEQ, verbs[k].key))
			continue;
		for (size_t j = 0; j < v->items[i]->n; j++)
			add(ts, key->str, v->items[i]->items[j], k);
	}
}

static void read_root(struct tests *ts, const struct ynode *r)
{
	const struct ynode *version = ymap_get(r, "version"), *expect = ymap_get(r, "expect");

	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->keys[i]->str, "version") && strcmp(r->keys[i]->str, "expect"))
			diag_error(ts->file, r->keys[i]->line, r->keys[i]->col,
				   "unknown key '%s' (expected version or expect)", r->keys[i]->str);
	if (!version)
		diag_error(ts->file, r->line, r->col, "missing 'version: 1'");
	else if (version->kind != Y_SCALAR || strcmp(version->str, "1") != 0)
		diag_error(ts->file, version->line, version->col, "version must be 1");
	if (!expect) {
		diag_error(ts->file, r->line, r->col, "missing 'expect:', the expectations");
		return;
	}
	if (!is(ts, expect, Y_MAP, "expect"))
		return;
	for (size_t i = 0; i < expect->n; i++)
		add_target(ts, expect->keys[i], expect->items[i]);
}

/* The tests file, parsed; an exit status. */
static int read_tests(struct tests *ts, char **text)
{
	size_t len;

	*text = files_read(ts->file, &len);
	if (!*text) {
		die_msg("cannot read %s: %s", ts->file, files_strerror(errno));
		return EX_NOINPUT;
	}
	diag_source(ts->file, *text, len);
	ts->root = yaml_load(ts->file, *text, len);
	if (ts->root && is(ts, ts->root, Y_MAP, "a tests file"))
		read_root(ts, ts->root);
	if (!ts->root || diag_error_count())
		return EX_DATAERR;
	if (!ts->n) {
		diag_error(ts->file, 0, 0, "no expectations");
		return EX_DATAERR;
	}
	return 0;
}

/* Every test names a target the input has: a located error otherwise. */
static int targets_known(const struct tests *ts, const struct model *m, const char *input)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!model_find(m, ts->c[i].suite) &&
		    (i == 0 || strcmp(ts->c[i].suite, ts->c[i - 1].suite) != 0))
			diag_error(ts->file, ts->c[i].line, ts->c[i].col, "%s has no target named '%s'",
				   input, ts->c[i].suite);
	return diag_error_count() ? EX_DATAERR : 0;
}

static void judge(struct tests *ts, const struct model *m)
{
	for (size_t i = 0; i < ts->n; i++) {
		struct junit_case *c = &ts->c[i];

		c->pass = expect_holds(model_find(m, c->suite), &ts->e[i], c->why, sizeof(c->why));
		printf("%-4s %s %s %s\n", c->pass ? "ok" : "FAIL", c->suite, c->says, c->text);
		if (c->pass)
			continue;
		ts->failed++;
		diag_error(ts->file, c->line, c->col, "expected %s %s %s, but %s", c->suite,
			   c->expected, c->text, c->why);
	}
	printf("%zu expectations: %zu passed, %zu failed\n", ts->n, ts->n - ts->failed, ts->failed);
	fflush(stdout);
}

static int run_tests(const struct cli *c, struct tests *ts)
{
	struct model m;
	int rc;

	model_init(&m);
	rc = input_load(c->args[0], &c->ro, NULL, 0, &m);
	if (!rc)
		rc = targets_known(ts, &m, c->args[0]);
	if (!rc) {
		judge(ts, &m);
		if (c->junit)
			rc = junit_write(c->junit, ts->c, ts->n);
		if (!rc && ts->failed)
			rc = EX_DENIED;
	}
	model_free(&m);
	return rc;
}

int cmd_test(int argc, char **argv)
{
	struct cli c;
	struct tests ts = { 0 };
	char *text = NULL;
	int rc = cli_parse(argc, argv, OPT_RESOLVE | OPT_JUNIT, usage, &c);

	if (!rc && c.nargs != 2)
		rc = cli_usage_error(usage, "test takes a policy (or compiled file) and a tests file");
	if (!rc) {
		ts.file = c.args[1];
		rc = read_tests(&ts, &text);
	}
	if (!rc)
		rc = run_tests(&c, &ts);
	ynode_free(ts.root);
	free(text);
	free(ts.e);
	free(ts.c);
	free(c.args);
	return rc;
}
