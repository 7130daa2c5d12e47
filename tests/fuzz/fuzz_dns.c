/* libFuzzer target: the admission forwarder's reading of DNS messages.
 * The input is read as a workload's query (and refused or echoed as the
 * forwarder would, or made anew for the upstream), then as an upstream
 * answer to a fixed question.
 *   build-fuzz/fuzz-dns -max_total_time=600 tests/fuzz/corpus-dns */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/admit/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MAX_MSG];
	struct dns_question q, fixed = { .id = 0x4242, .type = DNS_T_A, .class = DNS_C_IN,
					 .name_ok = true, .name = "api.example.com" };
	struct dns_addr addrs[64];
	int rc = dns_query_read(data, size, &q);

	if (rc >= 0) {
		size_t n = dns_reply(data, &q, rc ? rc : DNS_NXDOMAIN, out, sizeof(out));

		if (n < DNS_HEADER || n > size || out[0] != data[0] || out[1] != data[1])
			abort(); /* a reply is the query's header and question */
		if (rc == 0 && (!q.end || q.end > size))
			abort();
	}
	if (rc == 0) { /* what goes upstream reads back as the same question */
		struct dns_question q2;
		size_t n = dns_query_clean(data, &q, out, sizeof(out));

		if (!n || dns_query_read(out, n, &q2) != 0 || q2.type != q.type ||
		    q2.name_ok != q.name_ok || strcmp(q2.name, q.name) != 0 || q2.edns != q.edns)
			abort();
	}
	if (dns_answer_matches(data, size, 0x4242, &fixed)) {
		int n = dns_answer_addrs(data, size, &fixed, addrs, 64);

		if (n > 64)
			abort();
	}
	fixed.type = DNS_T_AAAA;
	(void)dns_answer_addrs(data, size, &fixed, addrs, 64);
	return 0;
}
