/* The kernel contract: every map key and value the programs in
 * netacl.bpf.c read, and the loader (bpf/load.c) writes.  Included by both
 * sides, so it uses only fixed-width kernel types.
 *
 * How a verdict is reached (cgroup/connect4, connect6, sendmsg4, sendmsg6):
 *
 *   g    = gen[0]                        which of the two generations is live
 *   conf = conf[g]
 *   set  = table4[g](address)            IPv4, over 65,536 single addresses
 *       ?: conf.listN (up to 8 entries)  or, when the family has more:
 *          exactN[g](address)            hash: a single address -> port-set index
 *       ?: allowN[g](address)            LPM trie: prefix -> port-set index
 *                                        (a map conf.flags says is empty: not asked)
 *   ok   = conf.pset[set] (up to 4 ranges a protocol), else ports[g][set],
 *          has (proto, port)
 *   ok  |= conf.flags & ALLOW_ALL  &&  not denied  &&  ports[g][conf.star] has (proto, port)
 *   denied = conf.blocks of the address's first byte: NONE no, ALL yes,
 *            else denyN[g](address) is 1
 *
 * denyN is the special-purpose table of netacl-policy(5), SPECIAL-PURPOSE
 * ADDRESSES minus the ACL's `private:` exemptions.  IPv4-mapped IPv6
 * addresses are looked up in the IPv4 maps.  A send that names no address
 * (a connected UDP socket; the kernel runs sendmsg4/6 when the send has a
 * control message) is judged on the socket's peer.
 *
 * What a workload may not get around the address hooks with:
 *
 *   cgroup/sock_create  an inet socket must be TCP or MPTCP (stream) or
 *                       UDP (datagram); raw, ICMP ("ping"), UDP-Lite,
 *                       SCTP and the rest are refused (EPERM), ping
 *                       datagram sockets only if conf.flags has ALLOW_PING
 *   cgroup/setsockopt   no IPv6 routing header (IPV6_RTHDR, IPV6_2292RTHDR)
 *                       and no IPv4 options (IP_OPTIONS: source routing):
 *                       they send a packet elsewhere than the address the
 *                       connect or sendmsg hook judged
 *   cgroup_skb/egress   the same, on every packet a socket of the cgroup
 *                       sends: no IPv4 options, no IPv6 routing header.
 *                       The setsockopt hook does not run for 32-bit compat
 *                       calls, and root can put options in a control
 *                       message; this line catches both
 * A reload fills a generation not in use (fresh inner maps in slot
 * (g+1) % NETACL_SLOTS) and then writes gen[0]: a connect sees one
 * generation or the other.  Three slots: the one written was last live
 * two reloads ago, and the previous reload's slot writes (each waits for
 * running programs, synchronize_rcu) came after it stopped being live,
 * so no program can still read it.  A small old generation is therefore
 * left in its slot, not cleared with two more grace periods.  Targets
 * loaded by netacl before this have two slots: gen & 1, cleared after. 
 *
 * Live DNS (conf.flags & NETACL_DNS_ADMIT; netacl(8), LIVE DNS):
 *
 *   connect4/6, sendmsg4/6  TCP and UDP to port 53, anywhere, are sent to
 *                       the target's forwarder instead: 127.0.0.1:port4,
 *                       [::1]:port6 (dns[0]), the address asked for kept
 *                       in the socket's dnsorig storage.  No forwarder
 *                       (port 0): denied.  The forwarder itself is allowed
 *   recvmsg4/6, getpeername4/6  a reply from the forwarder shows as coming
 *                       from the address asked for (resolvers check it)
 *   ok  |= admitN(address) unexpired, (proto, port) in its ranges
 *
 * admitN and dns are no generation's: the forwarder writes them (before
 * it releases an answer), and reloads leave them as they are.
 *
 * Bind rules (cgroup/bind4, bind6; conf.flags & NETACL_BIND: the ACL has
 * `bind:`, else every bind is allowed, unjudged and uncounted):
 *
 *   set  = bindN[g](local address)     LPM trie: prefix -> port-set index
 *   ok   = ports[g][set] has (proto, port)    MPTCP binds a TCP subflow,
 *                                      judged as TCP; port 0 (the kernel
 *                                      picks one) is bit 0, which only an
 *                                      every-port set has
 *   ok  &= bind4[g](0.0.0.0) likewise, when the address is ::
 *
 * IPv4-mapped addresses bind IPv4 (Linux runs only bind6 for them): they
 * are looked up in bind4.  A socket bound to :: without IPV6_V6ONLY (the
 * default) receives IPv4 too, and the hook cannot see that option, so ::
 * must be allowed for both families.  Denied: EPERM.  Autobinds (connect,
 * sendto or listen on an unbound socket) and ping sockets (their own
 * bind) do not run these hooks.  bind4 and bind6 are tries of their own,
 * not allowN (their sets are another list) and not one trie keyed as
 * IPv6 (an IPv6 entry over ::ffff:0:0/96 would then allow IPv4, where
 * every other hook reads such entries as dead, as inspect does); their
 * port sets are in ports[g] with the allow sets.  Targets loaded by
 * netacl before bind rules have no bindN and no bind programs: a reload
 * that brings `bind:` to one is refused.
 *
 * Connection caps and connect rates (max_connections, max_connect_rate:
 * limit[g]; conf.flags & NETACL_LIMITS when it has either):
 *
 *   connect4/6, TCP (TCP Fast Open's sendto and MPTCP's subflows run the
 *   same hook, as TCP), once the policy allowed it:
 *     cap:  owner   = the socket, or for an MPTCP subflow its MPTCP socket
 *           counted = connsk(owner).counted    counted already: not again
 *           !counted: n = conns.n++ (atomic fetch-and-add); n >= max_conn
 *           gives the slot back and refuses
 *     rate: a token from conns' bucket (under conns.lock), else refuses
 *     refused: errno NETACL_LIMIT_ERRNO (EMFILE, by bpf_set_retval;
 *     connect never fails with it otherwise), counted CAPPED or RATED,
 *     reported with event.limit.  Audit mode lets it through, counted
 *     (the count may pass the cap), as AUDIT and CAPPED or RATED.
 *   sockops  TCP_CONNECT_CB of a counted socket asks for STATE_CB; its
 *            move to TCP_CLOSE (refused, reset, timed out, or closed and
 *            done; TIME_WAIT is no socket of the workload's) gives the
 *            slot back
 *   cgroup/sock_release  so does the socket's close (its last reference),
 *            whichever comes first: what never reached its SYN (no route,
 *            no local port, a Fast Open connect waiting for data) too
 *
 * What is counted, while the live generation has a cap: TCP connections
 * the workload opened, from the connect the policy let through (in
 * progress included: else many non-blocking connects would all pass an
 * empty count) until they end or the workload closes them.  A socket
 * counts once however often it connects; connsk.counted is taken back
 * with an atomic exchange, so a state change (softirq) and the release
 * (the closing process) cannot both give it back.  Adding before looking
 * makes concurrent connects near the cap refuse too many, never admit too
 * many.  An MPTCP socket counts once, whatever its subflows, until it is
 * closed: subflows are the kernel's sockets, which no release hook sees,
 * so one that fails before its SYN could never give a slot of its own
 * back.  Where the kernel has no bpf_skc_to_mptcp_sock (before 5.19, or
 * without MPTCP or BTF: the loader sets have_mptcp_cast), a subflow
 * counts as a TCP socket.  UDP is not counted: a connected UDP socket is
 * a default address, unconnected sends reach the same peers, and
 * counting it would limit nothing.  Connects the live-DNS capture sends
 * to the forwarder are netacl's own: neither counted nor limited.  In
 * audit mode a connect the policy would deny is counted (it is a
 * connection) but not judged by the limits.
 *
 * Only a cap counts: the mark is socket storage, whose first allocation
 * for a socket (two memcg-charged allocations, and their freeing at its
 * close) is most of what counting costs, about 0.8 us a TCP connect.  A
 * target without max_connections pays nothing per socket; a reload
 * that brings a cap counts what connects from then on, and connections
 * made while there was none are not counted.
 *
 * The rate is a token bucket kept as a theoretical arrival time (GCRA):
 * step = 1 s / max_rate; a connect at now may go when
 * max(tat, now) - now <= (max_rate - 1) * step, and then tat becomes
 * max(tat, now) + step: max_rate at once after a quiet second (the burst
 * is one second's worth), then one every step.  Refused connects take
 * no token; every TCP connect the hook sees takes one, a socket's
 * reconnects and MPTCP's further subflows too.
 *
 * conns and connsk are no generation's: reloads keep the count and the
 * bucket, while limit[g] (the values) switches with conf[g].  A fresh
 * load starts from 0: what an unloaded target counted is not carried
 * over.  Targets loaded by netacl before limits have no limit, conns or
 * connsk and neither of the two programs, and their conf never has
 * NETACL_LIMITS: a reload that brings a limit to one is refused.
 * bpf_set_retval in sock_addr programs needs Linux 5.18: the object as
 * a whole does. */
