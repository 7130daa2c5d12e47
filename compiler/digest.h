/* SHA-256 digests as text: what status shows, compile --digest writes
 * and load --expect-digest reads (64 hex digits, sha256sum's form). */
#ifndef NETACL_DIGEST_H
#define NETACL_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#define DIGEST_HEX 64

/* The 64 lowercase hex digits of d, NUL-terminated. */
void digest_hex(const uint8_t d[32], char out[DIGEST_HEX + 1]);
/* The digest whose hex digits start s, ending there or at a blank (as
 * sha256sum writes a line); false when s does not start so. */
bool digest_parse(const char *s, uint8_t out[32]);

#endif
