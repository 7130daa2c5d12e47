/* The model: the JSON round trip, diff, the kernel form (allows_of), and
 * the verdict engine of explain held against that kernel form. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "compiler/cmd/input.h"
#include "compiler/files.h"
#include "compiler/diag.h"
#include "compiler/model/allows.h"
#include "compiler/model/diff.h"
#include "compiler/model/json.h"
#include "compiler/model/verdict.h"

static void from_json(const char *text, struct model *m)
{
	model_init(m);
	cr_assert_eq(model_from_json("test.json", text, strlen(text), m), 0, "%s", text);
}

/* One target "t" with these members. */
static char *target_json(bool all, const char *priv, const char *rules, const char *allow)
{
	char *s;

	cr_assert(asprintf(&s, "{\"schema\": 1, \"targets\": {\"t\": {\"acl\": \"t\", "
			   "\"cgroup\": null, \"allow_all\": %s, \"private\": [%s], "
			   "\"rules\": [%s], \"allow\": [%s], \"dropped\": [], "
			   "\"unresolved\": []}}}", all ? "true" : "false", priv, rules, allow) > 0);
	return s;
}

static void golden_round_trip(const char *path)
{
	size_t len;
	char *text = files_read(path, &len), *out;
	struct model m;

	cr_assert_not_null(text, "%s", path);
	from_json(text, &m);
	out = model_to_json(&m);
	/* the file is what compile writes: the JSON and a newline */
	cr_assert_eq(strlen(out) + 1, len, "%s", path);
	cr_assert(strncmp(out, text, len - 1) == 0 && text[len - 1] == '\n',
		  "%s changed through model_from_json/model_to_json", path);
	free(out);
	free(text);
	model_free(&m);
}

Test(model, json_round_trip_is_the_identity)
{
	golden_round_trip("tests/golden/quickstart.json");
	golden_round_trip("tests/golden/pipeline.json");
}

Test(model, json_refuses_a_match_that_is_no_rule)
{
	char *j = target_json(false, "", "{\"match\": \"nonsense::\", \"ports\": [], "
				 "\"proto\": \"any\", \"origin\": []}", "");
	struct model m;

	diag_silence(1);
	model_init(&m);
	cr_assert_eq(model_from_json("test.json", j, strlen(j), &m), EX_DATAERR);
	diag_silence(0);
	model_free(&m);
	free(j);
}

Test(model, rule_kind_is_data)
{
	char *j = target_json(true, "", "{\"match\": \"*\", \"ports\": [], \"proto\": \"any\", \"origin\": []},"
				 "{\"match\": \"*.Example.COM.\", \"ports\": [], \"proto\": \"tcp\", \"origin\": []},"
				 "{\"match\": \"db.example.com\", \"ports\": [], \"proto\": \"tcp\", \"origin\": []},"
				 "{\"match\": \"10.0.0.0/8\", \"ports\": [], \"proto\": \"udp\", \"origin\": []}", "");
	struct model m;
	const struct m_rule *r;

	from_json(j, &m);
	r = m.t[0].rules;
	cr_assert_eq(r[0].what.kind, ACL_RULE_ANY);
	cr_assert_eq(r[1].what.kind, ACL_RULE_WILD);
	cr_assert_str_eq(r[1].what.name, "example.com"); /* normalised, not the text */
	cr_assert_eq(r[2].what.kind, ACL_RULE_EXACT);
	cr_assert_str_eq(r[2].what.name, "db.example.com");
	cr_assert_eq(r[3].what.kind, ACL_RULE_NET);
	cr_assert_eq(r[3].what.net.len, 8);
	cr_assert(m.t[0].allow_all);
	model_free(&m);
	free(j);
}

static char *diff_text(const struct model *a, const struct model *b, bool *differ)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	*differ = diff_models(f, a, b);
	fclose(f);
	return buf;
}

