/* netacl's exit statuses beyond <sysexits.h>; netacl(8), EXIT STATUS,
 * lists them all.  Code returns these names, never bare numbers. */
#ifndef NETACL_EXITS_H
#define NETACL_EXITS_H

#include <sysexits.h>

#define EX_DENIED 1         /* explain: the address is denied */
#define EX_DIFFERENT 1      /* diff: the two sides allow different things */
/* EX_NOHOST (68): --strict and a name did not resolve */
#define EX_UNLOADED 75       /* run: the target was unloaded under the command, which was killed */
#define EX_CANNOT_EXEC 126  /* run: the command cannot be executed */
#define EX_NOT_FOUND 127    /* run: the command was not found */
#define EX_SIGNAL_BASE 128  /* run: 128+N, the command was killed by signal N */

#endif
