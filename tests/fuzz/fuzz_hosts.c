/* libFuzzer target: the hosts-file reader, through resolve_all as a
 * compile uses it (offline, names that the input may answer).  The input
 * is written to a memfd and read as --hosts-file /proc/self/fd/N.
 *   build-fuzz/fuzz-hosts -max_total_time=600 tests/fuzz/corpus-hosts */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compiler/diag.h"
#include "compiler/resolve/resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "db.test", "a.example.com", "x", "localhost" };
	struct resolution out[4];
	struct resolve_opts o;
	const char *files[1];
	char path[64];
	int fd = memfd_create("hosts", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	files[0] = path;
	diag_silence(1);
	diag_reset();
	resolve_opts_init(&o);
	o.offline = true;
	o.etc_hosts = "/dev/null";
	o.hosts_files = files;
	o.nhosts_files = 1;
	o.strict = size & 1;
	resolve_all(&o, names, 4, out);
	resolve_free(out, 4); /* what it answered, failed or not */
	close(fd);
	return 0;
}
