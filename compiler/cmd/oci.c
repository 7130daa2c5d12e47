/* The OCI state, config.json and /proc/PID/cgroup as netacl oci-hook
 * reads them, and the names it makes (compiler/cmd/oci.h). */
#include "compiler/cmd/oci.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "acl/names.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define ID_CHARS NAME_CHARS ".+"
#define PIN_NAME_MAX 255     /* a bpffs file name (NAME_MAX) */
#define META_TARGET_MAX 255  /* netacl_meta.target holds 255 bytes and a NUL */

__attribute__((format(printf, 3, 4)))
static int fail(int rc, char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, OCI_ERR_MAX, fmt, ap);
	va_end(ap);
	return rc;
}

/* An annotation's value quoted in a message, at most 80 bytes, control
 * characters as '?': it comes from whoever starts the container, and
 * must not forge lines of the runtime's log. */
static const char *shown(const char *s, char buf[84])
{
	size_t n = 0;

	for (; *s && n < 80; s++)
		buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	if (*s)
		buf[n++] = '.', buf[n++] = '.', buf[n++] = '.';
	buf[n] = 0;
	return buf;
}

/* --- the state --- */

/* A string member: *out a copy, or NULL when absent and not required. */
static int member(json_t *o, const char *where, const char *key, bool required, char **out,
		  char *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v && !required)
		return 0;
	if (!v)
		return fail(EX_DATAERR, err, "%s: no \"%s\"", where, key);
	if (!json_is_string(v)) /* with no NUL: jansson refuses \u0000 unless asked */
		return fail(EX_DATAERR, err, "%s: \"%s\" is not a string", where, key);
	*out = strdup(json_string_value(v));
	if (!*out)
		abort();
	return 0;
}

static int annotation(struct oci_state *st, const char *key, json_t *v, char *err)
{
	static const char *const known[] = { OCI_ANN_TARGET, OCI_ANN_POLICY, OCI_ANN_DIGEST };
	char **slot[] = { &st->target, &st->policy, &st->digest };
	char buf[84];

	if (!json_is_string(v))
		return fail(EX_DATAERR, err, "the state: annotation \"%s\" is not a string",
			    shown(key, buf));
	if (strncmp(key, OCI_ANN_PREFIX, strlen(OCI_ANN_PREFIX)) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(key, known[i]) == 0) {
			if (!(*slot[i] = strdup(json_string_value(v))))
				abort();
			return 0;
		}
	if (!st->stray && !(st->stray = strdup(key)))
		abort();
	return 0;
}

static int annotations(json_t *root, struct oci_state *st, char *err)
{
	json_t *a = json_object_get(root, "annotations"), *v;
	const char *key;
	int rc = 0;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_object(a))
		return fail(EX_DATAERR, err, "the state: \"annotations\" is not an object");
	json_object_foreach(a, key, v) {
		if (!rc)
			rc = annotation(st, key, v, err);
	}
	return rc;
}

static int pid_of(json_t *root, long *pid, char *err)
{
	json_t *v = json_object_get(root, "pid");

	*pid = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT_MAX)
		return fail(EX_DATAERR, err, "the state: \"pid\" is not a process id");
	*pid = (long)json_integer_value(v);
	return 0;
}

static int state_members(json_t *root, struct oci_state *st, char *err)
{
	int rc = member(root, "the state", "ociVersion", true, &st->version, err);

	if (!rc)
		rc = member(root, "the state", "id", true, &st->id, err);
	if (!rc && !st->id[0])
		rc = fail(EX_DATAERR, err, "the state: \"id\" is empty");
	if (!rc)
		rc = member(root, "the state", "status", false, &st->status, err);
	if (!rc)
		rc = member(root, "the state", "bundle", false, &st->bundle, err);
	if (!rc)
		rc = pid_of(root, &st->pid, err);
	if (!rc)
		rc = annotations(root, st, err);
	return rc;
}

int oci_state_parse(const char *text, size_t len, struct oci_state *st, char *err)
{
	json_error_t je;
	json_t *root;
	int rc;

	*st = (struct oci_state){ 0 };
	if (len == 0)
		return fail(EX_DATAERR, err, "no state on standard input (a runtime gives its hooks "
				      "the container's state as JSON)");
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(EX_DATAERR, err, "the state on standard input is not JSON: %s (line %d, column %d)",
			    je.text, je.line, je.column);
	rc = json_is_object(root) ? state_members(root, st, err)
				  : fail(EX_DATAERR, err, "the state on standard input is not a JSON object");
	json_decref(root);
	if (rc)
		oci_state_free(st);
	return rc;
}