#ifndef NETACL_API_H
#define NETACL_API_H

#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_spin_lock */

#define NETACL_SLOTS 3

/* LPM keys: prefix length in bits, then the address in network order. */
struct netacl_key4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct netacl_key6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* The allowN tries map to a port-set index (__u32); the denyN tries to a
 * __u8: 1 denied, 0 an exemption (private:) inside a denied prefix, so
 * the longest prefix decides and ::1 exempt from ::/8 is one entry.  Whole-width prefixes (/32, /128) go to the
 * exactN hashes instead, keyed by the bare address (the addr bytes of
 * the keys above): a hash insert is several times cheaper than a trie
 * insert, and resolved names are mostly single addresses.  The loader
 * splits disjoint intervals, so an address is in one map at most.
 * The bindN tries map to a port-set index like allowN, whole-width
 * prefixes included (a few entries: no hash). */

/* table4[g]: a generation's single IPv4 addresses when there are more
 * than 65,536 (exact4 then stays empty; else table4 does): a hash table
 * of our own in an array, 4 bytes a slot, at most 3/4 full, where the
 * kernel's preallocated hash takes 81 bytes an address.  A million are
 * 5.3 MiB, less than the 8 bytes of data an address, written in one
 * batch of n + 1 elements, not a million updates.  Element 0 holds n,
 * the chunks, and a seed drawn per load (names' answers cannot be made
 * to pile up in a chunk).  With y = (addr ^ seed) * NETACL_HASH1 (a
 * bijection) and m = y * n (64 bits), an address is in chunk
 * 1 + (m >> 32), from its home slot (m >> 20) & 4095 on, fewer than
 * NETACL_PROBES slots on, wrapping in the chunk; its slot holds
 *
 *   set << 21 | d << 16 | (m >> 4) & 0xffff     d: slots from its home
 *
 * and no address: chunk, home and those 16 bits fix m to within 16,
 * so y to one value once n >= 16 (a table has at least 22 chunks).
 * Robin Hood order: no address is further from its home than those it
 * passed on the way, so a lookup stops at an empty slot
 * (NETACL_T4_EMPTY) or at one nearer its own home (d less) than the
 * lookup has come: an absent address costs a probe or two.  Port sets
 * of table4's addresses are below NETACL_T4_SETS (more: exact4).
 * Short prefixes (/24 to /31) beside them are written here too,
 * address by address, where a verdict finds them in one probe (the
 * loader's choice, bpf/table4.c: the programs see single addresses).
 * A reload whose table comes out the same shares the live map.
 *
 * Targets loaded by netacl before this hold tables of 8 bytes a slot
 * (struct netacl_chunk8: the address in host order and its set, home
 * slot (x * NETACL_HASH2) >> 20 with x = addr ^ seed, chunk
 * 1 + (x * NETACL_HASH1 * n >> 32)), which only their own programs
 * read: a repair puts a table of this layout in its place first. */
