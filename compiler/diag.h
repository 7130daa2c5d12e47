/* Compiler-style diagnostics: FILE:LINE:COL: error: MESSAGE, with the
 * source line and a caret when stderr is a terminal. */
#ifndef NETACL_DIAG_H
#define NETACL_DIAG_H

#include <stddef.h>

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

/* Remember a file's text so diagnostics can quote its lines (not owned:
 * it must outlive the diagnostics). */
void diag_source(const char *file, const char *text, size_t len);

/* line/col are 1-based; line 0 prints "FILE: level: ..." */
void diag(enum diag_level lvl, const char *file, unsigned line, unsigned col,
	  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define diag_error(...) diag(DIAG_ERROR, __VA_ARGS__)
#define diag_warning(...) diag(DIAG_WARNING, __VA_ARGS__)
#define diag_note(...) diag(DIAG_NOTE, __VA_ARGS__)

/* An error without a location: "netacl: error: ..." */
void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

unsigned diag_error_count(void);
/* Past this many errors further ones are counted, not printed. */
#define DIAG_MAX_ERRORS 50
void diag_reset(void);
/* Count diagnostics but print none (fuzzing). */
void diag_silence(int on);

#endif
