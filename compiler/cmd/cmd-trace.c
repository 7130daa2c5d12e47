/* netacl trace [--target NAME]... [--json]: stream verdict events, one
 * line (or JSON object) each, from bpf/events.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/events.h"
#include "bpf/sys.h"
#include "acl/special.h"
#include "compiler/cmd/cli.h"
#include "compiler/model/jsonw.h"
#include "compiler/cmd/verbs.h"

static const char usage[] = "netacl trace [--target NAME]... [--json]";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *verdict_name(uint8_t v)
{
	return v == NETACL_V_ALLOW ? "allow" : v == NETACL_V_DENY ? "deny" : "audit";
}

/* The limit that refused (or, audited, would have refused) a connect:
 * the policy key; NULL for the policy's own verdict. */
static const char *limit_name(uint8_t l)
{
	return l == NETACL_LIMIT_CONN ? "max_connections" : l == NETACL_LIMIT_RATE ? "max_connect_rate"
										   : NULL;
}

static const char *proto_name(const struct netacl_event *e, char buf[16])
{
	static const struct { uint8_t p; const char *name; } names[] = {
		{ IPPROTO_TCP, "tcp" }, { IPPROTO_UDP, "udp" }, { IPPROTO_ICMP, "icmp" },
		{ IPPROTO_ICMPV6, "icmpv6" }, { IPPROTO_UDPLITE, "udplite" },
		{ IPPROTO_SCTP, "sctp" }, { IPPROTO_RAW, "raw" },
	};

	if (e->kind == NETACL_EV_SOCKOPT) /* the option's level */
		return e->proto == IPPROTO_IPV6 ? "ipv6" : "ip";
	if (e->kind == NETACL_EV_PACKET)
		return e->family == 4 ? "ip" : "ipv6";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].p == e->proto)
			return names[i].name;
	snprintf(buf, 16, "proto-%u", e->proto);
	return buf;
}

static const char *socket_type(uint16_t t)
{
	return t == SOCK_STREAM ? "stream" : t == SOCK_DGRAM ? "dgram" : t == SOCK_RAW ? "raw" : "other";
}

/* What a dropped packet carried. */
static const char *packet_header(const struct netacl_event *e)
{
	return e->family == 4 ? "ip options" : "routing header";
}

static const char *option_name(uint16_t name, uint8_t level)
{
	if (level == IPPROTO_IP && name == IP_OPTIONS)
		return "IP_OPTIONS";
	return name == IPV6_RTHDR ? "IPV6_RTHDR" : name == IPV6_2292RTHDR ? "IPV6_2292RTHDR" : "other";
}

/* "time" as local HH:MM:SS.micro (text, like tcpdump) or RFC 3339 UTC (JSON). */
static void format_time(int64_t real_ns, bool utc, char out[48])
{
	time_t s = (time_t)(real_ns / 1000000000);
	struct tm tm;
	char base[32];

	strftime(base, sizeof(base), utc ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S",
		 utc ? gmtime_r(&s, &tm) : localtime_r(&s, &tm));
	snprintf(out, 48, "%s.%06d%s", base, (int)(real_ns % 1000000000 / 1000), utc ? "Z" : "");
}

struct tracer {
	const struct cli *c;
	struct jw w;   /* one event's JSON, reused */
};

static void json_event(struct jw *w, const char *target, const struct netacl_event *e,
		       const char *when, const char *comm, const char *proto, const char *addr)
{
	static const char *const kinds[] = { "address", "socket", "setsockopt", "packet", "bind" };

	jw_reset(w);
	jw_object(w);
	jw_key(w, "time");
	jw_str(w, when);
	jw_key(w, "target");
	jw_str(w, target);
	jw_key(w, "pid");
	jw_int(w, e->pid);
	jw_key(w, "comm");
	jw_str(w, comm);
	jw_key(w, "event");
	jw_str(w, kinds[e->kind <= NETACL_EV_BIND ? e->kind : 0]);
	jw_key(w, "proto");
	jw_str(w, proto);
	if (e->kind == NETACL_EV_SOCKET) {
		jw_key(w, "type");
		jw_str(w, socket_type(e->port));
	} else if (e->kind == NETACL_EV_SOCKOPT) {
		jw_key(w, "option");
		jw_str(w, option_name(e->port, e->proto));
	} else if (e->kind == NETACL_EV_PACKET) {
		jw_key(w, "header");
		jw_str(w, packet_header(e));
	} else {
		jw_key(w, "address");
		jw_str(w, addr);
		jw_key(w, "port");
		jw_int(w, e->port);
	}
	jw_key(w, "verdict");
	jw_str(w, verdict_name(e->verdict));
	if (limit_name(e->limit)) {
		jw_key(w, "limit");
		jw_str(w, limit_name(e->limit));
	}
	jw_key(w, "cgroup_id");
	jw_int(w, (long long)e->cgroup_id);
	jw_end(w);
	fputs(w->buf, stdout);
	putchar('\n');
}

static bool wanted(const char *target, void *arg)
{
	return cli_wants(((struct tracer *)arg)->c, target);
}

