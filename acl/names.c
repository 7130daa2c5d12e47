#include "names.h"

#include <string.h>

bool acl_ident_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > ACL_IDENT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", s[i]))
			return false;
	return true;
}

bool acl_target_name_valid(const char *s)
{
	const char *slash = strchr(s, '/');
	char first[ACL_IDENT_MAX + 1];
	size_t n;

	if (!slash)
		return acl_ident_valid(s);
	n = (size_t)(slash - s);
	if (n > ACL_IDENT_MAX)
		return false;
	memcpy(first, s, n);
	first[n] = 0;
	return acl_ident_valid(first) && acl_ident_valid(slash + 1);
}

bool acl_loaded_name_valid(const char *s)
{
	const char *at = strchr(s, '@');
	char name[2 * ACL_IDENT_MAX + 2];
	size_t n, digits;

	if (!at)
		return acl_target_name_valid(s);
	n = (size_t)(at - s);
	if (strncmp(at, "@oci-", 5) == 0) {
		/* a container's (netacl(8), OCI HOOK): 1-128 of what runc allows in ids */
		digits = strspn(at + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789_-.+");
		if (digits == 0 || digits > 128 || at[5 + digits] != 0)
			return false;
	} else {
		digits = strspn(at + 5, "0123456789");
		if (strncmp(at, "@run-", 5) != 0 || digits == 0 || digits > 10 || at[5 + digits] != 0)
			return false;
	}
	if (n >= sizeof(name))
		return false;
	memcpy(name, s, n);
	name[n] = 0;
	return acl_target_name_valid(name);
}

const char *acl_cgroup_problem(const char *p, size_t *off)
{
	size_t len = strlen(p);

	*off = 0;
	if (len == 0 || len > 4000)
		return "cgroup path is empty or too long";
	for (const char *seg = p; *seg;) {
		size_t l = strcspn(seg, "/");

		if (l == 2 && seg[0] == '.' && seg[1] == '.') {
			*off = (size_t)(seg - p);
			return "cgroup path may not contain '..'";
		}
		seg += l + (seg[l] == '/');
	}
	if (p[0] == '/' && strncmp(p, "/sys/fs/cgroup/", 15) != 0)
		return "absolute cgroup path is outside the cgroup2 hierarchy (/sys/fs/cgroup/...)";
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "cgroup path has a control character";
	return NULL;
}
