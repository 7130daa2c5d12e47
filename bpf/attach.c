#include "bpf/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/progs.h"
#include "bpf/sys.h"
#include "bpf/table4.h"
#include "compiler/diag.h"
#include "bpf/netacl.skel.h"

void attach_link_name(const struct bpf_program *p, char out[64])
{
	const char *name = bpf_program__name(p);

	if (strncmp(name, "netacl_", 7) == 0)
		name += 7;
	snprintf(out, 64, "%s%s", LINK_PREFIX, name);
}

/* Is prog one of p's programs?  A target loaded before bind rules has
 * no bind programs, one loaded before limits no sockops and sock_release
 * programs, and each is repaired in its own layout (pins.h). */
static bool in_layout(const struct pinned *p, const struct bpf_program *prog)
{
	enum bpf_attach_type t = bpf_program__expected_attach_type(prog);

	if (p->no_bind && (t == BPF_CGROUP_INET4_BIND || t == BPF_CGROUP_INET6_BIND))
		return false;
	return !(p->no_limits && (t == BPF_CGROUP_SOCK_OPS || t == BPF_CGROUP_INET_SOCK_RELEASE));
}

/* The cgroup id of path (its inode on cgroup2), or 0 if it is gone. */
static unsigned long long cgroup_id(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* Pin fd as dir/name in place of the pin there (a new name, then a
 * rename: the pin is never missing).  0 or -errno. */
static int pin_replace(int fd, const char *dir, const char *name)
{
	char tmp[80], path[PATH_MAX + 80], final[PATH_MAX + 80];
	int err;

	snprintf(tmp, sizeof(tmp), "%s+new", name);
	snprintf(path, sizeof(path), "%s/%s", dir, tmp);
	snprintf(final, sizeof(final), "%s/%s", dir, name);
	unlink(path);
	err = pins_pin(fd, dir, tmp);
	if (!err && rename(path, final))
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

/* The ids of p's pinned maps. */
struct pinned_ids {
	uint32_t id[NPINS];
};

static struct pinned_ids pinned_ids(const struct pinned *p)
{
	struct pinned_ids x = { { 0 } };

	for (int i = 0; i < NPINS; i++)
		if (p->fd[i] >= 0)
			x.id[i] = sys_map_info(p->fd[i]).id;
	return x;
}

/* Does program prog_id read a conf, admit or table4 map that is not the
 * pinned one?  A repair replaces those (attach_repair) and then each program:
 * one that stopped halfway left programs on the old maps, which a reload
 * would no longer write. */
static bool reads_unpinned(uint32_t prog_id, const struct pinned_ids *pins)
{
	uint32_t ids[64], len;
	struct bpf_prog_info pi = { 0 };
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool stale = false;

	if (fd < 0)
		return false; /* gone since: link_ok saw the link */
	pi.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	pi.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(pi);
	if (bpf_obj_get_info_by_fd(fd, &pi, &len))
		pi.nr_map_ids = 0;
	close(fd);
	for (uint32_t i = 0; i < pi.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]) && !stale; i++) {
		bool known = false;
		int m;

		for (int k = 0; k < NPINS && !known; k++)
			known = pins->id[k] == ids[i];
		if (known || (m = bpf_map_get_fd_by_id(ids[i])) < 0)
			continue;
		struct bpf_map_info mi = sys_map_info(m);

		/* (a target without a table4 pin reads none: legacy) */
		stale = strcmp(mi.name, "conf") == 0 || progs_is_admit(mi.name) ||
			(strcmp(mi.name, "table4") == 0 && pins->id[PIN_TABLE4]);
		close(m);
	}
	return stale;
}

/* Why the link pinned at path does not attach to the cgroup `want` a
 * program on the pinned maps. */
static bool link_ok(const char *path, unsigned long long want, const struct pinned_ids *pins,
		    char *why, size_t size)
{
	struct bpf_link_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);
	bool ok = false;

	if (fd < 0)
		snprintf(why, size, "%s is missing", strrchr(path, '/') + 1);
	else if (bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(why, size, "%s: %s", strrchr(path, '/') + 1, strerror(errno));
	else if (info.type != BPF_LINK_TYPE_CGROUP || info.cgroup.cgroup_id == 0)
		snprintf(why, size, "%s is detached (its cgroup was removed, or it was detached)", strrchr(path, '/') + 1);
	else if (info.cgroup.cgroup_id != want)
		snprintf(why, size, "the cgroup was removed or made again; the programs are "
			 "attached to the old one");
	else if (reads_unpinned(info.prog_id, pins))
		snprintf(why, size, "%s runs on maps no longer pinned (a repair was interrupted)",
			 strrchr(path, '/') + 1);
	else
		ok = true;
	if (fd >= 0)
		close(fd);
	return ok;
}

