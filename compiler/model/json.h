/* The compiled JSON (netacl(8), OUTPUT) <-> the model. */
#ifndef NETACL_JSON_H
#define NETACL_JSON_H

#include <stddef.h>

#include "compiler/model/model.h"

/* The model as JSON text, deterministic; the caller frees it. */
char *model_to_json(const struct model *m);
/* Read compiled JSON into m; an exit status, errors diagnosed at FILE:LINE:COL. */
int model_from_json(const char *file, const char *text, size_t len, struct model *m);

/* The same, as a stream: feed the file in pieces of any size, then end
 * (an exit status; m is complete only when it is 0). */
struct json_reader;
struct json_reader *json_reader_new(const char *file, struct model *m);
void json_reader_feed(struct json_reader *r, const void *data, size_t len);
int json_reader_end(struct json_reader *r);
void json_reader_free(struct json_reader *r);

#endif
