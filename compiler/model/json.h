/* The compiled JSON (netacl(8), OUTPUT) <-> the model. */
#ifndef NETACL_JSON_H
#define NETACL_JSON_H

#include <stddef.h>

#include "compiler/model/model.h"

/* The model as JSON text, deterministic; the caller frees it. */
char *model_to_json(const struct model *m);
/* Read compiled JSON into m; an exit status, errors diagnosed at FILE:LINE:COL. */
int model_from_json(const char *file, const char *text, size_t len, struct model *m);

#endif
