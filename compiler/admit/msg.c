#include "compiler/admit/msg.h"

#include <arpa/inet.h>
#include <ares.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void dns_set_id(uint8_t *msg, uint16_t id)
{
	put16(msg, id);
}

/* The question at msg + 12: name (decoded by c-ares, compression and
 * escapes included), type, class; where it ends. */
static bool read_question(const uint8_t *msg, size_t len, char *name, size_t size,
			  uint16_t *type, uint16_t *class, size_t *end)
{
	char *s = NULL;
	long enclen = 0;

	if (len < DNS_HEADER + 5 ||
	    ares_expand_name(msg + DNS_HEADER, msg, (int)len, &s, &enclen) != ARES_SUCCESS)
		return false;
	if ((size_t)enclen + DNS_HEADER + 4 > len || strlen(s) >= size) {
		ares_free_string(s);
		return false;
	}
	strcpy(name, s);
	ares_free_string(s);
	*end = DNS_HEADER + (size_t)enclen + 4;
	*type = get16(msg + *end - 4);
	*class = get16(msg + *end - 2);
	return true;
}

/* After the question: nothing, or one OPT record (root owner, type 41)
 * that ends the message.  Nothing else may ride along to the upstream
 * (other records, trailing bytes). */
static bool read_opt(const uint8_t *msg, size_t len, struct dns_question *q)
{
	const uint8_t *o = msg + q->end;
	size_t rest = len - q->end;

	if (get16(msg + 10) == 0)
		return rest == 0;
	if (rest < 11 || o[0] != 0 || get16(o + 1) != DNS_T_OPT || rest != 11u + get16(o + 9))
		return false;
	q->edns = true;
	q->udp_size = get16(o + 3) < 512 ? 512 : get16(o + 3);
	return true;
}

size_t dns_query_clean(const uint8_t *msg, const struct dns_question *q, uint8_t *out,
		       size_t cap)
{
	size_t n = q->end + (q->edns ? 11 : 0);

	if (!q->end || cap < n)
		return 0;
	memcpy(out, msg, q->end);
	out[2] = (uint8_t)(msg[2] & 0x01); /* a query, opcode 0, RD as asked */
	out[3] = 0;
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, q->edns ? 1 : 0);
	if (q->edns) { /* ours: the size we take, no options, no DO */
		uint8_t *o = out + q->end;

		o[0] = 0;
		put16(o + 1, DNS_T_OPT);
		put16(o + 3, DNS_EDNS_SIZE);
		memset(o + 5, 0, 6);
	}
	return n;
}

int dns_query_read(const uint8_t *msg, size_t len, struct dns_question *q)
{
	char raw[1024];
	struct acl_host h;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HEADER || len > DNS_MAX_MSG || (msg[2] & 0x80))
		return -1;
	q->id = get16(msg);
	q->rd = msg[2] & 1;
	if ((msg[2] >> 3 & 0xf) != 0)
		return DNS_NOTIMP;
	/* one question; no answers or authority; at most an EDNS record */
	if (get16(msg + 4) != 1 || get16(msg + 6) || get16(msg + 8) || get16(msg + 10) > 1)
		return DNS_FORMERR;
	if (!read_question(msg, len, raw, sizeof(raw), &q->type, &q->class, &q->end))
		return q->end = 0, DNS_FORMERR;
	if (!read_opt(msg, len, q))
		return DNS_FORMERR;
	if (q->class != DNS_C_IN)
		return DNS_REFUSED;
	if (q->type == DNS_T_ANY || q->type == DNS_T_AXFR || q->type == DNS_T_IXFR)
		return DNS_NOTIMP;
	/* c-ares writes odd bytes as \DDD and dots in labels as \.: such a
	 * name is no host name, and no rule can allow it */
	q->name_ok = raw[0] && !strchr(raw, '\\') &&
		     acl_host_parse(raw, strlen(raw), true, &h, NULL) == 0;
	if (q->name_ok)
		strcpy(q->name, h.name);
	return DNS_NOERROR;
}

size_t dns_reply(const uint8_t *query, const struct dns_question *q, int rcode,
		 uint8_t *out, size_t cap)
{
	size_t n = q->end ? q->end : DNS_HEADER;

	if (cap < n)
		return 0;
	memcpy(out, query, n);
	out[2] = (uint8_t)(0x80 | (query[2] & 0x79)); /* QR, opcode, RD; not AA, TC */
	out[3] = (uint8_t)(0x80 | (rcode & 0xf));      /* RA */
	put16(out + 4, q->end ? 1 : 0);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	return n;
}

bool dns_answer_matches(const uint8_t *ans, size_t len, uint16_t id,
			const struct dns_question *q)
{
	char name[1024];
	uint16_t type, class;
	size_t end;

	if (len < DNS_HEADER || len > DNS_MAX_MSG || get16(ans) != id || !(ans[2] & 0x80) ||
	    (ans[2] >> 3 & 0xf) != 0 || get16(ans + 4) != 1)
		return false;
	if (!read_question(ans, len, name, sizeof(name), &type, &class, &end))
		return false;
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return q->name_ok && strcmp(name, q->name) == 0 && type == q->type && class == q->class;
}

int dns_answer_addrs(const uint8_t *ans, size_t len, const struct dns_question *q,
		     struct dns_addr *out, int max)
{
	int n = max, st;

	if (len > DNS_MAX_MSG || max <= 0)
		return -1;
	if (q->type != DNS_T_A && q->type != DNS_T_AAAA)
		return 0; /* other types admit nothing */
	st = dns_parse_addrs(ans, (int)len, q->type == DNS_T_A ? ACL_V4 : ACL_V6, out, max, &n);
	if (st == ARES_ENODATA || st == ARES_ENOTFOUND)
		return 0;
	return st == ARES_SUCCESS ? n : -1;
}
