/* netacl oci-hook's readers and names (compiler/cmd/oci.c): systemd's
 * cgroupsPath, /proc/PID/cgroup, the state and its errors, the stage, the
 * per-container target name, the policy directory. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "compiler/cmd/oci.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct pair {
	const char *in, *out;
};

Test(oci, slices_expand_the_systemd_way)
{
	static const struct pair ok[] = {
		{ "system.slice", "system.slice" },
		{ "a-b.slice", "a.slice/a-b.slice" },
		{ "a-b-c.slice", "a.slice/a-b.slice/a-b-c.slice" },
		{ "user-1000.slice", "user.slice/user-1000.slice" },
		{ "-.slice", "" },
	};
	static const char *const bad[] = { "a--b.slice", "-a.slice", "a-.slice", "a.slice/b.slice",
					   ".slice", "foo", "a.slic", "" };
	char out[PATH_MAX], err[OCI_ERR_MAX];

	for (size_t i = 0; i < N(ok); i++) {
		cr_assert_eq(oci_slice_path(ok[i].in, out, sizeof(out), err), 0, "%s: %s", ok[i].in, err);
		cr_assert_str_eq(out, ok[i].out, "%s", ok[i].in);
	}
	for (size_t i = 0; i < N(bad); i++)
		cr_assert_eq(oci_slice_path(bad[i], out, sizeof(out), err), EX_DATAERR, "%s", bad[i]);
	cr_assert(strstr(err, "not a systemd slice name"), "%s", err);
}

Test(oci, cgroups_paths_systemd_and_absolute)
{
	static const struct pair ok[] = {
		{ "system.slice:crio:abc", "system.slice/crio-abc.scope" },
		{ ":podman:abc", "system.slice/podman-abc.scope" },
		{ "kubepods-besteffort-pod1.slice:cri-containerd:ID",
		  "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-ID.scope" },
		{ "user.slice::x", "user.slice/x.scope" },
		{ "machine.slice:p:x.slice", "machine.slice/x.slice" },
		{ "-.slice:p:x", "p-x.scope" },
		{ "/a/b", "a/b" },
		{ "/a/b/", "a/b" },
		{ "//a//b", "a//b" },
		{ "/", "" },
	};
	static const char *const bad[] = { "", "rel/path", "rel", "a:b", "a.slice:b:c:d", "s.slice:p:",
					   "/a/../b", "/a/./b", "/..", "s.slice:p/x:n", "s.slice:p:n/x",
					   "bad:p:n", "a/b.slice:p:n" };
	char out[PATH_MAX], err[OCI_ERR_MAX];

	for (size_t i = 0; i < N(ok); i++) {
		cr_assert_eq(oci_cgroups_path(ok[i].in, out, sizeof(out), err), 0, "%s: %s", ok[i].in, err);
		cr_assert_str_eq(out, ok[i].out, "%s", ok[i].in);
	}
	for (size_t i = 0; i < N(bad); i++) {
		err[0] = 0;
		cr_assert_eq(oci_cgroups_path(bad[i], out, sizeof(out), err), EX_DATAERR, "%s", bad[i]);
		cr_assert(err[0], "%s: no reason", bad[i]);
	}
	oci_cgroups_path("", out, sizeof(out), err);
	cr_assert(strstr(err, "no linux.cgroupsPath"), "%s", err);
	oci_cgroups_path("rel", out, sizeof(out), err);
	cr_assert(strstr(err, "is relative"), "%s", err);
}

Test(oci, proc_cgroup_reads_the_unified_line)
{
	static const struct pair ok[] = {
		{ "0::/a/b\n", "a/b" },
		{ "9:name=systemd:/x\n4:memory:/y\n0::/netacl-test/c1\n", "netacl-test/c1" },
		{ "0::/\n", "" },
		{ "0::/last", "last" },
	};
	char out[PATH_MAX], err[OCI_ERR_MAX];

	for (size_t i = 0; i < N(ok); i++) {
		cr_assert_eq(oci_proc_cgroup(ok[i].in, out, sizeof(out), err), 0, "%s: %s", ok[i].in, err);
		cr_assert_str_eq(out, ok[i].out, "%s", ok[i].in);
	}
	cr_assert_eq(oci_proc_cgroup("4:memory:/y\n1:cpu:/y\n", out, sizeof(out), err), EX_UNAVAILABLE);
	cr_assert(strstr(err, "no cgroup2"), "%s", err);
	cr_assert_eq(oci_proc_cgroup("", out, sizeof(out), err), EX_UNAVAILABLE);
	cr_assert_eq(oci_proc_cgroup("0::/a (deleted)\n", out, sizeof(out), err), EX_NOINPUT);
	cr_assert(strstr(err, "removed"), "%s", err);
}

static int parse(const char *text, struct oci_state *st, char *err)
{
	return oci_state_parse(text, strlen(text), st, err);
}

Test(oci, state_is_read)
{
	struct oci_state st;
	char err[OCI_ERR_MAX];

	cr_assert_eq(parse("{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
			   "\"bundle\":\"/b\",\"annotations\":{\"io.netacl.target\":\"web\","
			   "\"io.netacl.policy\":\"p.json\",\"io.netacl.digest\":\"d\",\"other\":\"x\"},"
			   "\"future\":[1]}", &st, err), 0, "%s", err);
	cr_assert_str_eq(st.version, "1.0.2");
	cr_assert_str_eq(st.id, "c1");
	cr_assert_str_eq(st.status, "creating");
	cr_assert_eq(st.pid, 42);
	cr_assert_str_eq(st.bundle, "/b");
	cr_assert_str_eq(st.target, "web");
	cr_assert_str_eq(st.policy, "p.json");
	cr_assert_str_eq(st.digest, "d");
	cr_assert_null(st.stray);
	oci_state_free(&st);
	/* runc's poststop state: no pid; no annotations at all */
	cr_assert_eq(parse("{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"stopped\"}", &st, err), 0);
	cr_assert_eq(st.pid, 0);
	cr_assert_null(st.target);
	cr_assert_null(st.bundle);
	oci_state_free(&st);
	cr_assert_eq(parse("{\"ociVersion\":\"1\",\"id\":\"c\",\"annotations\":{\"io.netacl.tagret\":\"w\"}}",
			   &st, err), 0);
	cr_assert_str_eq(st.stray, "io.netacl.tagret");
	oci_state_free(&st);
}