bool attach_ok(const struct pinned *p, char *why, size_t size)
{
	struct netacl *skel = netacl__open();
	unsigned long long want = cgroup_id(p->meta.cgroup);
	struct pinned_ids pins = pinned_ids(p);
	struct bpf_program *prog;
	char name[64], path[PATH_MAX + 80];
	bool ok = true;

	if (!skel) {
		snprintf(why, size, "cannot open the programs: %s", strerror(errno));
		return false;
	}
	if (!want) {
		snprintf(why, size, "its cgroup %s is gone", p->meta.cgroup);
		ok = false;
	} else if (p->unbacked) {
		snprintf(why, size, "its conf sends the programs to %s, which is not pinned",
			 p->unbacked & NETACL_RANGE4 ? "range4" : "range6");
		ok = false;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		if (!ok)
			break;
		if (!in_layout(p, prog))
			continue;
		attach_link_name(prog, name);
		snprintf(path, sizeof(path), "%s/%s", p->dir, name);
		/* a first load leaves out what the policy does not use */
		if ((progs_feature(prog) & p->conf.lacks) && access(path, F_OK) != 0 && errno == ENOENT)
			continue;
		ok = link_ok(path, want, &pins, why, size);
	}
	netacl__destroy(skel);
	return ok;
}

/* The admit map p->fd[which], made whole if a first load without dns:
 * admit made it small (progs.h).  The programs it replaces never read
 * it, nor does a forwarder: only a generation with dns: admit does, and
 * it comes after this.  0 or -errno. */
static int admit_whole(struct pinned *p, const struct bpf_map *m, int which)
{
	int big, err;

	if (sys_map_info(p->fd[which]).max_entries >= NETACL_ADMIT_MAX)
		return 0;
	if ((big = progs_admit_new(m)) < 0)
		return big;
	err = pin_replace(big, p->dir, bpf_map__name(m));
	if (err) {
		close(big);
		return err;
	}
	close(p->fd[which]);
	p->fd[which] = big;
	return 0;
}

/* A conf map of an older netacl (8 bytes a value: flags and star) is too
 * small for these programs, which read all of struct netacl_conf: a
 * whole one takes its place, each slot's value copied and the rest zero
 * (no copies: ask the maps), before they load on it.  The programs it
 * replaces read the old one until their links are replaced: the same
 * values.  0 or -errno. */
static int conf_whole(struct pinned *p)
{
	struct bpf_map_info info = sys_map_info(p->fd[PIN_CONF]);
	int fd, err = 0;

	if (info.value_size >= sizeof(struct netacl_conf))
		return 0;
	if (info.value_size == 0 || info.max_entries == 0)
		return -EINVAL;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "conf", 4, sizeof(struct netacl_conf),
			    info.max_entries, NULL);
	if (fd < 0)
		return -errno;
	for (uint32_t s = 0; s < info.max_entries && !err; s++) {
		struct netacl_conf c;

		memset(&c, 0, sizeof(c)); /* the lookup writes value_size bytes */
		if (bpf_map_lookup_elem(p->fd[PIN_CONF], &s, &c) ||
		    bpf_map_update_elem(fd, &s, &c, BPF_ANY))
			err = -errno;
	}
	if (!err)
		err = pin_replace(fd, p->dir, "conf");
	if (err) {
		close(fd);
		return err;
	}
	close(p->fd[PIN_CONF]);
	p->fd[PIN_CONF] = fd;
	p->conf_size = sizeof(struct netacl_conf);
	p->conf_flags = pinned_conf_flags(p);
	return 0;
}

/* conf[gen] as a struct, and back: the map's value may be larger
 * (a newer netacl's), and what is past the struct is written as read. */
static int conf_live_get(const struct pinned *p, unsigned char cv[NETACL_CONF_MAX],
			 struct netacl_conf *c)
{
	if (bpf_map_lookup_elem(p->fd[PIN_CONF], &p->gen, cv))
		return -errno;
	memcpy(c, cv, sizeof(*c));
	return 0;
}

static int conf_live_put(const struct pinned *p, unsigned char cv[NETACL_CONF_MAX],
			 const struct netacl_conf *c)
{
	memcpy(cv, c, sizeof(*c));
	return bpf_map_update_elem(p->fd[PIN_CONF], &p->gen, cv, BPF_ANY) ? -errno : 0;
}

/* conf[gen] of a converted table4: its copy of element 0 says "read
 * it" (0), which both kinds of programs do; exact4: it is asked. */
static int conf_after_convert(struct pinned *p, bool exact4)
{
	unsigned char cv[NETACL_CONF_MAX] = { 0 };
	struct netacl_conf c;
	int err;

	if (p->conf_size < sizeof(c)) /* conf_whole made it whole before */
		return 0;
	if ((err = conf_live_get(p, cv, &c)) != 0)
		return err;
	c.t4_n = c.t4_seed = 0;
	if (exact4)
		c.flags &= ~(uint32_t)NETACL_NO_EXACT4;
	if ((err = conf_live_put(p, cv, &c)) != 0)
		return err;
	p->conf.t4_n = p->conf.t4_seed = 0;
	p->conf.flags = c.flags & p->conf_flags;
	return 0;
}

/* A target whose live table4 is of the older layout (8 bytes a slot,
 * table4.h) gets a table4 map of this layout in place of its pin, the
 * live generation's table converted into its slot, before these
 * programs load on it: they read the layout of the map they are loaded
 * with.  The programs it replaces read the old map until their links
 * are replaced: the same addresses.  0 or -errno. */
