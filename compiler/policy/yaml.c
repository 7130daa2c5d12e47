#include "compiler/policy/yaml.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "acl/set.h"
#include "compiler/diag.h"

/* Nesting deeper than this is refused: a policy is shallow, and a bound
 * keeps hostile input from exhausting the stack. */
#define MAX_DEPTH 64

struct loader {
	yaml_parser_t p;
	const char *file;
	const char *text; /* the input, to place reader errors */
	size_t len;
	bool failed; /* errors were reported */
	bool broken; /* the parser stopped: the tree is incomplete */
};

const char *ykind_name(enum ynode_kind k)
{
	return k == Y_SCALAR ? "a scalar" : k == Y_SEQ ? "a list" : "a mapping";
}

bool ynode_is_null(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0);
}

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		ynode_free(n->items[i]);
		if (n->keys)
			ynode_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->str);
	free(n);
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->items[i];
	return NULL;
}

/* libyaml places a reader error (bad UTF-8, a control character) by byte
 * offset only, its mark stays at 0:0: count lines and characters up to it. */
static void reader_error_place(const struct loader *l, unsigned *line, unsigned *col)
{
	size_t end = l->p.problem_offset < l->len ? l->p.problem_offset : l->len;

	*line = 1;
	*col = 1;
	for (size_t i = 0; i < end; i++) {
		unsigned char c = (unsigned char)l->text[i];

		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) { /* not a continuation byte */
			(*col)++;
		}
	}
}

static bool next(struct loader *l, yaml_event_t *ev)
{
	unsigned line, col;

	if (yaml_parser_parse(&l->p, ev))
		return true;
	line = (unsigned)l->p.problem_mark.line + 1;
	col = (unsigned)l->p.problem_mark.column + 1;
	if (l->p.error == YAML_READER_ERROR)
		reader_error_place(l, &line, &col);
	diag_error(l->file, line, col, "%s%s%s",
		   l->p.problem ? l->p.problem : "YAML syntax error",
		   l->p.context ? " " : "", l->p.context ? l->p.context : "");
	l->failed = l->broken = true;
	return false;
}

static struct ynode *new_node(enum ynode_kind k, const yaml_event_t *ev)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	n->kind = k;
	n->line = (unsigned)ev->start_mark.line + 1;
	n->col = (unsigned)ev->start_mark.column + 1;
	return n;
}

static void push(struct ynode *parent, struct ynode *key, struct ynode *item)
{
	parent->items = acl_xrealloc(parent->items, (parent->n + 1) * sizeof(*parent->items));
	if (parent->kind == Y_MAP) {
		parent->keys = acl_xrealloc(parent->keys, (parent->n + 1) * sizeof(*parent->keys));
		parent->keys[parent->n] = key;
	}
	parent->items[parent->n++] = item;
}

/* Anchors and tags are refused wherever they appear. */
static bool plain_event(struct loader *l, const yaml_event_t *ev,
			const yaml_char_t *anchor, const yaml_char_t *tag,
			int implicit)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned col = (unsigned)ev->start_mark.column + 1;

	if (anchor) {
		diag_error(l->file, line, col,
			   "YAML anchors are not allowed in a policy (&%s)", anchor);
		return false;
	}
	if (tag && !implicit) {
		diag_error(l->file, line, col, "YAML tags are not allowed in a policy (%s)", tag);
		return false;
	}
	return true;
}

static struct ynode *load_node(struct loader *l, yaml_event_t *ev, int depth);

struct key_at {
	const char *s;
	size_t i;
};

static int key_at_cmp(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* Report every key of map n that an earlier key repeats, in document
 * order: sorted once, O(n log n) (a search per key was quadratic, 45 s
 * for 100,000 ACLs). */
static void check_duplicates(struct loader *l, const struct ynode *n)
{
	struct key_at *k = malloc((n->n + 1) * sizeof(*k));
	bool *dup = calloc(n->n + 1, sizeof(bool));

	if (!k || !dup)
		abort();
	for (size_t i = 0; i < n->n; i++)
		k[i] = (struct key_at){ n->keys[i]->str, i };
	qsort(k, n->n, sizeof(*k), key_at_cmp);
	for (size_t i = 1; i < n->n; i++)
		dup[k[i].i] = strcmp(k[i].s, k[i - 1].s) == 0;
	for (size_t i = 0; i < n->n; i++)
		if (dup[i]) {
			const struct ynode *key = n->keys[i];

			diag_error(l->file, key->line, key->col, "duplicate key '%s'", key->str);
			l->failed = true;
		}
	free(k);
	free(dup);
}

static struct ynode *load_children(struct loader *l, struct ynode *n, int depth)
{
	yaml_event_t ev;

	for (;;) {
		struct ynode *key = NULL, *val;

		if (l->broken || !next(l, &ev))
			return n;
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			if (n->kind == Y_MAP)
				check_duplicates(l, n);
			return n;
		}
		if (n->kind == Y_MAP) {
			key = load_node(l, &ev, depth + 1);
			if (!key)
				return n;
			if (key->kind != Y_SCALAR) {
				diag_error(l->file, key->line, key->col, "mapping keys must be scalars");
				l->failed = true;
			}
			if (!next(l, &ev)) {
				ynode_free(key);
				return n;
			}
		}
		val = load_node(l, &ev, depth + 1);
		if (!val) {
			ynode_free(key);
			return n;
		}
		if (key && key->kind != Y_SCALAR) {
			/* reported above; the pair cannot be looked up by name */
			ynode_free(key);
			ynode_free(val);
			continue;
		}
		push(n, key, val);
	}
}

