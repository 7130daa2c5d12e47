/* netacl: compile network egress policies and have the kernel enforce
 * them.  This file is the table of verbs; each verb lives in
 * compiler/cmd/cmd-VERB.c. */
#include <stdio.h>
#include <string.h>

#include "bpf/sys.h"
#include "compiler/cmd/verbs.h"
#include "compiler/exits.h"

static const struct verb verbs[] = {
	{ "compile", cmd_compile, "resolve a policy and print the allowed sets as JSON" },
	{ "check", cmd_check, "validate a policy (no DNS)" },
	{ "explain", cmd_explain, "say why an address is allowed or denied" },
	{ "diff", cmd_diff, "compare what two policies or compiled files allow" },
	{ "load", cmd_load, "enforce a target on its cgroup (eBPF)" },
	{ "unload", cmd_unload, "detach a target and remove its pins" },
	{ "status", cmd_status, "what is loaded where, with counters" },
	{ "inspect", cmd_inspect, "the sets as the kernel holds them" },
	{ "run", cmd_run, "run a command under a policy, in a transient cgroup" },
	{ "trace", cmd_trace, "stream verdict events as they happen" },
	{ "refresh", cmd_refresh, "re-resolve names and swap changed sets atomically" },
	{ "serve", cmd_serve, "serve the live DNS of loaded targets (dns: admit)" },
	{ "test", cmd_test, "check a policy against expectations (CI; JUnit XML)" },
	{ "oci-hook", cmd_oci_hook, "OCI runtime hook: load a container's target, unload it" },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static void help(FILE *f)
{
	fprintf(f, "usage: netacl VERB [OPTIONS] [ARGS]\n"
		   "       netacl --version | --help | help VERB\n\nverbs:\n");
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nresolution options (compile, explain, load, run, refresh, serve):\n"
		   "  --hosts-file FILE, --offline, --resolver IP[:PORT], --timeout MS,\n"
		   "  --max-addrs N, --strict\n"
		   "\nSee netacl(8) and netacl-policy(5).\n");
}

static const struct verb *find(const char *name)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (strcmp(name, verbs[i].name) == 0)
			return &verbs[i];
	return NULL;
}

static int unknown(const char *word)
{
	fprintf(stderr, "netacl: unknown %s '%s'\n\n", word[0] == '-' ? "option" : "verb", word);
	help(stderr);
	return EX_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("netacl %s\n", NETACL_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		help(stdout);
		return 0;
	}
	if (sys_pin_root_check())
		return EX_USAGE;
	/* "netacl help VERB" is "netacl VERB --help" */
	if (strcmp(argv[1], "help") == 0 && argc == 3) {
		const struct verb *v = find(argv[2]);
		char *args[] = { argv[2], "--help", NULL };

		return v ? v->run(2, args) : unknown(argv[2]);
	}
	const struct verb *v = find(argv[1]);

	return v ? v->run(argc - 1, argv + 1) : unknown(argv[1]);
}
