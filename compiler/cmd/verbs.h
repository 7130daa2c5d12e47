/* The verbs: compiler/cmd/main.c's table, one compiler/cmd/cmd-VERB.c
 * each.  A verb is a leaf: nothing else calls it. */
#ifndef NETACL_VERBS_H
#define NETACL_VERBS_H

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_check(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_refresh(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_oci_hook(int argc, char **argv);

#endif