Test(model, diff_says_what_only_one_side_allows)
{
	char *ja = target_json(false, "", "", "{\"addr\": \"10.0.0.0/24\", \"ports\": [\"80\"], "
						"\"proto\": \"tcp\", \"via\": []}");
	/* the same set in another shape, plus one port */
	char *jb = target_json(false, "", "", "{\"addr\": \"10.0.0.0/25\", \"ports\": [\"80\"], "
						"\"proto\": \"tcp\", \"via\": []},"
						"{\"addr\": \"10.0.0.128/25\", \"ports\": [\"80\", \"443\"], "
						"\"proto\": \"tcp\", \"via\": []}");
	struct model a, b;
	bool differ;
	char *out;

	from_json(ja, &a);
	from_json(jb, &b);
	out = diff_text(&a, &a, &differ);
	cr_assert(!differ);
	cr_assert_str_eq(out, "");
	free(out);
	out = diff_text(&a, &b, &differ);
	cr_assert(differ);
	cr_assert_str_eq(out, "+ t: 10.0.0.128/25 ports 443 tcp\n");
	free(out);
	out = diff_text(&b, &a, &differ);
	cr_assert_str_eq(out, "- t: 10.0.0.128/25 ports 443 tcp\n");
	free(out);
	cr_assert(diff_target(fopen("/dev/null", "w"), &a.t[0], NULL));
	model_free(&a);
	model_free(&b);
	free(ja);
	free(jb);
}

static bool pbit(const struct acl_psets *t, uint32_t set, int k, unsigned port)
{
	return t->v[set].w[k][port >> 6] >> (port & 63) & 1;
}

Test(model, allows_of_flattens_and_keeps_star_apart)
{
	char *j = target_json(true, "\"loopback\"",
			      "{\"match\": \"*\", \"ports\": [\"443\"], \"proto\": \"tcp\", \"origin\": []}",
			      "{\"addr\": \"10.0.0.0/24\", \"ports\": [\"80\"], \"proto\": \"tcp\", \"via\": []},"
			      "{\"addr\": \"10.0.0.128/25\", \"ports\": [\"53\"], \"proto\": \"udp\", \"via\": []}");
	struct model m;
	struct allows a;
	const struct acl_flat *f;

	from_json(j, &m);
	allows_of(&m.t[0], false, &a);
	f = &a.flat[0];
	cr_assert_eq(f->n, 2);
	cr_assert_eq(f->iv[0].lo, 0x0a000000);
	cr_assert_eq(f->iv[0].hi, 0x0a00007f);
	cr_assert_eq(f->iv[1].lo, 0x0a000080);
	cr_assert_eq(f->iv[1].hi, 0x0a0000ff);
	cr_assert(pbit(&a.sets, f->iv[0].set, 0, 80) && !pbit(&a.sets, f->iv[0].set, 1, 53));
	cr_assert(pbit(&a.sets, f->iv[1].set, 0, 80) && pbit(&a.sets, f->iv[1].set, 1, 53));
	cr_assert_eq(a.flat[1].n, 0);
	cr_assert(a.allow_all);
	cr_assert(pbit(&a.sets, a.star, 0, 443) && !pbit(&a.sets, a.star, 1, 443));
	/* '*' reaches no private-use address, and loopback (private:) it does */
	cr_assert(acl_set_contains(&a.deny[0], 0x0a000001));
	cr_assert(!acl_set_contains(&a.deny[0], 0x7f000001));
	allows_free(&a);
	model_free(&m);
	free(j);
}

/* ---- the verdict engine against the kernel's decision ---- */

/* What netacl.bpf.c decides from the kernel form: the set of the
 * interval covering the address, else '*' outside the deny set. */
static bool kernel_allows(const struct allows *a, const struct verdict_query *q)
{
	int fi = q->family == ACL_V4 ? 0 : 1, k = q->proto == ACL_TCP ? 0 : 1;
	long set = acl_flat_lookup(&a->flat[fi], q->v);

	if (set >= 0 && pbit(&a->sets, (uint32_t)set, k, (unsigned)q->port))
		return true;
	return a->allow_all && a->star != ALLOWS_NO_STAR &&
	       !acl_set_contains(&a->deny[fi], q->v) &&
	       pbit(&a->sets, a->star, k, (unsigned)q->port);
}

static const char *const bases[] = { "10.1.0.0", "93.184.216.0", "127.0.0.0", "169.254.169.0" };
static const char *const protos[] = { "tcp", "udp", "any" };

