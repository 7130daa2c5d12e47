#include "compiler/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *file, *text;
	size_t len;
	unsigned errors;
	int silent;
} st;

void diag_silence(int on)
{
	st.silent = on;
}

void diag_source(const char *file, const char *text, size_t len)
{
	st.file = file;
	st.text = text;
	st.len = len;
}

unsigned diag_error_count(void)
{
	return st.errors;
}

void diag_reset(void)
{
	st.errors = 0;
}

static void quote_line(unsigned line, unsigned col)
{
	const char *p = st.text, *end = st.text + st.len, *eol;

	for (unsigned l = 1; l < line && p < end; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			return;
		p++;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	fprintf(stderr, " %.*s\n ", (int)(eol - p), p);
	for (unsigned c = 1; c < col && p + c - 1 < eol; c++)
		fputc(p[c - 1] == '\t' ? '\t' : ' ', stderr);
	fputs("^\n", stderr);
}

void diag(enum diag_level lvl, const char *file, unsigned line, unsigned col,
	  const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "note" };
	va_list ap;

	if (lvl == DIAG_ERROR && ++st.errors > DIAG_MAX_ERRORS) {
		if (st.errors == DIAG_MAX_ERRORS + 1 && !st.silent)
			fprintf(stderr, "%s: note: too many errors; the rest are not shown\n",
				file);
		return;
	}
	if (st.silent)
		return;
	if (line)
		fprintf(stderr, "%s:%u:%u: %s: ", file, line, col, names[lvl]);
	else
		fprintf(stderr, "%s: %s: ", file, names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (line && st.text && st.file && strcmp(file, st.file) == 0 &&
	    isatty(STDERR_FILENO))
		quote_line(line, col);
}

void die_msg(const char *fmt, ...)
{
	va_list ap;

	if (st.silent)
		return;
	fputs("netacl: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