Test(oci, state_errors_are_clear)
{
	static const struct pair bad[] = {
		{ "", "no state on standard input" },
		{ "{", "is not JSON" },
		{ "{\"id\":\"c\"} x", "is not JSON" },
		{ "[]", "is not a JSON object" },
		{ "{\"ociVersion\":\"1\"}", "no \"id\"" },
		{ "{\"id\":\"c\"}", "no \"ociVersion\"" },
		{ "{\"ociVersion\":\"1\",\"id\":7}", "\"id\" is not a string" },
		{ "{\"ociVersion\":\"1\",\"id\":\"a\\u0000b\"}", "is not JSON" },
		{ "{\"ociVersion\":\"1\",\"id\":\"\"}", "\"id\" is empty" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"id\":\"d\"}", "duplicate" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":1}", "\"status\" is not a string" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"pid\":-1}", "\"pid\" is not a process id" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"pid\":\"1\"}", "\"pid\" is not a process id" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"pid\":1e3}", "\"pid\" is not a process id" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"annotations\":[]}", "\"annotations\" is not an object" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"annotations\":{\"io.netacl.target\":1}}",
		  "annotation \"io.netacl.target\" is not a string" },
		{ "{\"ociVersion\":\"1\",\"id\":\"c\",\"annotations\":{\"x\":null}}",
		  "annotation \"x\" is not a string" },
	};
	struct oci_state st;
	char err[OCI_ERR_MAX];

	for (size_t i = 0; i < N(bad); i++) {
		err[0] = 0;
		cr_assert_eq(parse(bad[i].in, &st, err), EX_DATAERR, "%s", bad[i].in);
		cr_assert(strstr(err, bad[i].out), "%s: %s, want %s", bad[i].in, err, bad[i].out);
		cr_assert_null(st.id, "%s: a failed parse keeps nothing", bad[i].in);
	}
}

Test(oci, stage_from_argument_or_status)
{
	static const struct {
		const char *arg, *status;
		int rc;
		enum oci_stage stage;
	} cases[] = {
		{ NULL, "creating", 0, OCI_CREATE },
		{ NULL, "stopped", 0, OCI_POSTSTOP },
		{ NULL, "created", EX_DATAERR, 0 }, /* runc's poststart: too late */
		{ NULL, "running", EX_DATAERR, 0 },
		{ NULL, NULL, EX_DATAERR, 0 },
		{ "createRuntime", "creating", 0, OCI_CREATE },
		{ "createRuntime", "created", 0, OCI_CREATE },
		{ "prestart", NULL, 0, OCI_CREATE },
		{ "poststop", "stopped", 0, OCI_POSTSTOP },
		{ "poststop", NULL, 0, OCI_POSTSTOP },
		{ "poststart", "created", EX_USAGE, 0 },
		{ "createContainer", "creating", EX_USAGE, 0 },
		{ "createRuntime", "stopped", EX_USAGE, 0 },
		{ "poststop", "creating", EX_USAGE, 0 },
	};
	char err[OCI_ERR_MAX];

	for (size_t i = 0; i < N(cases); i++) {
		enum oci_stage s = 99;
		int rc = oci_stage(cases[i].arg, cases[i].status, &s, err);

		cr_assert_eq(rc, cases[i].rc, "%s %s: %d %s", cases[i].arg, cases[i].status, rc, err);
		if (!rc)
			cr_assert_eq(s, cases[i].stage, "%s %s", cases[i].arg, cases[i].status);
	}
	oci_stage(NULL, "created", &(enum oci_stage){ 0 }, err);
	cr_assert(strstr(err, "status 'created'") && strstr(err, "as an argument"), "%s", err);
}

