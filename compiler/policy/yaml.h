/* A YAML document as a tree that remembers where each node was written.
 * Only what a policy needs: scalars, sequences, mappings with scalar keys.
 * Anchors, aliases, tags, duplicate keys and multiple documents are
 * refused (a policy must mean exactly what it says). */
#ifndef NETACL_YAML_H
#define NETACL_YAML_H

#include <stdbool.h>
#include <stddef.h>

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_kind kind;
	unsigned line, col; /* 1-based */
	char *str;          /* scalar text (NUL-terminated) */
	size_t len;
	bool plain;         /* unquoted scalar */
	size_t n;           /* items, or key/value pairs */
	struct ynode **items;  /* sequence items; mapping values */
	struct ynode **keys;   /* mapping keys (scalars) */
};

/* Parse a whole file's text.  NULL after a syntax error; refusals
 * (anchors, aliases, tags, duplicate keys) are diagnosed and counted by
 * diag_error_count() while the tree is still returned. */
struct ynode *yaml_load(const char *file, const char *text, size_t len);
void ynode_free(struct ynode *n);

/* The value under key in a mapping, or NULL. */
struct ynode *ymap_get(const struct ynode *map, const char *key);
const char *ykind_name(enum ynode_kind k);
/* An empty plain scalar: `key:` with nothing after it (YAML null). */
bool ynode_is_null(const struct ynode *n);

#endif