#define NETACL_CHUNK 4096   /* slots a chunk; a power of two */
#define NETACL_PROBES 32
#define NETACL_HASH1 0x9e3779b1u
#define NETACL_HASH1_INV 0x0e8b2f51u /* NETACL_HASH1 * this = 1 (mod 2^32) */
#define NETACL_HASH2 0x85ebca77u
#define NETACL_T4_EMPTY 0xffffffffu
#define NETACL_T4_SETS 2047

struct netacl_chunk {
	__u32 n;            /* element 0: the chunks */
	__u32 seed;         /* element 0: the seed */
	__u32 e[NETACL_CHUNK];
};

/* The older layout (above), read to be converted. */
#define NETACL_NO_SET 0xffffffffu

struct netacl_single {
	__u32 addr;         /* host order */
	__u32 set;          /* port-set index; NETACL_NO_SET: an empty slot */
};

struct netacl_chunk8 {
	__u32 n, seed;
	struct netacl_single e[NETACL_CHUNK];
};

/* ports[g] is an array of __u64 words: port set s, protocol k (0 TCP,
 * 1 UDP), port p is bit p%64 of word NETACL_PORT_WORD(s, k, p). */
#define NETACL_PORT_WORDS 1024
#define NETACL_PORT_WORD(s, k, p) (((s) * 2 + (k)) * NETACL_PORT_WORDS + ((p) >> 6))

