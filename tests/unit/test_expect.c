/* Expectations of `netacl test` (compiler/model/expect.h): parsing, and
 * each way one holds or breaks, on targets read from compiled JSON. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/model/expect.h"
#include "compiler/model/json.h"

static struct model m;

/* One target "t"; dns is "" or ", \"dns\": \"admit\"". */
static const struct m_target *target(const char *dns, const char *rules, const char *allow,
				     const char *dropped, const char *unres)
{
	char *s;

	cr_assert(asprintf(&s, "{\"schema\": 1, \"targets\": {\"t\": {\"acl\": \"t\", "
			   "\"cgroup\": null, \"allow_all\": %s%s, \"private\": [], "
			   "\"rules\": [%s], \"allow\": [%s], \"dropped\": [%s], "
			   "\"unresolved\": [%s]}}}", strstr(rules, "\"*\"") ? "true" : "false",
			   dns, rules, allow, dropped, unres) > 0);
	model_init(&m);
	cr_assert_eq(model_from_json("test.json", s, strlen(s), &m), 0, "%s", s);
	free(s);
	return &m.t[0];
}

static bool holds(const struct m_target *t, bool reach, const char *text, char *why)
{
	struct expect e;
	struct acl_err err = { 0 };

	why[0] = 0;
	cr_assert_eq(expect_parse(text, strlen(text), reach, false, &e, &err), 0, "%s: %s", text, err.msg);
	return expect_holds(t, &e, why, 400);
}

#define R(match, ports, proto) "{\"match\": \"" match "\", \"ports\": [" ports "], " \
	"\"proto\": \"" proto "\", \"origin\": [\"p.yaml:3:9\"]}"
#define A(addr, ports, proto, via) "{\"addr\": \"" addr "\", \"ports\": [" ports "], " \
	"\"proto\": \"" proto "\", \"via\": [" via "]}"

#define db_rules R("db.example.com", "\"5432\"", "tcp") ", " R("198.51.100.0/24", "", "any")
#define db_allow A("93.184.216.34/32", "\"5432\"", "tcp", "\"db.example.com\"") ", " \
	A("198.51.100.0/24", "", "any", "")


Test(expect, parse_takes_one_destination_with_ports_and_protocol)
{
	struct expect e;
	struct acl_err err = { 0 };

	cr_assert_eq(expect_parse("db.example.com:5432/tcp", 23, true, false, &e, &err), 0);
	cr_assert_eq(e.to.kind, ACL_RULE_EXACT);
	cr_assert_eq(e.to.proto, ACL_TCP);
	cr_assert(acl_ports_contains(&e.to.ports, 5432) && !acl_ports_contains(&e.to.ports, 5433));
	cr_assert_eq(expect_parse("[2001:db8::1]:80-90/udp", 23, false, false, &e, &err), 0);
	cr_assert_eq(e.to.proto, ACL_UDP);
	cr_assert(!e.reach);
	cr_assert_eq(expect_parse("*.cdn.example.com", 17, true, false, &e, &err), 0);
	cr_assert_eq(e.to.kind, ACL_RULE_WILD);
	cr_assert(acl_ports_is_all(&e.to.ports) && e.to.proto == ACL_ANY_PROTO);
}

Test(expect, parse_refuses_ranges_star_and_bad_ports)
{
	static const char *const bad[] = { "10.0.0.0/8", "*", "*:80", "db:0", "db:70000",
					   "db:80/sctp", "", "a..b",
					   "[::ffff:192.0.2.1]" /* write it as IPv4, as in rules */ };
	struct expect e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct acl_err err = { 0 };

		cr_assert_eq(expect_parse(bad[i], strlen(bad[i]), true, false, &e, &err), -1, "%s", bad[i]);
		cr_assert(err.msg[0], "%s: no message", bad[i]);
	}
}

Test(expect, an_address_is_judged_on_every_port_asked)
{
	const struct m_target *t = target("", db_rules, db_allow, "", "");
	char why[400];

	cr_assert(holds(t, true, "198.51.100.7", why), "%s", why);
	cr_assert(holds(t, true, "93.184.216.34:5432/tcp", why), "%s", why);
	cr_assert(!holds(t, true, "93.184.216.34:5432", why), "udp is not allowed");
	cr_assert(strstr(why, "port 5432/udp is denied"), "%s", why);
	cr_assert(!holds(t, true, "93.184.216.34:5430-5432/tcp", why));
	cr_assert(strstr(why, "port 5430/tcp"), "%s", why);
	cr_assert(holds(t, false, "93.184.216.34:5433-6000", why), "%s", why);
	cr_assert(!holds(t, false, "93.184.216.34:5000-5432", why));
	cr_assert(strstr(why, "allowed by the rule db.example.com (p.yaml:3:9)"), "%s", why);
	cr_assert(!holds(t, false, "93.184.216.34", why), "some port is allowed");
	cr_assert(holds(t, false, "93.184.216.35", why), "%s", why);
	model_free(&m);
}