void oci_state_free(struct oci_state *st)
{
	free(st->version);
	free(st->id);
	free(st->status);
	free(st->bundle);
	free(st->target);
	free(st->policy);
	free(st->digest);
	free(st->stray);
	*st = (struct oci_state){ 0 };
}

/* --- the stage --- */

int oci_stage(const char *arg, const char *status, enum oci_stage *out, char *err)
{
	/* runc gives "creating" to prestart and createRuntime hooks, "created"
	 * to poststart ones (the process runs by then: too late to load) and
	 * "stopped" to poststop ones; the runtime spec says the same */
	bool creating = status && strcmp(status, "creating") == 0;
	bool stopped = status && strcmp(status, "stopped") == 0;
	char buf[84];

	if (!arg) {
		if (!status)
			return fail(EX_DATAERR, err, "the state has no status: give the stage as an argument");
		if (!creating && !stopped)
			return fail(EX_DATAERR, err, "the state's status '%s' is not one netacl acts at "
					     "(creating: load; stopped: unload); give the stage as an "
					     "argument", shown(status, buf));
		*out = creating ? OCI_CREATE : OCI_POSTSTOP;
		return 0;
	}
	if (strcmp(arg, "createRuntime") == 0 || strcmp(arg, "prestart") == 0)
		*out = OCI_CREATE;
	else if (strcmp(arg, "poststop") == 0)
		*out = OCI_POSTSTOP;
	else
		return fail(EX_USAGE, err, "stage '%s': netacl acts at createRuntime (or prestart) "
				   "and poststop only", shown(arg, buf));
	if ((*out == OCI_CREATE && stopped) || (*out == OCI_POSTSTOP && creating))
		return fail(EX_USAGE, err, "stage %s, but the state's status is '%s': the hook is "
				   "configured for a stage it is not run at", arg, status);
	return 0;
}

/* --- names --- */

/* The length of sys_pin_dir's name for s: bytes outside NAME_CHARS as %XX. */
static size_t pin_name_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += strchr(NAME_CHARS, *s) ? 1 : 3;
	return n;
}

int oci_target_name(const char *target, const char *id, char *out, size_t size, char *err)
{
	size_t idlen = strlen(id);
	char buf[84];

	if (!acl_target_name_valid(target))
		return fail(EX_DATAERR, err, OCI_ANN_TARGET " '%s' is not a target name (an ACL name or "
				     "PIPELINE/STAGE, each 1-64 of A-Z a-z 0-9 _ -)", shown(target, buf));
	if (idlen == 0 || idlen > OCI_ID_MAX || strspn(id, ID_CHARS) != idlen)
		return fail(EX_DATAERR, err, "container id '%s' is not 1-%d of A-Z a-z 0-9 _ - . +",
			    shown(id, buf), OCI_ID_MAX);
	if ((size_t)snprintf(out, size, "%s" OCI_NAME_SEP "%s", target, id) >= size ||
	    strlen(out) > META_TARGET_MAX || pin_name_len(out) > PIN_NAME_MAX)
		return fail(EX_DATAERR, err, "target %s with container id '%s' is too long a name "
				     "for a loaded target", target, shown(id, buf));
	return 0;
}

bool oci_name_is_container(const char *name, const char *id)
{
	size_t n = strlen(name), tail = strlen(OCI_NAME_SEP) + strlen(id);
	char target[2 * ACL_IDENT_MAX + 2];

	if (n <= tail || n - tail >= sizeof(target) || strcmp(name + n - tail + strlen(OCI_NAME_SEP), id) ||
	    strncmp(name + n - tail, OCI_NAME_SEP, strlen(OCI_NAME_SEP)))
		return false;
	/* what comes before is a policy's name, which has no '@': so this
	 * is not a name made for another container id ending like this one */
	memcpy(target, name, n - tail);
	target[n - tail] = 0;
	return acl_target_name_valid(target);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool oci_pin_name_decode(const char *base, char *out, size_t size)
{
	size_t n = 0;

	for (const char *s = base; *s; n++) {
		if (n + 1 >= size)
			return false;
		if (*s != '%') {
			if (!strchr(NAME_CHARS, *s))
				return false;
			out[n] = *s++;
			continue;
		}
		if (hexval(s[1]) < 0 || hexval(s[2]) < 0 || (hexval(s[1]) | hexval(s[2])) == 0)
			return false;
		out[n] = (char)(hexval(s[1]) << 4 | hexval(s[2]));
		s += 3;
	}
	out[n] = 0;
	return n > 0;
}

/* --- cgroups --- */

/* Copy a path relative to the cgroup2 mount, without leading or trailing
 * '/' and refusing "..": it is joined to the mount point. */
static int relative(const char *p, size_t len, char *out, size_t size, char *err)
{
	while (len && *p == '/')
		p++, len--;
	while (len && p[len - 1] == '/')
		len--;
	if (len >= size)
		return fail(EX_DATAERR, err, "cgroup path too long");
	for (size_t i = 0; i < len;) {
		size_t l = strcspn(p + i, "/");

		if (l > len - i)
			l = len - i;
		if ((l == 2 && p[i] == '.' && p[i + 1] == '.') || (l == 1 && p[i] == '.'))
			return fail(EX_DATAERR, err, "cgroup path '%.*s' has a '.' or '..' component",
				    (int)len, p);
		i += l + 1;
	}
	memcpy(out, p, len);
	out[len] = 0;
	return 0;
}

int oci_proc_cgroup(const char *text, char *out, size_t size, char *err)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");

		if (strncmp(line, "0::/", 4) == 0) {
			static const char gone[] = " (deleted)";

			if (len >= 4 + sizeof(gone) - 1 &&
			    memcmp(line + len - (sizeof(gone) - 1), gone, sizeof(gone) - 1) == 0)
				return fail(EX_NOINPUT, err, "the container's cgroup was removed");
			return relative(line + 3, len - 3, out, size, err);
		}
		line += len + (line[len] == '\n');
	}
	return fail(EX_UNAVAILABLE, err, "the container is in no cgroup2 cgroup (no \"0::/\" line: "
				 "cgroup v1 only?)");
}

