/* The programs of a first load, verified while the maps are filled.
 * Verifying the four address programs is most of a first load (5-9 ms
 * each on the 2-core machine this was measured on), and the first
 * generation's map-in-map writes each wait for a grace period: so the maps
 * come from an object that loads no program, two objects on those maps
 * verify half the programs each in two threads, and the caller fills the
 * maps meanwhile. */
#ifndef NETACL_PROGS_H
#define NETACL_PROGS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct netacl;
struct bpf_program;
struct bpf_map;

struct progs {
	struct netacl *maps;     /* created the maps; holds no program */
	struct netacl *half[2];  /* each verified every other program */
	pthread_t thread[2];
	bool started[2];
	int err[2];
	struct progs_job {
		struct progs *p;
		int half;
	} job[2];
	uint32_t lacks;          /* NETACL_LACKS_*, in each half's .rodata */
	bool mptcp_cast;
};

/* Can the programs ask for a subflow's MPTCP socket here (the helper
 * bpf_skc_to_mptcp_sock: Linux 5.19 with MPTCP and BTF)?  Probed once;
 * the object's have_mptcp_cast must say so before it is loaded. */
bool progs_mptcp_cast(void);

/* Create the maps: 0 or -errno.  The live-DNS maps admit4 and admit6,
 * hashes of NETACL_ADMIT_MAX entries, are most of the time this takes
 * (0.6 ms each on the machine measured): they are made of one entry,
 * and whole ones take their place when the policy has dns: admit
 * (progs_verify_start) or a reload brings it (attach_repair).  A target
 * whose live generation admits has whole ones. */
int progs_create_maps(struct progs *p);
/* Start creating them in a thread of their own (a first load that will
 * be: run's), while the policy is read; progs_take gets them (or, not
 * started, creates them).  Not taken, they go with the process. */
void progs_prefetch(void);
int progs_take(struct progs *p);
/* Verify the programs on p's maps, in the background, without the code
 * of what lacks names (NETACL_LACKS_*).  0, or -errno and nothing
 * started. */
int progs_verify_start(struct progs *p, uint32_t lacks);
/* Is map_name admit4 or admit6; a whole (NETACL_ADMIT_MAX) map like
 * `like`: a new fd or -errno. */
bool progs_is_admit(const char *map_name);
int progs_admit_new(const struct bpf_map *like);
/* Wait for the verification: 0 or the first -errno. */
int progs_verify_wait(struct progs *p);
/* The NETACL_LACKS_* feature prog serves; 0: every policy needs it.  A
 * first load leaves out the programs of what its policy lacks (the
 * recvmsg and getpeername programs without dns: admit, bind programs
 * without bind:, sockops and sock_release without limits); a reload that
 * needs them attaches them (attach_repair). */
uint32_t progs_feature(const struct bpf_program *prog);
/* The i-th loaded program in the object's order; NULL past the last. */
struct bpf_program *progs_nth(const struct progs *p, unsigned i);
void progs_destroy(struct progs *p);

#endif