enum {
	NETACL_ALLOW_ALL = 1 << 0, /* the ACL has a '*' rule */
	NETACL_AUDIT = 1 << 1,     /* allow everything, report would-be denials */
	NETACL_ALLOW_PING = 1 << 2, /* ICMP datagram ("ping") sockets may be created */
	NETACL_DNS_ADMIT = 1 << 3, /* capture DNS to the forwarder; admitN counts */
	NETACL_TABLE4 = 1 << 4,    /* table4 holds the single IPv4 addresses */
	NETACL_BIND = 1 << 5,      /* bind: given: bindN decides every bind */
	NETACL_LIMITS = 1 << 6,    /* limit[g] has a cap or a rate */
	/* The generation's map is empty: no need to ask it.  Said as an
	 * absence, so that a conf without these bits (an older netacl's)
	 * has every map asked. */
	NETACL_NO_EXACT4 = 1 << 7,
	NETACL_NO_ALLOW4 = 1 << 8,
	NETACL_NO_EXACT6 = 1 << 9,
	NETACL_NO_ALLOW6 = 1 << 10,
	NETACL_LIST4 = 1 << 11,    /* conf.list4 holds exact4's and allow4's entries */
	NETACL_LIST6 = 1 << 12,
	NETACL_EXEMPT4 = 1 << 13,  /* conf.ex4 holds exemptions from the deny table */
	NETACL_EXEMPT6 = 1 << 14,
	NETACL_RANGE4 = 1 << 15,   /* range4[g] holds exact4's and allow4's entries */
	NETACL_RANGE6 = 1 << 16,   /* range6[g] holds exact6's and allow6's entries */
	/* what a conf of 8 bytes (an older netacl's target) may say: its
	 * programs know no more, and the copies the rest name are not there */
	NETACL_FLAGS_OF_8 = (1 << 7) - 1,
};

#define NETACL_NO_STAR 0xffffffffu

/* The deny table in blocks of the address's first byte (b.0.0.0/8,
 * b00::/8), two bits each, block b at bits 2*(b%32) of word b/32:
 * NETACL_BLOCK_NONE, the block is out of it: not denied; _ALL, all of the
 * block is in it: denied; 0, some: ask the trie (denyN).  0 is the safe
 * default: a conf without blocks (an older netacl's) always asks. */
enum { NETACL_BLOCK_NONE = 1, NETACL_BLOCK_ALL = 2 };
#define NETACL_BLOCK_WORDS 8