static void random_ports(char *buf, size_t size)
{
	unsigned lo = 1 + (unsigned)rand() % 100, hi = lo + (unsigned)rand() % 20;

	if (rand() % 4 == 0)
		snprintf(buf, size, "[]");
	else
		snprintf(buf, size, "[\"%u-%u\", \"%u\"]", lo, hi, 1 + (unsigned)rand() % 120);
}

/* A random target: entries in a few /24s of different special rows,
 * maybe a '*' rule, maybe a private: (a row, a range covering the
 * metadata endpoint, or the endpoint itself). */
static char *random_target(void)
{
	char allow[4096] = "", rules[512] = "", ports[64];
	size_t n = 0;
	bool star = rand() % 2;

	for (int i = rand() % 6; i > 0; i--) {
		const char *b = bases[rand() % 4];
		int len = 24 + rand() % 9;
		unsigned host = (unsigned)rand() % 256 & ~((1u << (32 - len)) - 1);
		char addr[32];

		snprintf(addr, sizeof(addr), "%.*s%u/%d", (int)(strrchr(b, '.') - b + 1), b, host, len);
		random_ports(ports, sizeof(ports));
		n += (size_t)snprintf(allow + n, sizeof(allow) - n,
				      "%s{\"addr\": \"%s\", \"ports\": %s, \"proto\": \"%s\", \"via\": []}",
				      n ? "," : "", addr, ports, protos[rand() % 3]);
	}
	if (star) {
		random_ports(ports, sizeof(ports));
		snprintf(rules, sizeof(rules), "{\"match\": \"*\", \"ports\": %s, \"proto\": \"%s\", "
			 "\"origin\": []}", ports, protos[rand() % 3]);
	}
	static const char *const privs[] = { "", "\"loopback\"", "\"169.254.0.0/16\"",
					     "\"0.0.0.0/0\"", "\"metadata\"", "\"169.254.169.254/32\"" };

	return target_json(star, privs[rand() % 6], rules, allow);
}

Test(model, verdict_agrees_with_the_kernel_form)
{
	srand(7);
	for (int round = 0; round < 300; round++) {
		char *j = random_target();
		struct model m;
		struct allows a;

		from_json(j, &m);
		allows_of(&m.t[0], false, &a);
		for (int i = 0; i < 200; i++) {
			struct acl_cidr base;
			struct acl_err e;
			const char *b = bases[rand() % 4];
			struct verdict v;

			cr_assert_eq(acl_cidr_parse(b, strlen(b), &base, &e), 0);
			struct verdict_query q = { .family = ACL_V4, .v = base.v + (unsigned)rand() % 256,
						   .port = 1 + rand() % 130,
						   .proto = rand() % 2 ? ACL_TCP : ACL_UDP };
			char text[ACL_CIDR_STRLEN];

			verdict_of(&m.t[0], &q, &v);
			acl_addr_format(q.family, q.v, text);
			cr_assert_eq(v.allow, kernel_allows(&a, &q),
				     "round %d: %s port %d proto %d: explain says %s\n%s", round,
				     text, q.port, q.proto, v.allow ? "allow" : "deny", j);
		}
		allows_free(&a);
		model_free(&m);
		free(j);
	}
}

/* An object where a list of strings belongs: reported, and skipped whole
 * (its keys are no keys of the entry; the fuzzer found them read as
 * such, an out-of-bounds read under UBSan). */
Test(model, json_object_in_a_string_list_is_skipped_whole)
{
	const char *j = "{\"schema\": 1, \"targets\": {\"t\": {\"acl\": \"a\", \"cgroup\": null, "
			"\"allow_all\": false, \"private\": [{\"k\": [1, {\"x\": 2}]}], \"rules\": [], "
			"\"allow\": [{\"addr\": \"10.0.0.1/32\", \"ports\": [], \"proto\": \"tcp\", "
			"\"via\": [{\"addr\": \"1.2.3.4/32\"}, \"n\"]}], \"dropped\": [], \"unresolved\": []}}}";
	struct model m;

	diag_silence(1);
	diag_reset();
	model_init(&m);
	cr_assert_eq(model_from_json("test.json", j, strlen(j), &m), EX_DATAERR);
	cr_assert_eq(diag_error_count(), 2, "one error per misplaced object, got %u", diag_error_count());
	diag_silence(0);
	model_free(&m);
}
