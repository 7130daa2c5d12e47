#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "acl/host.h"

static struct acl_host H(const char *s)
{
	struct acl_host h;
	struct acl_err e;

	cr_assert_eq(acl_host_parse(s, strlen(s), false, &h, &e), 0, "%s: %s", s, e.msg);
	return h;
}

static const char *refusal(const char *s)
{
	static struct acl_err e;
	struct acl_host h;

	cr_assert_neq(acl_host_parse(s, strlen(s), false, &h, &e), 0, "%s accepted", s);
	return e.msg;
}

Test(host, exact_is_case_folded_and_dot_trimmed)
{
	struct acl_host h = H("DB.Example.COM.");

	cr_assert_eq(h.kind, ACL_HOST_EXACT);
	cr_assert_str_eq(h.name, "db.example.com");
}

Test(host, wildcard_and_any)
{
	struct acl_host h = H("*.Example.com");

	cr_assert_eq(h.kind, ACL_HOST_WILD);
	cr_assert_str_eq(h.name, "example.com");
	cr_assert_eq(H("*").kind, ACL_HOST_ANY);
}

Test(host, underscore_and_digits_accepted)
{
	cr_assert_str_eq(H("_srv.x-1.example.com").name, "_srv.x-1.example.com");
	cr_assert_str_eq(H("123.example.com").name, "123.example.com");
}

Test(host, bad_wildcards)
{
	cr_assert(strstr(refusal("*foo.com"), "whole first label"));
	cr_assert(strstr(refusal("a.*.com"), "whole first label"));
	cr_assert(strstr(refusal("**.com"), "whole first label"));
	cr_assert(strstr(refusal("*."), "whole first label"));
	cr_assert(strstr(refusal("*.*.example.com"), "whole first label"));
}

Test(host, wildcard_on_public_suffix_refused)
{
	cr_assert(strstr(refusal("*.com"), "single-label"));
	cr_assert(strstr(refusal("*.internal"), "single-label"));
	cr_assert(strstr(refusal("*.co.uk"), "public suffix"));
	cr_assert(strstr(refusal("*.com.au"), "public suffix"));
	/* private-section suffixes stay usable */
	cr_assert_eq(H("*.s3.amazonaws.com").kind, ACL_HOST_WILD);
	cr_assert_eq(H("*.github.io").kind, ACL_HOST_WILD);
	cr_assert_eq(H("*.rds.amazonaws.com").kind, ACL_HOST_WILD);
}

Test(host, label_rules)
{
	char longlabel[80], longname[300];

	cr_assert(strstr(refusal("a..b"), "empty label"));
	cr_assert(strstr(refusal(".a"), "empty label"));
	cr_assert(strstr(refusal("a.b.."), "empty label"));
	cr_assert(strstr(refusal(""), "empty"));
	cr_assert(strstr(refusal("-a.example.com"), "hyphen"));
	cr_assert(strstr(refusal("a-.example.com"), "hyphen"));
	cr_assert(strstr(refusal("a b.com"), "invalid character"));
	cr_assert(strstr(refusal("a!.com"), "invalid character"));
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".com");
	cr_assert(strstr(refusal(longlabel), "at most 63"));
	for (int i = 0; i < 127; i++)
		memcpy(longname + 2 * i, "a.", 2);
	strcpy(longname + 254, "b");
	cr_assert(strstr(refusal(longname), "at most 253"));
}

Test(host, max_lengths_accepted)
{
	char label[70], name[260];

	memset(label, 'a', 63);
	strcpy(label + 63, ".com");
	cr_assert_eq(H(label).kind, ACL_HOST_EXACT);
	/* 126 "a." + "b" = 253 bytes */
	for (int i = 0; i < 126; i++)
		memcpy(name + 2 * i, "a.", 2);
	strcpy(name + 252, "b");
	cr_assert_eq(strlen(name), 253);
	cr_assert_eq(H(name).kind, ACL_HOST_EXACT);
}

Test(host, non_ascii_hints_punycode)
{
	cr_assert(strstr(refusal("bücher.example"), "punycode"));
}

Test(host, numeric_final_label_is_not_a_name)
{
	cr_assert(strstr(refusal("0x7f.0.0.1"), "neither"));
	cr_assert(strstr(refusal("example.123"), "neither"));
	cr_assert(strstr(refusal("foo.0x1F"), "neither"));
	cr_assert_eq(H("foo.0xyz").kind, ACL_HOST_EXACT);
}

Test(host, concrete_only)
{
	struct acl_host h;
	struct acl_err e;

	cr_assert_neq(acl_host_parse("*.a.example", 11, true, &h, &e), 0);
	cr_assert_neq(acl_host_parse("*", 1, true, &h, &e), 0);
	cr_assert_eq(acl_host_parse("a.example", 9, true, &h, &e), 0);
}

Test(host, matching)
{
	struct acl_host w = H("*.example.com"), x = H("db.example.com"), a = H("*");

	cr_assert(acl_host_matches(&w, "db.example.com"));
	cr_assert(acl_host_matches(&w, "a.b.example.com"));
	cr_assert(!acl_host_matches(&w, "example.com"));
	cr_assert(!acl_host_matches(&w, "badexample.com"));
	cr_assert(acl_host_matches(&x, "db.example.com"));
	cr_assert(!acl_host_matches(&x, "db.example.co"));
	cr_assert(acl_host_matches(&a, "anything.test"));
}

Test(host, intersections)
{
	struct acl_host o;
	struct acl_host w1 = H("*.example.com"), w2 = H("*.eu.example.com"), w3 = H("*.other.org");
	struct acl_host e1 = H("db.example.com"), e2 = H("db.other.org");

	cr_assert(acl_host_intersect(&e1, &e1, &o));
	cr_assert_str_eq(o.name, "db.example.com");
	cr_assert(!acl_host_intersect(&e1, &e2, &o));
	cr_assert(acl_host_intersect(&e1, &w1, &o));
	cr_assert_eq(o.kind, ACL_HOST_EXACT);
	cr_assert(!acl_host_intersect(&e2, &w1, &o));
	cr_assert(acl_host_intersect(&w1, &w2, &o));
	cr_assert_eq(o.kind, ACL_HOST_WILD);
	cr_assert_str_eq(o.name, "eu.example.com");
	cr_assert(acl_host_intersect(&w2, &w1, &o));
	cr_assert_str_eq(o.name, "eu.example.com");
	cr_assert(!acl_host_intersect(&w1, &w3, &o));
}

/* A wildcard's suffix must leave room for a label: "x." and the suffix
 * in 253 bytes, so at most 251. */
Test(host, wildcard_suffix_leaves_room_for_a_label)
{
	char w251[300], w252[310];

	snprintf(w251, sizeof(w251), "*.%s.%s.%s.%s", "a23456789012345678901234567890123456789012345678901234567890123",
		 "b23456789012345678901234567890123456789012345678901234567890123",
		 "c23456789012345678901234567890123456789012345678901234567890123",
		 "d2345678901234567890123456789012345678901234567890123456789");
	snprintf(w252, sizeof(w252), "%s0", w251);
	cr_assert_eq(strlen(w251), 253);
	cr_assert_eq(H(w251).kind, ACL_HOST_WILD);
	cr_assert(strstr(refusal(w252), "no name under it fits"), "%s", refusal(w252));
}
