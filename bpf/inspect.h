/* Reading a loaded target back from the kernel's maps. */
#ifndef NETACL_INSPECT_H
#define NETACL_INSPECT_H

#include "bpf/pins.h"
#include "compiler/model/model.h"

/* Add the live generation of p to m as a target in the compile schema
 * (allow, '*' rules and `private:` exemptions; no names, TTLs or
 * origins: the kernel does not hold them).  0 or -errno. */
int inspect_target(const struct pinned *p, struct model *m);

#endif
