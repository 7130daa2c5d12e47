/* The one way netacl writes JSON: a stream into a growing buffer, in the
 * layout of jansson's JSON_INDENT(2) (compile, inspect, status), except
 * that lists of strings and the objects opened with jw_object_line take
 * one line each, or of JSON_COMPACT on one line (trace).  A compiled file
 * of a million entries is half the size with an entry per line (95
 * bytes, not 199), and still one entry per line for diff and grep.  A tree of jansson objects for
 * 100,000 entries cost over a second in allocations alone; this writes
 * the same bytes and allocates only when the buffer grows. */
#ifndef NETACL_JSONW_H
#define NETACL_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#define JW_MAX_DEPTH 32 /* deeper is a bug of the caller: abort() */

struct jw {
	char *buf;              /* NUL-terminated */
	size_t n, cap;
	bool pretty;            /* JSON_INDENT(2), else compact */
	int depth;               /* open containers */
	char close[JW_MAX_DEPTH]; /* '}' or ']' for each */
	bool used[JW_MAX_DEPTH]; /* it has a member or item already */
	bool member;             /* a key was written: the next value is its */
	int line_at;             /* depth of the one-line container we are in, 0: none */
};

void jw_init(struct jw *w, bool pretty);
void jw_free(struct jw *w);
/* Empty the buffer to write another document into it. */
void jw_reset(struct jw *w);

void jw_object(struct jw *w);
void jw_array(struct jw *w);
/* An object or array on one line, what it holds too. */
void jw_object_line(struct jw *w);
void jw_array_line(struct jw *w);
void jw_end(struct jw *w);     /* closes the innermost object or array */
void jw_key(struct jw *w, const char *k);

void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* An array of strings, on one line. */
void jw_strv(struct jw *w, const char *const *v, size_t n);

#endif
