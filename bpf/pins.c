/* Opening a loaded target from its pins. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/pins.h"
#include "bpf/table4.h"
#include "bpf/sys.h"

const char *const pin_names[NPINS] = {
	[PIN_GEN] = "gen", [PIN_CONF] = "conf", [PIN_META] = "meta",
	[PIN_COUNTERS] = "counters", [PIN_EVENTS] = "events", [PIN_LISTEN] = "listen",
	[PIN_ADMIT4] = "admit4", [PIN_ADMIT6] = "admit6", [PIN_DNS] = "dns",
	[PIN_DNSEV] = "dnsev",
	[PIN_LIMIT] = "limit", [PIN_CONNS] = "conns", [PIN_CONNSK] = "connsk",
	[PIN_EX] = "ex", [PIN_RANGE4] = "range4", [PIN_RANGE6] = "range6",
	[PIN_ALLOW4] = "allow4", [PIN_ALLOW6] = "allow6",
	[PIN_EXACT4] = "exact4", [PIN_EXACT6] = "exact6",
	[PIN_DENY4] = "deny4", [PIN_DENY6] = "deny6", [PIN_PORTS] = "ports",
	[PIN_TABLE4] = "table4", [PIN_BIND4] = "bind4", [PIN_BIND6] = "bind6",
};

static bool is_limit_pin(int i)
{
	return i == PIN_LIMIT || i == PIN_CONNS || i == PIN_CONNSK;
}

bool pin_optional(const char *name)
{
	static const int optional[] = { PIN_TABLE4, PIN_BIND4, PIN_BIND6,
					PIN_LIMIT, PIN_CONNS, PIN_CONNSK, PIN_EX,
					PIN_RANGE4, PIN_RANGE6 };

	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		if (strcmp(name, pin_names[optional[i]]) == 0)
			return true;
	return false;
}

int pins_pin(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX + 80];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_obj_pin(fd, path) || chmod(path, 0600))
		return -errno;
	return 0;
}

uint32_t pinned_conf_flags(const struct pinned *p)
{
	uint32_t f = ~0u;

	if (p->no_ex)
		f &= ~(uint32_t)(NETACL_EXEMPT4 | NETACL_EXEMPT6);
	if (p->no_range)
		f &= ~(uint32_t)(NETACL_RANGE4 | NETACL_RANGE6);
	return f;
}

int pinned_open_dir(const char *dir, struct pinned *p)
{
	char path[PATH_MAX + 32];
	uint32_t zero = 0;
	int err = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	for (int i = 0; i < NPINS; i++)
		p->fd[i] = -1;
	for (int i = 0; i < NPINS && !err; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		p->fd[i] = bpf_obj_get(path);
		if (p->fd[i] < 0 && errno == ENOENT && i == PIN_TABLE4)
			p->legacy = true;
		else if (p->fd[i] < 0 && errno == ENOENT && is_limit_pin(i))
			p->no_limits = true;
		else if (p->fd[i] < 0 && errno == ENOENT && i == PIN_EX)
			p->no_ex = true;
		else if (p->fd[i] < 0 && errno == ENOENT && (i == PIN_RANGE4 || i == PIN_RANGE6))
			p->no_range = true;
		else if (p->fd[i] < 0 && errno == ENOENT && pin_optional(pin_names[i]))
			p->no_bind = true;
		else if (p->fd[i] < 0)
			err = -errno;
	}
	if (!err && bpf_map_lookup_elem(p->fd[PIN_GEN], &zero, &p->gen))
		err = -errno;
	if (!err) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(p->fd[PIN_CONF], &info, &len))
			err = -errno;
		p->slots = info.max_entries >= NETACL_SLOTS ? NETACL_SLOTS : 2;
		p->gen = p->gen < p->slots ? p->gen : 0; /* as the programs read it */
		p->conf_size = info.value_size;
		p->conf_flags = info.value_size >= sizeof(p->conf) ? ~0u : NETACL_FLAGS_OF_8;
		p->conf_flags &= pinned_conf_flags(p);
		if (!err && (info.value_size == 0 || info.value_size > NETACL_CONF_MAX))
			err = -EPROTO;
	}
	if (!err) { /* the kernel writes the map's value size */
		unsigned char v[NETACL_CONF_MAX] = { 0 };

		if (bpf_map_lookup_elem(p->fd[PIN_CONF], &p->gen, v))
			err = -errno;
		memcpy(&p->conf, v, sizeof(p->conf));
	}
	/* an older netacl's conf: its programs read no more than this */
	if (!err) {
		p->unbacked = p->conf.flags & ~p->conf_flags & (NETACL_RANGE4 | NETACL_RANGE6);
		p->conf.flags &= p->conf_flags;
	}
	if (!err && bpf_map_lookup_elem(p->fd[PIN_META], &p->gen, &p->meta))
		err = -errno;
	if (!err && p->fd[PIN_TABLE4] >= 0) {
		int t4 = pinned_inner(p, PIN_TABLE4);

		p->t4_old = t4 >= 0 && table4_is_old(t4);
		if (t4 >= 0)
			close(t4);
	}
	if (err)
		pinned_close(p);
	return err;
}

int pinned_open(const char *target, struct pinned *p)
{
	char dir[PATH_MAX];

	sys_pin_dir(target, dir);
	return pinned_open_dir(dir, p);
}

void pinned_close(struct pinned *p)
{
	for (int i = 0; i < NPINS; i++)
		if (p->fd[i] >= 0)
			close(p->fd[i]);
	for (int i = 0; i < NPINS; i++)
		p->fd[i] = -1;
}

void pinned_counters(const struct pinned *p, uint64_t out[NETACL_NCOUNTERS])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*v));

	if (!v)
		abort();
	for (uint32_t k = 0; k < NETACL_NCOUNTERS; k++) {
		out[k] = 0;
		if (ncpu > 0 && bpf_map_lookup_elem(p->fd[PIN_COUNTERS], &k, v) == 0)
			for (int c = 0; c < ncpu; c++)
				out[k] += v[c];
	}
	free(v);
}

int pinned_limits(const struct pinned *p, struct netacl_limits *l, int64_t *conns)
{
	struct netacl_conns c;
	uint32_t zero = 0;

	memset(l, 0, sizeof(*l));
	*conns = 0;
	if (p->no_limits)
		return -ENOENT;
	if (bpf_map_lookup_elem(p->fd[PIN_LIMIT], &p->gen, l) ||
	    bpf_map_lookup_elem(p->fd[PIN_CONNS], &zero, &c))
		return -errno;
	*conns = c.n;
	return 0;
}

int pinned_inner(const struct pinned *p, int which)
{
	uint32_t id;
	int fd;

	if (p->fd[which] < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(p->fd[which], &p->gen, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pinned_each(int (*fn)(const char *dir, void *), void *arg)
{
	DIR *d = opendir(sys_pin_root());
	struct dirent *e;
	char **names = NULL, path[NETACL_PIN_ROOT_MAX + 300];
	size_t n = 0;
	int rc = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names || !(names[n++] = strdup(e->d_name)))
			abort();
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", sys_pin_root(), names[i]);
		if (!rc)
			rc = fn(path, arg);
		free(names[i]);
	}
	free(names);
	return rc;
}