/* What a target's programs were verified without: the programs'
 * constant `lacks` (.rodata), which the verifier reads to drop the code
 * of each, and conf[g].lacks, where the loader keeps it.  A first load
 * leaves out what its policy does not use (most of the verifier's work,
 * most of a `netacl run`); a reload that needs more first attaches
 * programs without any (attach_repair), and then installs. */
enum {
	NETACL_LACKS_DNS = 1 << 0,    /* dns: admit: the capture, admitN, recvmsg, getpeername */
	NETACL_LACKS_LIMITS = 1 << 1, /* max_connections, max_connect_rate: sockops, sock_release */
	NETACL_LACKS_BIND = 1 << 2,   /* bind: (bind4, bind6 let every bind go ahead) */
	NETACL_LACKS_STAR = 1 << 3,   /* '*' rules: the deny table */
	NETACL_LACKS_TABLE4 = 1 << 4, /* table4 */
	NETACL_LACKS_RANGE = 1 << 5,  /* range4, range6 */
	NETACL_LACKS_ALL = (1 << 6) - 1,
};

/* Small sets, copied into conf where a verdict finds them without a map
 * lookup (each lookup of an inner map is a call; a trie's is a walk):
 *  - listN: every entry of exactN and allowN (not table4's) when there
 *    are at most NETACL_LIST, as network and mask (network order), with
 *    their port sets; conf.flags NETACL_LISTN says so, and the programs
 *    then ask neither map.  The entries are disjoint (the loader splits
 *    them), so the first that holds the address is the one.
 *  - pset[s]: port set s < npsets as at most NETACL_PRANGES ranges a
 *    protocol; n[k] NETACL_PSET_MAP: more, ask ports[g].
 *  - t4_n, t4_seed: table4's element 0 (0: read it).
 *  - ex[g] (a map of its own, struct netacl_ex): up to NETACL_EX
 *    prefixes of denyN's exemptions (value 0) that hold no denied
 *    address, such as ::1 under `private: [loopback]`: an address in a
 *    block of "some" (above) found there is not denied, without the
 *    trie's walk (which carves 258 prefixes around ::1).  conf.flags
 *    NETACL_EXEMPTN says there are some; the trie holds them all the
 *    same.  Not in conf: a conf map is the size the target's first load
 *    made, and programs that read past it would not load on an older
 *    netacl's target (which has no ex map: its conf never says EXEMPT).
 * The maps keep every entry all the same: inspect reads them, and checks
 * that these copies (and the blocks) agree with them. */
#define NETACL_LIST 8
#define NETACL_PSETS 8
#define NETACL_PRANGES 4
#define NETACL_PSET_MAP 0xff
#define NETACL_EX 4

struct netacl_prange {
	__u16 lo, hi;
};

struct netacl_net4 {
	__u32 net, mask, set;
};

struct netacl_net6 {
	__u32 net[4], mask[4], set;
};

struct netacl_pset {
	__u8 n[2];         /* ranges: [0] TCP, [1] UDP; NETACL_PSET_MAP: ask ports[g] */
	__u16 pad;
	struct netacl_prange r[2][NETACL_PRANGES];
};

/* conf[g].  A target an older netacl loaded has only flags and star (an
 * 8-byte value): the rest is not written there, and its programs do not
 * read it (its lacks is 0: they have everything).  Zero is the safe
 * default of every field past star: ask the maps. */
struct netacl_conf {
	__u32 flags;
	__u32 star; /* port set of the '*' rules, or NETACL_NO_STAR */
	__u64 blocks[2][NETACL_BLOCK_WORDS]; /* [0] IPv4, [1] IPv6 */
	__u32 lacks; /* NETACL_LACKS_*: what the attached programs lack */
	__u32 npsets;
	__u32 nlist[2];
	__u32 t4_n, t4_seed;
	struct netacl_net4 list4[NETACL_LIST];
	struct netacl_net6 list6[NETACL_LIST];
	struct netacl_pset pset[NETACL_PSETS];
};