int oci_slice_path(const char *slice, char *out, size_t size, char *err)
{
	static const char sfx[] = ".slice";
	size_t len = strlen(slice), n = 0, sl = sizeof(sfx) - 1;
	char buf[84];

	if (strcmp(slice, "-.slice") == 0 || strcmp(slice, "-") == 0) {
		out[0] = 0;
		return 0;
	}
	if (len <= sl || strcmp(slice + len - sl, sfx) || strchr(slice, '/'))
		return fail(EX_DATAERR, err, "'%s' is not a systemd slice name (NAME.slice)", shown(slice, buf));
	len -= sl;
	/* a-b.slice is a-b.slice under a.slice: one directory per '-' */
	for (size_t end = 0; end <= len; end++) {
		if (end < len && slice[end] != '-')
			continue;
		if (end == 0 || slice[end - 1] == '-' || (end == len && slice[len - 1] == '-'))
			return fail(EX_DATAERR, err, "'%s' is not a systemd slice name (an empty part "
					     "between '-')", shown(slice, buf));
		int w = snprintf(out + n, size - n, "%s%.*s%s", n ? "/" : "", (int)end, slice, sfx);

		if (w < 0 || (size_t)w >= size - n)
			return fail(EX_DATAERR, err, "slice '%s' is too long", shown(slice, buf));
		n += (size_t)w;
	}
	return 0;
}

/* "SLICE:PREFIX:NAME" (given has a ':') as runc's systemd driver places
 * it: under SLICE (system.slice if empty), a unit PREFIX-NAME.scope, or
 * NAME if that is a slice itself. */
static int systemd_path(const char *given, char *out, size_t size, char *err)
{
	const char *c1 = strchr(given, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char slice[PATH_MAX], path[PATH_MAX], buf[84];
	const char *prefix = c1 + 1, *name = c2 ? c2 + 1 : NULL;
	size_t plen = c2 ? (size_t)(c2 - prefix) : 0, nlen = name ? strlen(name) : 0;
	int rc;

	if (!c2 || strchr(name, ':') || !nlen || memchr(prefix, '/', plen) || strchr(name, '/') ||
	    (size_t)(c1 - given) >= sizeof(slice))
		return fail(EX_DATAERR, err, "linux.cgroupsPath '%s' is neither an absolute path nor "
				     "systemd's SLICE:PREFIX:NAME", shown(given, buf));
	if (c1 == given)
		snprintf(slice, sizeof(slice), "system.slice");
	else
		snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - given), given);
	rc = oci_slice_path(slice, path, sizeof(path), err);
	if (rc)
		return rc;
	bool is_slice = nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0;
	int w = is_slice ? snprintf(out, size, "%s%s%s", path, *path ? "/" : "", name) :
		snprintf(out, size, "%s%s%.*s%s%s.scope", path, *path ? "/" : "", (int)plen, prefix,
			 plen ? "-" : "", name);

	if (w < 0 || (size_t)w >= size)
		return fail(EX_DATAERR, err, "linux.cgroupsPath '%s' is too long", shown(given, buf));
	return 0;
}

