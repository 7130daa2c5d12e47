/* Privileges, mounts and pin paths. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sysexits.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/sys.h"
#include "compiler/diag.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define CAP_BPF 39

static unsigned long long effective_caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps;
}

int sys_check_privileges(void)
{
	unsigned long long caps = effective_caps();
	bool bpf = caps >> CAP_BPF & 1 || caps >> CAP_SYS_ADMIN & 1;

	if (bpf && (caps >> CAP_NET_ADMIN & 1))
		return 0;
	die_msg("loading BPF programs into a cgroup needs root "
		"(or CAP_BPF and CAP_NET_ADMIN; CAP_SYS_ADMIN to mount bpffs)");
	return EX_NOPERM;
}

int sys_cgroup2(char out[PATH_MAX])
{
	FILE *f = fopen("/proc/mounts", "r");
	char dev[256], dir[PATH_MAX], type[64];
	int found = 0;

	while (f && !found && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(out, PATH_MAX, "%s", dir);
			found = 1;
		}
	if (f)
		fclose(f);
	if (found)
		return 0;
	die_msg("no cgroup2 file system is mounted (see /proc/mounts); "
		"enforcement needs the unified cgroup hierarchy");
	return EX_UNAVAILABLE;
}

int sys_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	mkdir("/sys/fs/bpf", 0700);
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0)
		return 0;
	die_msg("cannot mount bpffs at /sys/fs/bpf: %s", strerror(errno));
	return errno == EPERM ? EX_NOPERM : EX_UNAVAILABLE;
}

int sys_cgroup_path(const char *cg2, const char *given, char out[PATH_MAX])
{
	size_t n = strlen(cg2);

	if (given[0] != '/') {
		snprintf(out, PATH_MAX, "%s/%s", cg2, given);
		return 0;
	}
	if (strncmp(given, cg2, n) == 0 && (given[n] == '/' || given[n] == 0)) {
		snprintf(out, PATH_MAX, "%s", given);
		return 0;
	}
	die_msg("cgroup '%s' is not in the cgroup2 hierarchy mounted at %s", given, cg2);
	return EX_USAGE;
}

int sys_cgroup_create(const char *path, char made[PATH_MAX])
{
	char buf[PATH_MAX];

	if (made)
		made[0] = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(buf, 0755) == 0) {
			if (made && !made[0])
				snprintf(made, PATH_MAX, "%s", buf);
		} else if (errno != EEXIST) {
			int err = errno;

			die_msg("cannot create cgroup %s: %s", buf, strerror(err));
			if (made)
				sys_cgroup_unmake(path, made);
			return err == EACCES || err == EPERM ? EX_NOPERM : EX_CANTCREAT;
		}
		if (!(*p = c))
			return 0;
	}
}

void sys_cgroup_unmake(const char *path, char made[PATH_MAX])
{
	char buf[PATH_MAX];
	size_t keep = strlen(made);

	if (!made[0])
		return;
	snprintf(buf, sizeof(buf), "%s", path);
	/* from the deepest up to the first one made, never above it */
	while (strlen(buf) >= keep) {
		char *slash = strrchr(buf, '/');

		rmdir(buf);
		if (!slash || slash == buf)
			break;
		*slash = 0;
	}
	made[0] = 0;
}

const char *sys_pin_root(void)
{
	const char *env = getenv("NETACL_PIN_ROOT");

	return env && *env ? env : NETACL_PIN_ROOT_DEFAULT;
}

int sys_pin_root_check(void)
{
	const char *root = sys_pin_root();

	if (root[0] == '/' && strlen(root) <= NETACL_PIN_ROOT_MAX)
		return 0;
	die_msg("NETACL_PIN_ROOT must be an absolute path of at most %d bytes, not '%.64s'",
		NETACL_PIN_ROOT_MAX, root);
	return EX_USAGE;
}

int sys_pin_root_create(void)
{
	const char *root = sys_pin_root();
	struct statfs st;

	bool made = mkdir(root, 0700) == 0;

	if (!made && errno != EEXIST) {
		die_msg("cannot create %s: %s", root, strerror(errno));
		return errno == EACCES || errno == EPERM ? EX_NOPERM : EX_CANTCREAT;
	}
	if (statfs(root, &st) != 0 || st.f_type != BPF_FS_MAGIC) {
		if (made)
			rmdir(root);
		die_msg("%s is not a directory on a bpf file system (bpffs)", root);
		return EX_USAGE;
	}
	return 0;
}

void sys_pin_dir(const char *target, char out[PATH_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = (size_t)snprintf(out, PATH_MAX, "%s/", sys_pin_root());

	for (const unsigned char *s = (const unsigned char *)target; *s && n + 4 < PATH_MAX; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-') {
			out[n++] = (char)*s;
			continue;
		}
		out[n++] = '%';
		out[n++] = hex[*s >> 4];
		out[n++] = hex[*s & 15];
	}
	out[n] = 0;
}

bool sys_fault(const char *where)
{
	const char *f = getenv("NETACL_TEST_FAULT");

	return f && strcmp(f, where) == 0;
}

void sys_fault_kill(const char *where)
{
	if (sys_fault(where))
		raise(SIGKILL);
}

int sys_bpf_error(int err, int otherwise, const char *what)
{
	if (err < 0)
		err = -err;
	die_msg("%s: %s", what, strerror(err));
	if (err == EPERM || err == EACCES) {
		fprintf(stderr, "netacl: note: this needs root (or CAP_BPF and CAP_NET_ADMIN)\n");
		return EX_NOPERM;
	}
	return otherwise;
}

static bool populated(const char *cg)
{
	char path[PATH_MAX + 32], buf[256];
	bool yes = true;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, "populated ", 10) == 0)
			yes = buf[10] != '0';
	fclose(f);
	return yes;
}

/* SIGKILL every process in cg: cgroup.kill (Linux 5.14) gets forks in
 * flight too; older kernels get a kill per listed pid. */
static void kill_all(const char *cg)
{
	char path[PATH_MAX + 32];
	int fd, pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.kill", cg);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "re");
	while (f && fscanf(f, "%d", &pid) == 1)
		kill(pid, SIGKILL);
	if (f)
		fclose(f);
}

int sys_cgroup_kill(const char *cg, int timeout_ms)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; populated(cg); waited += 10) {
		if (waited >= timeout_ms)
			return -1;
		kill_all(cg);
		nanosleep(&tick, NULL);
	}
	return 0;
}

int sys_map_update_all(int fd, const void *keys, size_t ksize, const void *vals, size_t vsize,
		       size_t n)
{
	__u32 count = (__u32)n;

	if (!n || bpf_map_update_batch(fd, keys, vals, &count, NULL) == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const char *)keys + i * ksize,
					(const char *)vals + i * vsize, BPF_ANY))
			return -errno;
	return 0;
}

struct bpf_map_info sys_map_info(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		memset(&info, 0, sizeof(info));
	return info;
}
