#include "compiler/model/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acl/set.h"

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->n + n + 1 > w->cap) {
		w->cap = (w->n + n + 1) * 2;
		w->buf = acl_xrealloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->n, s, n);
	w->n += n;
	w->buf[w->n] = 0;
}

static void puts_(struct jw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void newline(struct jw *w, int level)
{
	if (!w->pretty)
		return;
	put(w, "\n", 1);
	for (int i = 0; i < level; i++)
		put(w, "  ", 2);
}

void jw_init(struct jw *w, bool pretty)
{
	*w = (struct jw){ .pretty = pretty };
	put(w, "", 0);
}

void jw_free(struct jw *w)
{
	free(w->buf);
	w->buf = NULL;
}

void jw_reset(struct jw *w)
{
	w->n = 0;
	w->depth = 0;
	w->member = false;
	w->line_at = 0;
	put(w, "", 0);
}

/* Before a value: in an array, the separator and the item's own line
 * (in a one-line container, a space); after a key, nothing. */
static void value(struct jw *w)
{
	if (w->member) {
		w->member = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->used[w->depth - 1])
		put(w, w->line_at && w->pretty ? ", " : ",", w->line_at && w->pretty ? 2 : 1);
	w->used[w->depth - 1] = true;
	if (!w->line_at)
		newline(w, w->depth);
}

static void open_(struct jw *w, char open, char close, bool line)
{
	if (w->depth == JW_MAX_DEPTH)
		abort();
	value(w);
	put(w, &open, 1);
	w->close[w->depth] = close;
	w->used[w->depth++] = false;
	if (line && !w->line_at)
		w->line_at = w->depth;
}

void jw_object(struct jw *w)
{
	open_(w, '{', '}', false);
}

void jw_array(struct jw *w)
{
	open_(w, '[', ']', false);
}

void jw_object_line(struct jw *w)
{
	open_(w, '{', '}', true);
}

void jw_array_line(struct jw *w)
{
	open_(w, '[', ']', true);
}

void jw_end(struct jw *w)
{
	bool line = w->line_at != 0;

	if (w->depth == 0)
		abort();
	if (w->line_at == w->depth)
		w->line_at = 0;
	w->depth--;
	if (w->used[w->depth] && !line)
		newline(w, w->depth);
	put(w, &w->close[w->depth], 1);
}

static void string(struct jw *w, const char *s)
{
	bool plain = true;

	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
		plain = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
	if (plain) {
		put(w, "\"", 1);
		puts_(w, s);
		put(w, "\"", 1);
		return;
	}
	/* jansson escapes what needs it, exactly as its own dumps would */
	json_t *j = json_string(s);
	char *e = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	puts_(w, e ? e : "\"\"");
	free(e);
	json_decref(j);
}

void jw_key(struct jw *w, const char *k)
{
	value(w);  /* a member: the separator and its line, as an item's */
	string(w, k);
	puts_(w, w->pretty ? ": " : ":");
	w->member = true;
}

void jw_str(struct jw *w, const char *s)
{
	value(w);
	string(w, s);
}

void jw_int(struct jw *w, long long v)
{
	char buf[32];

	value(w);
	snprintf(buf, sizeof(buf), "%lld", v);
	puts_(w, buf);
}

void jw_bool(struct jw *w, bool v)
{
	value(w);
	puts_(w, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	value(w);
	puts_(w, "null");
}

void jw_strv(struct jw *w, const char *const *v, size_t n)
{
	jw_array_line(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_end(w);
}