Test(expect, a_name_is_judged_on_every_address_it_resolved_to)
{
	const struct m_target *t =
		target("", db_rules, db_allow ", " A("93.184.216.35/32", "\"5432\"", "tcp",
							  "\"db.example.com\""),
		       "{\"addr\": \"10.0.0.5/32\", \"via\": [\"db.example.com\"], "
		       "\"reason\": \"private-use\"}", "");
	char why[400];

	cr_assert(!holds(t, true, "db.example.com:5432/tcp", why), "one address is dropped");
	cr_assert(strstr(why, "resolved to 10.0.0.5, in the special-purpose row private-use"),
		  "%s", why);
	cr_assert(!holds(t, false, "db.example.com:5432", why));
	cr_assert(holds(t, false, "db.example.com:80", why), "%s", why);
	model_free(&m);
	t = target("", db_rules, db_allow ", " A("93.184.216.35/32", "\"5432\"", "tcp",
						  "\"db.example.com\""), "", "");
	cr_assert(holds(t, true, "db.example.com:5432/tcp", why), "%s", why);
	model_free(&m);
}

Test(expect, an_unresolved_name_is_reached_only_live)
{
	const char *unres = "{\"host\": \"db.example.com\", \"error\": \"NXDOMAIN\"}";
	const struct m_target *t = target("", db_rules, "", "", unres);
	char why[400];

	cr_assert(!holds(t, true, "db.example.com:5432/tcp", why));
	cr_assert(strstr(why, "did not resolve (NXDOMAIN)"), "%s", why);
	cr_assert(!holds(t, false, "db.example.com:5432", why), "its rule names it");
	cr_assert(strstr(why, "the rule db.example.com"), "%s", why);
	model_free(&m);
	t = target(", \"dns\": \"admit\"", db_rules, "", "", unres);
	cr_assert(holds(t, true, "db.example.com:5432/tcp", why), "%s", why);
	cr_assert(!holds(t, true, "db.example.com:5432", why), "the rule is tcp only");
	cr_assert(strstr(why, "leave out some of its ports for udp"), "%s", why);
	model_free(&m);
}

Test(expect, a_wildcard_is_reached_by_star_or_by_live_dns)
{
	const char *rules = R("*.example.com", "\"443\"", "any");
	const struct m_target *t = target("", rules, "", "", "");
	char why[400];

	cr_assert(!holds(t, true, "*.cdn.example.com:443", why));
	cr_assert(strstr(why, "without dns: admit"), "%s", why);
	cr_assert(!holds(t, false, "*.cdn.example.com", why));
	cr_assert(holds(t, false, "*.example.org", why), "%s", why);
	cr_assert(holds(t, false, "*.cdn.example.com:80", why), "%s", why);
	model_free(&m);
	t = target(", \"dns\": \"admit\"", rules, "", "", "");
	cr_assert(holds(t, true, "*.cdn.example.com:443", why), "%s", why);
	cr_assert(holds(t, true, "a.b.example.com:443/udp", why), "%s", why);
	cr_assert(!holds(t, true, "*.example.org:443", why));
	cr_assert(strstr(why, "no rule of the target covers it"), "%s", why);
	cr_assert(holds(t, true, "*.example.com:443", why), "%s", why);
	model_free(&m);
	/* a narrower rule meets a wider wildcard but does not cover it */
	t = target(", \"dns\": \"admit\"", R("*.cdn.example.com", "\"443\"", "any"), "", "", "");
	cr_assert(!holds(t, true, "*.example.com:443", why), "only *.cdn.example.com is covered");
	cr_assert(!holds(t, false, "*.example.com:443", why), "*.cdn.example.com is reached");
	cr_assert(holds(t, true, "*.a.cdn.example.com:443", why), "%s", why);
	model_free(&m);
	t = target("", R("*", "\"443\"", "tcp"), "", "", "");
	cr_assert(holds(t, true, "*.anything.example:443/tcp", why), "%s", why);
	cr_assert(!holds(t, false, "x.example:443", why));
	cr_assert(strstr(why, "whatever it resolves to"), "%s", why);
	cr_assert(holds(t, false, "x.example:443/udp", why), "%s", why);
	cr_assert(!holds(t, true, "10.0.0.1:443/tcp", why), "'*' leaves out private-use");
	cr_assert(strstr(why, "leaves out the special-purpose row private-use"), "%s", why);
	model_free(&m);
}
