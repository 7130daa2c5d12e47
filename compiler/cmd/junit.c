/* JUnit XML as Jenkins, GitLab and GitHub's test reporters read it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cmd/cli.h"
#include "compiler/cmd/junit.h"

/* Text as an XML attribute or element: the five entities, and '?' for
 * control characters XML 1.0 cannot carry. */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			fputc(ch < 0x20 && ch != '\t' && ch != '\n' ? '?' : ch, f);
		}
	}
}

static size_t count(const struct junit_case *c, size_t n, bool failures)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !failures || !c[i].pass;
	return k;
}

static void one_case(FILE *f, const struct junit_case *c)
{
	fputs("    <testcase classname=\"", f);
	esc(f, c->suite);
	fputs("\" name=\"", f);
	esc(f, c->says);
	fputc(' ', f);
	esc(f, c->text);
	fputs("\" file=\"", f);
	esc(f, c->file);
	fprintf(f, "\" line=\"%u\"", c->line);
	if (c->pass) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n      <failure message=\"", f);
	esc(f, c->why);
	fputs("\" type=\"expectation\">", f);
	esc(f, c->file);
	fprintf(f, ":%u:%u: ", c->line, c->col);
	esc(f, c->why);
	fputs("</failure>\n    </testcase>\n", f);
}

int junit_write(const char *path, const struct junit_case *c, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		abort();
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites name=\"netacl test\" tests=\"%zu\" failures=\"%zu\">\n",
		count(c, n, false), count(c, n, true));
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && strcmp(c[j].suite, c[i].suite) == 0; j++)
			;
		fputs("  <testsuite name=\"", f);
		esc(f, c[i].suite);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\">\n", count(c + i, j - i, false),
			count(c + i, j - i, true));
		for (size_t k = i; k < j; k++)
			one_case(f, &c[k]);
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>", f);
	fclose(f);
	rc = cli_write_output(path, buf);
	free(buf);
	return rc;
}
