/* libFuzzer target: the compiled-JSON reader, and the JSON written back
 * from what it accepted must read again the same.  `make fuzz`, then
 *   build-fuzz/fuzz-json -max_total_time=600 tests/fuzz/corpus-json */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/diag.h"
#include "compiler/model/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m, again;
	char *json, *json2;

	diag_silence(1);
	diag_reset();
	model_init(&m);
	if (model_from_json("fuzz.json", (const char *)data, size, &m) == 0) {
		json = model_to_json(&m);
		model_init(&again);
		if (model_from_json("again.json", json, strlen(json), &again) != 0)
			abort(); /* what we wrote, we must read */
		json2 = model_to_json(&again);
		if (strcmp(json, json2) != 0)
			abort(); /* and it is a fixed point */
		free(json2);
		model_free(&again);
		free(json);
	}
	model_free(&m);
	return 0;
}