static int table4_whole(struct pinned *p)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	uint32_t n = 0, seed = 0;
	int old, inner, outer = -1, exact4 = -1, err;

	if (!p->t4_old)
		return 0;
	if ((old = pinned_inner(p, PIN_TABLE4)) < 0)
		return old;
	inner = table4_convert(old, &n, &seed, &exact4);
	close(old);
	if (inner < 0)
		return inner;
	o.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "table4", 4, 4,
			       sys_map_info(p->fd[PIN_TABLE4]).max_entries, &o);
	err = outer < 0 ? -errno : 0;
	if (!err && bpf_map_update_elem(outer, &p->gen, &inner, BPF_ANY))
		err = -errno;
	close(inner);
	/* the addresses in exact4 instead: the old programs never ask it
	 * while their own table answers */
	if (!err && exact4 >= 0 && bpf_map_update_elem(p->fd[PIN_EXACT4], &p->gen, &exact4, BPF_ANY))
		err = -errno;
	if (exact4 >= 0)
		close(exact4);
	if (!err)
		err = conf_after_convert(p, exact4 >= 0);
	if (!err)
		err = pin_replace(outer, p->dir, "table4");
	if (err) {
		if (outer >= 0)
			close(outer);
		return err;
	}
	close(p->fd[PIN_TABLE4]);
	p->fd[PIN_TABLE4] = outer;
	p->t4_old = false;
	return 0;
}

/* p's programs, loaded on the maps pinned in p->dir. */
static int load_on_pins(struct netacl *skel, const struct pinned *p)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	char path[PATH_MAX + 80];
	int err = 0;

	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, in_layout(p, prog));
	bpf_object__for_each_map(m, skel->obj) {
		if (err || bpf_map__is_internal(m))
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->dir, bpf_map__name(m));
		int fd = bpf_obj_get(path);

		/* an older netacl's target has no table4 (or bindN, or the limit
		 * maps): an empty one is made, which its conf never asks */
		if (fd < 0 && errno == ENOENT && pin_optional(bpf_map__name(m)))
			continue;
		err = fd < 0 ? -errno : bpf_map__reuse_fd(m, fd);
		if (fd >= 0)
			close(fd);
	}
	skel->rodata->have_mptcp_cast = progs_mptcp_cast(); /* .rodata is made anew */
	return err ? err : netacl__load(skel);
}

int attach_program(struct bpf_program *prog, int cg, const char *dir)
{
	struct bpf_link *link = bpf_program__attach_cgroup(prog, cg);
	char name[64];
	int err;

	if (!link)
		return -errno;
	attach_link_name(prog, name);
	err = pin_replace(bpf_link__fd(link), dir, name);
	bpf_link__destroy(link); /* pinned: stays attached; else detaches */
	return err;
}

/* The live conf without the flags that send programs to a map p has no
 * pin of (pinned_conf_flags: range4 and range6, ex), which these
 * programs would get unpinned and empty: an address range4 held would be
 * refused, as none of an empty range4's.  The programs it replaces read
 * their own maps still, or ask the maps that hold every entry: the same
 * verdicts.  0 or -errno. */
static int conf_masked(struct pinned *p)
{
	unsigned char cv[NETACL_CONF_MAX] = { 0 };
	struct netacl_conf c;
	int err;

	if (p->conf_size < sizeof(c))
		return 0;
	if ((err = conf_live_get(p, cv, &c)) != 0 || !(c.flags & ~p->conf_flags))
		return err;
	c.flags &= p->conf_flags;
	if ((err = conf_live_put(p, cv, &c)) != 0)
		return err;
	p->unbacked = 0;
	return 0;
}

/* What these programs need of an older or smaller target's maps. */
static int maps_whole(struct pinned *p, struct netacl *skel)
{
	int err = conf_whole(p);

	if (!err)
		err = conf_masked(p);
	if (!err)
		err = table4_whole(p);
	if (!err)
		err = admit_whole(p, skel->maps.admit4, PIN_ADMIT4);
	if (!err)
		err = admit_whole(p, skel->maps.admit6, PIN_ADMIT6);
	return err;
}

int attach_repair(struct pinned *p)
{
	struct netacl *skel = netacl__open();
	struct bpf_program *prog;
	int err = skel ? maps_whole(p, skel) : -errno, cg = -1, rc;

	if (!err)
		err = load_on_pins(skel, p);
	if (!err && (rc = sys_cgroup_create(p->meta.cgroup, NULL)) != 0) {
		netacl__destroy(skel);
		return rc;
	}
	if (!err && (cg = open(p->meta.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		err = -errno;
	if (!err)
		bpf_object__for_each_program(prog, skel->obj)
			if (!err && in_layout(p, prog)) {
				err = attach_program(prog, cg, p->dir);
				if (!err) /* for the tests: a repair killed halfway */
					sys_fault_kill("kill-in-repair");
			}
	if (cg >= 0)
		close(cg);
	netacl__destroy(skel);
	return err ? sys_bpf_error(err, EX_UNAVAILABLE, "cannot attach the programs again") : 0;
}