Test(oci, container_target_names)
{
	char out[256], err[OCI_ERR_MAX], id[200], target[140];

	cr_assert_eq(oci_target_name("web", "abc", out, sizeof(out), err), 0);
	cr_assert_str_eq(out, "web@oci-abc");
	cr_assert_eq(oci_target_name("ci/build", "a.b+c_d-e", out, sizeof(out), err), 0);
	cr_assert_str_eq(out, "ci/build@oci-a.b+c_d-e");
	memset(id, 'f', 64);
	id[64] = 0;
	cr_assert_eq(oci_target_name("a-b_c", id, out, sizeof(out), err), 0, "%s", err);
	for (const char *const *t = (const char *const[]){ "a@b", "", "a b", "a/b/c", NULL }; *t; t++) {
		cr_assert_eq(oci_target_name(*t, "abc", out, sizeof(out), err), EX_DATAERR, "%s", *t);
		cr_assert(strstr(err, "not a target name"), "%s", err);
	}
	for (const char *const *i = (const char *const[]){ "", "a/b", "a@b", "a b", "a\nb", NULL }; *i; i++) {
		cr_assert_eq(oci_target_name("web", *i, out, sizeof(out), err), EX_DATAERR, "%s", *i);
		cr_assert(strstr(err, "container id"), "%s", err);
	}
	memset(id, 'a', OCI_ID_MAX + 1);
	id[OCI_ID_MAX + 1] = 0;
	cr_assert_eq(oci_target_name("web", id, out, sizeof(out), err), EX_DATAERR);
	/* a name the pin directory's 255 bytes cannot hold ('.' is 3 bytes there) */
	memset(target, 'x', 64), target[64] = '/', memset(target + 65, 'y', 64), target[129] = 0;
	memset(id, '.', 100);
	id[100] = 0;
	cr_assert_eq(oci_target_name(target, id, out, sizeof(out), err), EX_DATAERR);
	cr_assert(strstr(err, "too long"), "%s", err);
}

Test(oci, names_are_matched_to_their_container_only)
{
	cr_assert(oci_name_is_container("web@oci-abc", "abc"));
	cr_assert(oci_name_is_container("ci/build@oci-a.b", "a.b"));
	cr_assert(!oci_name_is_container("web@oci-abc", "bc"));
	cr_assert(!oci_name_is_container("web@oci-abc", "xabc"));
	cr_assert(!oci_name_is_container("web@oci-x@oci-abc", "abc"));
	cr_assert(!oci_name_is_container("web@run-1", "1"));
	cr_assert(!oci_name_is_container("@oci-abc", "abc"));
	cr_assert(!oci_name_is_container("web", "web"));
}

Test(oci, pin_names_decode)
{
	char out[256];

	cr_assert(oci_pin_name_decode("web%40oci-abc", out, sizeof(out)));
	cr_assert_str_eq(out, "web@oci-abc");
	cr_assert(oci_pin_name_decode("ci%2Fbuild%40oci-a%2eb", out, sizeof(out)));
	cr_assert_str_eq(out, "ci/build@oci-a.b");
	for (const char *const *b = (const char *const[]){ "a.b", "%4", "%zz", "%00", "", "a%4", NULL }; *b; b++)
		cr_assert(!oci_pin_name_decode(*b, out, sizeof(out)), "%s", *b);
	cr_assert(!oci_pin_name_decode("abcdef", out, 4), "does not fit");
}

