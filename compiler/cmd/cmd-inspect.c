/* netacl inspect --target NAME [--json]: the sets as the kernel holds
 * them.  --json prints the compile schema, so
 *   netacl diff compiled.json <(netacl inspect --target T --json)
 * is silent for a faithful load. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/inspect.h"
#include "bpf/sys.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/model/json.h"
#include "compiler/diag.h"

static const char usage[] = "netacl inspect --target NAME... [--json]";

static void print_ports(const struct acl_ports *p, int proto)
{
	char buf[512];

	acl_ports_format(p, buf, sizeof(buf));
	if (acl_ports_is_all(p))
		printf(" all ports");
	else
		printf(" port%s %s", p->n == 1 && p->r[0].lo == p->r[0].hi ? "" : "s", buf);
	printf(" %s\n", acl_proto_name(proto));
}

static void print_text(const struct m_target *t)
{
	char a[ACL_CIDR_STRLEN];

	printf("target %s  acl %s  cgroup %s\n", t->name, t->acl, t->cgroup);
	for (size_t i = 0; i < t->nrules; i++) {
		printf("  * (anything not in the special-purpose table)");
		print_ports(t->rules[i].ports, t->rules[i].proto);
	}
	for (size_t i = 0; i < t->priv_text.n; i++)
		printf("  private %s\n", t->priv_text.v[i]);
	for (size_t i = 0; i < t->nallow; i++) {
		acl_cidr_format(&t->allow[i].addr, a);
		printf("  %s", a);
		print_ports(t->allow[i].ports, t->allow[i].proto);
	}
	for (size_t i = 0; i < t->nadmitted; i++) {
		const struct m_allow *e = &t->admitted[i];

		acl_addr_format(e->addr.family, e->addr.v, a);
		printf("  admitted %s via %s, %lld s left,", a, e->via.v[0], (long long)e->ttl);
		print_ports(e->ports, e->proto);
	}
	if (t->max_conn)
		printf("  max_connections %u\n", t->max_conn);
	if (t->max_rate)
		printf("  max_connect_rate %u/s\n", t->max_rate);
	if (t->has_bind && !t->nbind)
		printf("  bind none\n");
	for (size_t i = 0; i < t->nbind; i++) {
		acl_cidr_format(&t->bind[i].addr, a);
		printf("  bind %s", a);
		print_ports(t->bind[i].ports, t->bind[i].proto);
	}
}

int cmd_inspect(int argc, char **argv)
{
	struct cli c;
	struct model m;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_JSON, usage, &c);

	if (!rc && (c.nargs || !c.ntargets))
		rc = cli_usage_error(usage, "give --target NAME");
	if (!rc)
		rc = sys_check_privileges();
	model_init(&m);
	for (size_t i = 0; !rc && i < c.ntargets; i++) {
		struct pinned p;
		int err = pinned_open(c.targets[i], &p);

		if (err == -ENOENT) {
			die_msg("target '%s' is not loaded", c.targets[i]);
			rc = EX_NOINPUT;
			continue;
		}
		if (!err) {
			err = inspect_target(&p, &m);
			pinned_close(&p);
		}
		if (err)
			rc = sys_bpf_error(err, EX_SOFTWARE, "cannot read the loaded maps");
	}
	if (!rc && c.json) {
		model_sort_targets(&m);
		char *json = model_to_json(&m);
		rc = cli_write_output(NULL, json);
		free(json);
	} else if (!rc) {
		for (size_t i = 0; i < m.n; i++)
			print_text(&m.t[i]);
	}
	model_free(&m);
	free(c.args);
	return rc;
}
