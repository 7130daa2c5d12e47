#include "compiler/digest.h"

#include <stdio.h>
#include <string.h>

void digest_hex(const uint8_t d[32], char out[DIGEST_HEX + 1])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

bool digest_parse(const char *s, uint8_t out[32])
{
	if (strspn(s, "0123456789abcdefABCDEF") != DIGEST_HEX || !strchr(" \t\n", s[DIGEST_HEX]))
		return false; /* strchr finds the NUL too: the end */
	for (int i = 0; i < 32; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
	return true;
}
