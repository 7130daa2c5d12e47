#include "compiler/files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "acl/set.h"

FILE *files_open(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct stat st;

	if (!f)
		return NULL;
	/* /dev/null is the one device that is an input: an empty one */
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) &&
	    !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))) {
		if (f != stdin)
			fclose(f);
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENODEV;
		return NULL;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > FILES_MAX_BYTES) {
		if (f != stdin)
			fclose(f);
		errno = EFBIG;
		return NULL;
	}
	return f;
}

char *files_read_rest(FILE *f, char *buf, size_t n, size_t cap, size_t *len)
{
	int err = 0;

	for (;;) {
		size_t got;

		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = acl_xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
		if (n > FILES_MAX_BYTES) {
			err = EFBIG;
			break;
		}
	}
	if (!err && ferror(f))
		err = errno ? errno : EIO;
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

char *files_read(const char *path, size_t *len)
{
	FILE *f = files_open(path);
	char *text;
	int err;

	if (!f)
		return NULL;
	text = files_read_rest(f, acl_xrealloc(NULL, 65536), 0, 65536, len);
	err = errno;
	if (f != stdin)
		fclose(f);
	errno = err;
	return text;
}

const char *files_strerror(int err)
{
	if (err == ENODEV)
		return "not a regular file or a pipe";
	if (err == EFBIG)
		return "larger than 1 GiB";
	return strerror(err);
}