/* range4[g] and range6[g] (maps of their own, by generation like ex):
 * the entries of exactN (unless table4 has them) and allowN, when there
 * are more than listN holds, as at most NETACL_RANGES (IPv4) or
 * NETACL_RANGES6 intervals [lo, hi] (host order; IPv6 as two 64-bit
 * halves, the high one first) of one port set each, ascending and
 * disjoint; conf.flags NETACL_RANGEN says so, and the programs then ask
 * neither map.  A search of four ways a step finds the last lo at or
 * below the address, with no helper call: the hash's lookup and the
 * trie's walk were each about as long as the rest of a verdict.  step:
 * where the search starts, the least power of four whose four times is
 * at least n (0 for n of 1).  lo past n is all ones, which only the
 * highest address is not below (the search then takes the last
 * interval): no bound to check a step.  4,096 IPv4 intervals are 48 KiB
 * a generation, 1,024 IPv6 ones 36 KiB: beyond, the maps answer.  The maps
 * keep every entry all the same (inspect checks the copy, as the
 * lists'). */
#define NETACL_RANGES 4096 /* a power of four */
#define NETACL_RANGE_STEPS 6 /* steps of 1,024 to 1 */

struct netacl_range4 {
	__u32 n, step;
	__u32 lo[NETACL_RANGES];
	__u32 hi[NETACL_RANGES];
	__u32 set[NETACL_RANGES];
};

#define NETACL_RANGES6 1024 /* a power of four */
#define NETACL_RANGE6_STEPS 5 /* steps of 256 to 1 */

struct netacl_range6 {
	__u32 n, step;
	__u64 lo[NETACL_RANGES6][2];
	__u64 hi[NETACL_RANGES6][2];
	__u32 set[NETACL_RANGES6];
};

/* ex[g]: the deny table's exemptions conf copies (above). */
struct netacl_ex {
	__u32 n[2];
	struct netacl_net4 v4[NETACL_EX];
	struct netacl_net6 v6[NETACL_EX];
};

/* limit[g]: the generation's max_connections and max_connect_rate. */
struct netacl_limits {
	__u32 max_conn;    /* TCP connections at once; 0: no cap */
	__u32 max_rate;    /* TCP connects a second, burst as many; 0: no limit */
};

/* conns[0]: the target's count and bucket, no generation's. */
struct netacl_conns {
	struct bpf_spin_lock lock; /* guards tat_ns */
	__u32 pad;
	__u64 tat_ns;      /* CLOCK_MONOTONIC: the bucket's theoretical arrival time */
	__s64 n;           /* TCP connections counted now */
};

/* connsk (socket storage): 1 while the socket is counted in conns.n */
struct netacl_connsk {
	__u64 counted;
};

/* A connect a limit refuses fails with this errno (EMFILE). */
#define NETACL_LIMIT_ERRNO 24

/* admitN: an address the workload's DNS answered, keyed like exactN, and
 * the ports of the rules that allowed the name, per protocol. */
#define NETACL_ADMIT_RANGES 32
#define NETACL_ADMIT_MAX 65536


struct netacl_admit {
	__u64 expires_ns;  /* CLOCK_MONOTONIC, as bpf_ktime_get_ns */
	__u8 n[2];         /* ranges in use: [0] TCP, [1] UDP */
	__u8 pad[6];
	struct netacl_prange r[2][NETACL_ADMIT_RANGES];
	char name[256];    /* the name last answered with it (inspect, explain) */
};

/* dns[0]: where the target's forwarder listens (UDP and TCP, host
 * order), 0 while none does. */
struct netacl_dns {
	__u16 port4, port6;
	__u32 pid;         /* the process serving, for status */
};

/* dnsorig (socket storage): the address a captured socket asked for. */
struct netacl_orig {
	__u8 family;       /* 4 or 6 */
	__u8 pad;
	__u16 port;        /* network order */
	__u8 addr[16];     /* network order; IPv4 in the first 4 bytes */
};

/* dnsev (a queue the programs never touch): what the forwarder did, for
 * trace.  The forwarder pushes with BPF_EXIST, so a full queue drops its
 * oldest event; trace skips events older than itself. */
#define NETACL_DNSEV_MAX 1024