int oci_cgroups_path(const char *given, char *out, size_t size, char *err)
{
	char buf[84];

	if (!given[0])
		return fail(EX_DATAERR, err, "the bundle's config.json has no linux.cgroupsPath (where "
				     "the runtime put the container is its own choice)");
	if (given[0] == '/')
		return relative(given, strlen(given), out, size, err);
	if (strchr(given, ':'))
		return systemd_path(given, out, size, err);
	return fail(EX_DATAERR, err, "linux.cgroupsPath '%s' is relative, to what the runtime "
			     "chooses: give an absolute path or SLICE:PREFIX:NAME", shown(given, buf));
}

int oci_config_cgroups_path(const char *bundle, char *out, size_t size, char *err)
{
	char path[PATH_MAX];
	json_error_t je;
	json_t *root, *lx, *cg;
	int rc = 0;

	if (bundle[0] != '/')
		return fail(EX_DATAERR, err, "the state's bundle '%s' is not an absolute path", bundle);
	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", bundle) >= sizeof(path))
		return fail(EX_DATAERR, err, "the state's bundle path is too long");
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(json_error_code(&je) == json_error_cannot_open_file ? EX_NOINPUT : EX_DATAERR,
			    err, "%s: %s", path, je.text);
	lx = json_object_get(root, "linux");
	cg = lx ? json_object_get(lx, "cgroupsPath") : NULL;
	if ((lx && !json_is_object(lx)) || (cg && !json_is_string(cg)))
		rc = fail(EX_DATAERR, err, "%s: linux.cgroupsPath is not a string", path);
	else if ((size_t)snprintf(out, size, "%s", cg ? json_string_value(cg) : "") >= size)
		rc = fail(EX_DATAERR, err, "%s: linux.cgroupsPath is too long", path);
	json_decref(root);
	return rc;
}

/* --- the policy --- */

int oci_digest(const char *given, char out[65], char *err)
{
	const char *hex = strncmp(given, "sha256:", 7) == 0 ? given + 7 : given;
	char buf[84];

	if (strspn(hex, "0123456789abcdefABCDEF") != 64 || hex[64])
		return fail(EX_DATAERR, err, OCI_ANN_DIGEST " '%s' is not a SHA-256 (64 hex digits, "
				     "maybe after sha256:)", shown(given, buf));
	memcpy(out, hex, 65);
	return 0;
}

/* A compiled policy is a JSON object; anything else would be compiled,
 * resolving names from the host while the runtime waits. */
static int compiled(const char *path, char *err)
{
	FILE *f = fopen(path, "r");
	char head[4096];
	size_t n = f ? fread(head, 1, sizeof(head), f) : 0, i = 0;

	if (!f)
		return fail(EX_NOINPUT, err, "cannot read %s: %s", path, strerror(errno));
	fclose(f);
	while (i < n && strchr(" \t\r\n", head[i]))
		i++;
	if (i < n && head[i] == '{')
		return 0;
	return fail(EX_DATAERR, err, "%s is not a compiled policy (JSON): the hook resolves no "
			     "names; load what `netacl compile -o FILE` wrote", path);
}

int oci_policy_path(const char *dir, const char *given, char *out, size_t size, char *err)
{
	char rdir[PATH_MAX], want[PATH_MAX], real[PATH_MAX], buf[84];
	struct stat st;
	size_t n;

	if (!given[0])
		return fail(EX_DATAERR, err, OCI_ANN_POLICY " is empty");
	if (!realpath(dir, rdir))
		return fail(EX_NOINPUT, err, "policy directory %s: %s", dir, strerror(errno));
	if ((size_t)snprintf(want, sizeof(want), "%s%s%s", given[0] == '/' ? "" : rdir,
			     given[0] == '/' ? "" : "/", given) >= sizeof(want))
		return fail(EX_DATAERR, err, OCI_ANN_POLICY " is too long");
	if (!realpath(want, real))
		return fail(EX_NOINPUT, err, OCI_ANN_POLICY " '%s': %s", shown(given, buf), strerror(errno));
	/* annotations come from whoever starts the container: never a file
	 * outside the directory the hook was configured with */
	n = strlen(rdir);
	if (strcmp(rdir, "/") != 0 && (strncmp(real, rdir, n) != 0 || real[n] != '/'))
		return fail(EX_NOPERM, err, OCI_ANN_POLICY " '%s' is not in %s (the hook's policy "
				    "directory)", shown(given, buf), rdir);
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return fail(EX_NOINPUT, err, OCI_ANN_POLICY " '%s' is not a regular file", shown(given, buf));
	if ((size_t)snprintf(out, size, "%s", real) >= size)
		return fail(EX_DATAERR, err, OCI_ANN_POLICY " is too long");
	return compiled(real, err);
}