static void on_event(const char *target, const struct netacl_event *e, int64_t real_ns, void *arg)
{
	struct tracer *t = arg;
	char when[48], addr[INET6_ADDRSTRLEN], where[INET6_ADDRSTRLEN + 16], comm[17], pb[16];
	const char *proto;

	inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, addr, sizeof(addr));
	memcpy(comm, e->comm, 16);
	comm[16] = 0;
	for (char *p = comm; *p; p++) /* a process names itself: keep lines and JSON sane */
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	proto = proto_name(e, pb);
	if (t->c->json) {
		format_time(real_ns, true, when);
		json_event(&t->w, target, e, when, comm, proto, addr);
		return;
	}
	format_time(real_ns, false, when);
	if (e->kind == NETACL_EV_SOCKET)
		snprintf(where, sizeof(where), "socket(%s)", socket_type(e->port));
	else if (e->kind == NETACL_EV_SOCKOPT)
		snprintf(where, sizeof(where), "setsockopt(%s)", option_name(e->port, e->proto));
	else if (e->kind == NETACL_EV_PACKET)
		snprintf(where, sizeof(where), "packet(%s)", packet_header(e));
	else /* a connect or send, or a bind: the local address */
		snprintf(where, sizeof(where), e->family == 4 ? "%s%s:%u" : "%s[%s]:%u",
			 e->kind == NETACL_EV_BIND ? "bind " : "", addr, e->port);
	printf("%s %-16s %7u %-16s %-4s %-22s %s%s%s%s\n", when, target, e->pid, comm, proto,
	       where, verdict_name(e->verdict), limit_name(e->limit) ? " (" : "",
	       limit_name(e->limit) ? limit_name(e->limit) : "", limit_name(e->limit) ? ")" : "");
}

/* What a target's forwarder did: a name refused, an address admitted or not. */
static void on_dns(const char *target, const struct netacl_dnsev *e, int64_t real_ns, void *arg)
{
	struct tracer *t = arg;
	static const char *const what[] = { "?", "admitted", "refused", "not-admitted" };
	const char *verdict = what[e->what <= NETACL_DNS_NOT_ADMITTED ? e->what : 0];
	char when[48], addr[INET6_ADDRSTRLEN] = "", name[sizeof(e->name) + 1], why[96] = "";

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(e->name), e->name);
	for (char *p = name; *p; p++) /* from the workload: keep lines and JSON sane */
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (e->family)
		inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, addr, sizeof(addr));
	if (e->what == NETACL_DNS_NOT_ADMITTED && e->row != 255)
		snprintf(why, sizeof(why), "%s", acl_sp_name(e->row));
	format_time(real_ns, t->c->json, when);
	if (t->c->json) {
		jw_reset(&t->w);
		jw_object(&t->w);
		jw_key(&t->w, "time");
		jw_str(&t->w, when);
		jw_key(&t->w, "target");
		jw_str(&t->w, target);
		jw_key(&t->w, "event");
		jw_str(&t->w, "dns");
		jw_key(&t->w, "name");
		jw_str(&t->w, name);
		jw_key(&t->w, "qtype");
		jw_int(&t->w, e->qtype);
		if (e->family) {
			jw_key(&t->w, "address");
			jw_str(&t->w, addr);
		}
		if (e->what == NETACL_DNS_ADMITTED) {
			jw_key(&t->w, "ttl");
			jw_int(&t->w, e->ttl);
		}
		if (why[0]) {
			jw_key(&t->w, "row");
			jw_str(&t->w, why);
		}
		jw_key(&t->w, "verdict");
		jw_str(&t->w, verdict);
		jw_end(&t->w);
		puts(t->w.buf);
		return;
	}
	if (e->what == NETACL_DNS_REFUSED)
		printf("%s %-16s %7s %-16s %-4s %-22s refused (NXDOMAIN)\n", when, target, "-",
		       "(forwarder)", "dns", name);
	else if (e->what == NETACL_DNS_ADMITTED)
		printf("%s %-16s %7s %-16s %-4s %-22s admitted for %s, %u s\n", when, target, "-",
		       "(forwarder)", "dns", addr, name, e->ttl);
	else
		printf("%s %-16s %7s %-16s %-4s %-22s not-admitted for %s (%s)\n", when, target,
		       "-", "(forwarder)", "dns", addr, name, why[0] ? why : "outside the rule");
}

static int trace(struct cli *c)
{
	struct tracer t = { .c = c };
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: poll returns */
	struct events *ev;
	uint64_t lost;
	int rc = sys_check_privileges();

	if (!rc)
		rc = sys_bpffs();
	if (rc)
		return rc;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = events_open(wanted, on_event, on_dns, &t, &ev);
	if (rc)
		return rc;
	jw_init(&t.w, false);
	if (!events_targets(ev))
		fprintf(stderr, "netacl: no %s loaded yet; waiting\n",
			c->ntargets ? "such target" : "target");
	if (!c->json && isatty(STDOUT_FILENO))
		printf("%-15s %-16s %7s %-16s %-4s %-22s %s\n", "TIME", "TARGET", "PID", "COMM",
		       "PROTO", "ADDRESS", "VERDICT");
	while (!stop) {
		int err = events_step(ev, 1000);

		fflush(stdout);
		if (err) {
			rc = sys_bpf_error(-err, EX_SOFTWARE, "cannot read events");
			break;
		}
	}
	lost = events_close(ev);
	jw_free(&t.w);
	if (lost)
		fprintf(stderr, "netacl: %llu events lost (the ring buffer was full)\n",
			(unsigned long long)lost);
	return rc;
}

int cmd_trace(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_JSON, usage, &c);

	if (!rc && c.nargs)
		rc = cli_usage_error(usage, "trace takes no arguments");
	if (!rc)
		rc = trace(&c);
	free(c.args);
	return rc;
}