Test(oci, digest_is_hex_never_a_file)
{
	const char *hex = "0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef";
	char given[80], out[65], err[OCI_ERR_MAX];

	cr_assert_eq(oci_digest(hex, out, err), 0);
	cr_assert_str_eq(out, hex);
	snprintf(given, sizeof(given), "sha256:%s", hex);
	cr_assert_eq(oci_digest(given, out, err), 0);
	cr_assert_str_eq(out, hex);
	snprintf(given, sizeof(given), "%s  p.json", hex);
	cr_assert_eq(oci_digest(given, out, err), EX_DATAERR);
	cr_assert_eq(oci_digest(hex + 1, out, err), EX_DATAERR);
	cr_assert_eq(oci_digest("/etc/passwd", out, err), EX_DATAERR);
	cr_assert(strstr(err, "not a SHA-256"), "%s", err);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(oci, policy_must_be_compiled_and_in_the_directory)
{
	char tmp[] = "/tmp/netacl-oci-XXXXXX", dir[PATH_MAX], p[PATH_MAX + 32], out[PATH_MAX];
	char want[PATH_MAX + 32], err[OCI_ERR_MAX];

	cr_assert(mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/etc", tmp);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/p.json", dir), put(p, "\n {\"schema\": 1}");
	snprintf(p, sizeof(p), "%s/y.yaml", dir), put(p, "version: 1\n");
	snprintf(p, sizeof(p), "%s/sub", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/sub/q.json", dir), put(p, "{}");
	snprintf(p, sizeof(p), "%s/outside.json", tmp), put(p, "{}");
	snprintf(p, sizeof(p), "%s/link.json", dir);
	snprintf(want, sizeof(want), "%s/outside.json", tmp);
	cr_assert_eq(symlink(want, p), 0);

	cr_assert_eq(oci_policy_path(dir, "p.json", out, sizeof(out), err), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/p.json", dir);
	cr_assert_str_eq(out, want);
	cr_assert_eq(oci_policy_path(dir, "sub/q.json", out, sizeof(out), err), 0, "%s", err);
	cr_assert_eq(oci_policy_path(dir, want, out, sizeof(out), err), 0, "absolute, inside: %s", err);
	/* outside, however it is said */
	cr_assert_eq(oci_policy_path(dir, "../outside.json", out, sizeof(out), err), EX_NOPERM);
	cr_assert(strstr(err, "is not in"), "%s", err);
	cr_assert_eq(oci_policy_path(dir, "link.json", out, sizeof(out), err), EX_NOPERM);
	cr_assert_eq(oci_policy_path(dir, "/etc/passwd", out, sizeof(out), err), EX_NOPERM);
	snprintf(want, sizeof(want), "%s/sub/../../outside.json", dir);
	cr_assert_eq(oci_policy_path(dir, want, out, sizeof(out), err), EX_NOPERM);
	/* inside, but not a compiled policy */
	cr_assert_eq(oci_policy_path(dir, "y.yaml", out, sizeof(out), err), EX_DATAERR);
	cr_assert(strstr(err, "not a compiled policy"), "%s", err);
	cr_assert_eq(oci_policy_path(dir, "sub", out, sizeof(out), err), EX_NOINPUT);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
	cr_assert_eq(oci_policy_path(dir, "missing.json", out, sizeof(out), err), EX_NOINPUT);
	cr_assert_eq(oci_policy_path(dir, "", out, sizeof(out), err), EX_DATAERR);
	snprintf(p, sizeof(p), "%s/none", tmp);
	cr_assert_eq(oci_policy_path(p, "p.json", out, sizeof(out), err), EX_NOINPUT);
	cr_assert(strstr(err, "policy directory"), "%s", err);

	snprintf(p, sizeof(p), "rm -rf '%s'", tmp);
	cr_assert_eq(system(p), 0);
}

Test(oci, config_cgroups_path)
{
	char tmp[] = "/tmp/netacl-oci-XXXXXX", p[PATH_MAX + 32], out[PATH_MAX], err[OCI_ERR_MAX];

	cr_assert(mkdtemp(tmp));
	cr_assert_eq(oci_config_cgroups_path(tmp, out, sizeof(out), err), EX_NOINPUT);
	cr_assert(strstr(err, "config.json"), "%s", err);
	snprintf(p, sizeof(p), "%s/config.json", tmp);
	put(p, "{\"linux\": {\"cgroupsPath\": \"system.slice:crio:x\"}}");
	cr_assert_eq(oci_config_cgroups_path(tmp, out, sizeof(out), err), 0, "%s", err);
	cr_assert_str_eq(out, "system.slice:crio:x");
	put(p, "{\"process\": {}}");
	cr_assert_eq(oci_config_cgroups_path(tmp, out, sizeof(out), err), 0, "%s", err);
	cr_assert_str_eq(out, "");
	put(p, "{\"linux\": {\"cgroupsPath\": 3}}");
	cr_assert_eq(oci_config_cgroups_path(tmp, out, sizeof(out), err), EX_DATAERR);
	put(p, "{\"linux\": 3}");
	cr_assert_eq(oci_config_cgroups_path(tmp, out, sizeof(out), err), EX_DATAERR);
	cr_assert(strstr(err, "linux.cgroupsPath is not a string"), "%s", err);
	put(p, "{\"linux\": ");
	cr_assert_eq(oci_config_cgroups_path(tmp, out, sizeof(out), err), EX_DATAERR);
	cr_assert_eq(oci_config_cgroups_path("rel/bundle", out, sizeof(out), err), EX_DATAERR);
	cr_assert(strstr(err, "not an absolute path"), "%s", err);

	snprintf(p, sizeof(p), "rm -rf '%s'", tmp);
	cr_assert_eq(system(p), 0);
}
