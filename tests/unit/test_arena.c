/* The arena that holds a policy's rules and the model, and the compact
 * rule records of a policy's lists. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "compiler/arena.h"
#include "compiler/policy/policy.h"

Test(arena, grown_arrays_keep_their_elements_past_the_small_blocks)
{
	struct arena *a = arena_new();
	uint64_t *v = NULL, *w = NULL;
	size_t n = 300000; /* 2.4 MB: the array moves to a block of its own */

	for (size_t i = 0; i < n; i++) {
		v = arena_grow(a, v, i, sizeof(*v));
		v[i] = i * 2654435761u;
		/* a second array grown in between, and small allocations */
		w = arena_grow(a, w, i, sizeof(*w));
		w[i] = ~v[i];
		if (i % 1000 == 0)
			cr_assert_str_eq(arena_strdup(a, "x.example"), "x.example");
	}
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(v[i], i * 2654435761u, "element %zu", i);
		cr_assert_eq(w[i], ~v[i], "element %zu", i);
	}
	arena_free(a);
}

Test(arena, allocations_are_aligned_and_zeroed)
{
	struct arena *a = arena_new();

	for (int i = 0; i < 100; i++) {
		char *s = arena_strdup(a, "abc"); /* strings pack at any byte */
		unsigned char *p = arena_alloc(a, 33);

		cr_assert_str_eq(s, "abc");
		cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0);
		for (int k = 0; k < 33; k++)
			cr_assert_eq(p[k], 0);
		memset(p, 0xff, 33);
	}
	arena_free(a);
}

Test(arena, equal_port_sets_share_one_copy_of_their_ranges)
{
	struct arena *a = arena_new();
	struct acl_ports p = { 0 }, q = { 0 }, all;
	struct acl_err e;
	const struct acl_ports *x, *y, *z;

	cr_assert_eq(acl_ports_add(&p, 80, 80, &e), 0);
	cr_assert_eq(acl_ports_add(&p, 443, 443, &e), 0);
	cr_assert_eq(acl_ports_add(&q, 443, 443, &e), 0);
	cr_assert_eq(acl_ports_add(&q, 80, 80, &e), 0);
	acl_ports_all(&all);
	x = arena_ports(a, &p);
	y = arena_ports(a, &q);
	z = arena_ports(a, &all);
	cr_assert_eq(x, y, "the same set, added in another order");
	cr_assert_neq(x, z);
	cr_assert(acl_ports_equal(x, &p) && acl_ports_is_all(z));
	for (unsigned i = 0; i < 5000; i++) { /* many sets: the table rehashes */
		struct acl_ports one = { 0 };

		cr_assert_eq(acl_ports_add(&one, 1 + i, 1 + i, &e), 0);
		cr_assert(acl_ports_contains(arena_ports(a, &one), 1 + i));
	}
	cr_assert_eq(arena_ports(a, &p), x, "still found after rehashing");
	arena_free(a);
}

static struct acl_rule R(const char *s, unsigned line)
{
	struct acl_rule r;
	struct acl_err e;

	cr_assert_eq(acl_rule_parse(s, strlen(s), &r, &e), 0, "%s: %s", s, e.msg);
	r.norig = 2;
	r.orig[0] = (struct acl_origin){ "p.yaml", line, 7 };
	r.orig[1] = (struct acl_origin){ "q.yaml", line + 1, 9 };
	return r;
}

Test(rule_list, records_expand_to_the_rules_pushed)
{
	const char *rules[] = { "*", "db.example.com:5432", "*.cdn.example.com:8000-8080",
				"10.0.0.0/8:53", "[2001:db8::1]:443", "api.example.com" };
	struct arena *a = arena_new();
	struct rule_list l = { 0 };
	size_t n = sizeof(rules) / sizeof(rules[0]);

	for (size_t i = 0; i < n; i++) {
		struct acl_rule r = R(rules[i], (unsigned)i + 1);

		r.proto = i % 2 ? ACL_TCP : ACL_ANY_PROTO;
		r.floor = i == 3;
		policy_rules_push(a, &l, &r);
	}
	cr_assert_eq(l.n, n);
	for (size_t i = 0; i < n; i++) {
		struct acl_rule want = R(rules[i], (unsigned)i + 1), got;
		char a1[300], a2[300];

		want.proto = i % 2 ? ACL_TCP : ACL_ANY_PROTO;
		want.floor = i == 3;
		policy_rule_get(&l, i, &got);
		acl_rule_format_match(&want, a1, sizeof(a1));
		acl_rule_format_match(&got, a2, sizeof(a2));
		cr_assert_str_eq(a2, a1);
		cr_assert_eq(got.kind, want.kind);
		cr_assert_eq(got.host.kind, want.host.kind);
		cr_assert_eq(got.has_net, want.has_net);
		cr_assert(!got.has_net || memcmp(&got.net, &want.net, sizeof(got.net)) == 0);
		cr_assert_eq(got.floor, want.floor);
		cr_assert(acl_ports_equal(&got.ports, &want.ports), "%s", rules[i]);
		cr_assert_eq(got.proto, want.proto);
		cr_assert_eq(got.norig, 2);
		cr_assert_eq(got.orig[1].line, i + 2);
		cr_assert_str_eq(got.orig[1].file, "q.yaml");
	}
	policy_rules_free(&l);
	arena_free(a);
}
