/* Compare what two models allow, target by target. */
#ifndef NETACL_DIFF_H
#define NETACL_DIFF_H

#include <stdbool.h>
#include <stdio.h>

#include "compiler/model/model.h"

/* Print to out what only a or only b allows ("- T: CIDR ports P proto");
 * either may be NULL ("- target T").  True if they differ. */
bool diff_target(FILE *out, const struct m_target *a, const struct m_target *b);
/* diff_target for every target of a and b, matched by name. */
bool diff_models(FILE *out, const struct model *a, const struct model *b);

#endif
