/* libFuzzer target: the policy front end, from bytes to a resolved model
 * (offline, no hosts files).  `make fuzz`, then
 *   build-fuzz/fuzz-policy -max_total_time=600 tests/fuzz/corpus-policy */
#include <stddef.h>
#include <stdint.h>

#include "compiler/model/build.h"
#include "compiler/model/json.h"
#include "compiler/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolve_opts o;
	struct policy p;
	struct target_set ts = { 0 };
	struct model m;
	size_t unresolved;
	char *json;

	diag_silence(1);
	diag_reset();
	resolve_opts_init(&o);
	o.offline = true;
	o.etc_hosts = "/dev/null";
	if (policy_parse("fuzz.yaml", (const char *)data, size, &p) == 0 &&
	    targets_build(&p, NULL, 0, &ts) == 0) {
		model_init(&m);
		if (build_model(&ts, &o, &m, &unresolved) == 0) {
			json = model_to_json(&m);
			free(json);
		}
		model_free(&m);
	}
	targets_free(&ts);
	policy_free(&p);
	return 0;
}