enum {
	NETACL_DNS_ADMITTED = 1,  /* addr admitted for name, ttl seconds */
	NETACL_DNS_REFUSED = 2,   /* name refused: NXDOMAIN, never asked upstream */
	NETACL_DNS_NOT_ADMITTED = 3, /* addr answered for name, refused (row) */
};

struct netacl_dnsev {
	__u64 ktime_ns;   /* CLOCK_MONOTONIC */
	__u32 ttl;        /* ADMITTED: seconds */
	__u16 qtype;
	__u8 what;        /* NETACL_DNS_* */
	__u8 family;      /* 4, 6; 0: no address */
	__u8 addr[16];    /* network order; IPv4 in the first 4 bytes */
	__u8 row;         /* NOT_ADMITTED: the special-purpose row, 255 none */
	__u8 pad[7];
	char name[256];
};

/* counters (per-CPU array), one slot each */
enum {
	NETACL_CNT_ALLOW,
	NETACL_CNT_DENY,
	NETACL_CNT_AUDIT, /* would have been denied */
	NETACL_CNT_LOST,  /* events the full ring buffer refused */
	NETACL_CNT_CAPPED, /* TCP connects over max_connections (audit: let through) */
	NETACL_CNT_RATED,  /* TCP connects over max_connect_rate (audit: let through) */
	NETACL_NCOUNTERS  /* a target loaded before limits has the first four */
};

enum { NETACL_V_ALLOW = 1, NETACL_V_DENY = 2, NETACL_V_AUDIT = 3 };

/* What an event is about. */
enum {
	NETACL_EV_ADDRESS = 0, /* connect or send to addr:port */
	NETACL_EV_SOCKET = 1,  /* socket(family, type in port, proto) */
	NETACL_EV_SOCKOPT = 2, /* setsockopt(level in proto, optname in port) */
	NETACL_EV_PACKET = 3,  /* a packet (family 4: IPv4 options; 6: routing header) */
	NETACL_EV_BIND = 4,    /* bind to local addr:port */
};

/* Which limit refused (or, audited, would have refused) a connect. */
enum { NETACL_LIMIT_CONN = 1, NETACL_LIMIT_RATE = 2 };

/* One verdict, to the events ring buffer, while listen[0] is nonzero:
 * `netacl trace` sets it while it reads the ring, and takes no event
 * from before it started, so with nobody reading an event would only
 * fill the ring (and count as lost).  Every verdict is counted either
 * way (counters). */
struct netacl_event {
	__u64 ktime_ns;  /* CLOCK_MONOTONIC */
	__u64 cgroup_id;
	__u32 pid;
	__u16 port;      /* host order; SOCKET: the type; SOCKOPT: optname */
	__u8 family;     /* 4 or 6 */
	__u8 proto;      /* IPPROTO_*; SOCKOPT: the level */
	__u8 verdict;    /* NETACL_V_* */
	__u8 kind;       /* NETACL_EV_* */
	__u8 limit;      /* NETACL_LIMIT_*, 0: the policy's verdict */
	__u8 pad[5];
	__u8 addr[16];   /* network order; IPv4 in the first 4 bytes */
	char comm[16];
};

#define NETACL_RING_BYTES (256 * 1024)

/* Userspace bookkeeping, meta[g]: what was loaded (read by status and
 * inspect; the programs never look at it). */
#define NETACL_NAT64_MAX 16

struct netacl_meta {
	__u64 loaded_at;     /* seconds since the epoch */
	__s64 min_ttl;       /* smallest TTL of the answers, -1 if none */
	__u32 entries4, entries6, nsets;
	__u32 pad;
	__u8 digest[32];     /* SHA-256 of the loaded file */
	char target[256];
	char acl[256];
	char cgroup[512];    /* absolute path */
	/* the policy's nat64: prefixes (length 0 ends the list), which
	 * inspect needs to tell the table from private: exemptions */
	__u8 nat64_len[NETACL_NAT64_MAX];
	__u8 nat64[NETACL_NAT64_MAX][16];
};

#endif
