/* Reading input files: a policy, a compiled file, a hosts file.  Only a
 * regular file, a pipe ("-" is standard input) or /dev/null, and at most
 * FILES_MAX_BYTES of it: a directory is no input, and /dev/zero would
 * never end. */
#ifndef NETACL_FILES_H
#define NETACL_FILES_H

#include <stddef.h>
#include <stdio.h>

/* 1 GiB: a compiled file of a million entries is 70 MB */
#define FILES_MAX_BYTES ((size_t)1 << 30)

/* Open for reading; NULL with errno set (EISDIR, ENODEV: not a regular
 * file or a pipe; EFBIG: a regular file larger than FILES_MAX_BYTES). */
FILE *files_open(const char *path);
/* The whole file, NUL-terminated; NULL with errno set (EFBIG: more than
 * FILES_MAX_BYTES). */
char *files_read(const char *path, size_t *len);
/* The rest of f after the n bytes at buf (malloc'd, cap bytes), in buf
 * grown, NUL-terminated; NULL with errno set, buf freed. */
char *files_read_rest(FILE *f, char *buf, size_t n, size_t cap, size_t *len);
/* What errno from the two says, as the end of "cannot read FILE: ...". */
const char *files_strerror(int err);

#endif