/* Build the node that starts with ev (consumed).  Refusals (anchors,
 * aliases, tags) are reported and the node still built, so checking goes
 * on; NULL only when the parser itself fails. */
static struct ynode *load_node(struct loader *l, yaml_event_t *ev, int depth)
{
	struct ynode *n = NULL;
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned col = (unsigned)ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		diag_error(l->file, line, col, "YAML aliases are not allowed in a policy (*%s)",
			   ev->data.alias.anchor);
		l->failed = true;
		n = new_node(Y_SCALAR, ev);
		n->str = calloc(1, 1);
		if (!n->str)
			abort();
		break;
	case YAML_SCALAR_EVENT:
		l->failed |= !plain_event(l, ev, ev->data.scalar.anchor, ev->data.scalar.tag,
					  ev->data.scalar.plain_implicit ||
						  ev->data.scalar.quoted_implicit);
		n = new_node(Y_SCALAR, ev);
		n->len = ev->data.scalar.length;
		n->str = malloc(n->len + 1);
		if (!n->str)
			abort();
		if (n->len)
			memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = 0;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (strlen(n->str) != n->len) {
			diag_error(l->file, line, col, "NUL byte in a string");
			l->failed = true;
		}
		break;
	case YAML_SEQUENCE_START_EVENT:
		l->failed |= !plain_event(l, ev, ev->data.sequence_start.anchor,
					  ev->data.sequence_start.tag,
					  ev->data.sequence_start.implicit);
		n = new_node(Y_SEQ, ev);
		break;
	case YAML_MAPPING_START_EVENT:
		l->failed |= !plain_event(l, ev, ev->data.mapping_start.anchor,
					  ev->data.mapping_start.tag,
					  ev->data.mapping_start.implicit);
		n = new_node(Y_MAP, ev);
		break;
	default:
		break;
	}
	yaml_event_delete(ev);
	if (!n) {
		l->failed = l->broken = true;
		return NULL;
	}
	if (n->kind != Y_SCALAR && depth >= MAX_DEPTH) {
		diag_error(l->file, line, col, "nesting deeper than %d levels", MAX_DEPTH);
		l->failed = l->broken = true;
		return n;
	}
	if (n->kind != Y_SCALAR)
		load_children(l, n, depth);
	return n;
}

struct ynode *yaml_load(const char *file, const char *text, size_t len)
{
	struct loader l = { .file = file, .text = text, .len = len };
	struct ynode *root = NULL;
	yaml_event_t ev;

	yaml_parser_initialize(&l.p);
	yaml_parser_set_input_string(&l.p, (const unsigned char *)text, len);
	/* stream start, document start */
	if (next(&l, &ev) && ev.type == YAML_STREAM_START_EVENT) {
		yaml_event_delete(&ev);
		if (next(&l, &ev)) {
			if (ev.type == YAML_STREAM_END_EVENT) {
				diag_error(file, 1, 1, "empty policy");
				l.failed = true;
				yaml_event_delete(&ev);
			} else {
				yaml_event_delete(&ev); /* document start */
				if (next(&l, &ev))
					root = load_node(&l, &ev, 0);
				if (!l.broken && next(&l, &ev)) {
					yaml_event_delete(&ev); /* document end */
					if (next(&l, &ev)) {
						if (ev.type != YAML_STREAM_END_EVENT) {
							diag_error(file, (unsigned)ev.start_mark.line + 1,
								   (unsigned)ev.start_mark.column + 1,
								   "a policy is a single YAML document");
							l.failed = true;
						}
						yaml_event_delete(&ev);
					}
				}
			}
		}
	}
	yaml_parser_delete(&l.p);
	if (l.broken) {
		ynode_free(root);
		return NULL;
	}
	/* refusals were reported; the caller goes on checking the tree and
	 * fails on the error count */
	return root;
}
