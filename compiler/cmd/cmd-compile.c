/* netacl compile POLICY [-o FILE] [--target NAME]... */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/digest.h"
#include "compiler/model/json.h"
#include "compiler/cmd/input.h"

static const char usage[] =
	"netacl compile POLICY [-o FILE [--digest]] [--target NAME]... [--hosts-file FILE] [--offline]\n"
	"       [--resolver IP[:PORT]] [--timeout MS] [--max-addrs N] [--strict]";

/* FILE.sha256, as sha256sum writes it, of the bytes written to FILE
 * (the text and its newline): `sha256sum -c` and load --expect-digest
 * read it. */
static int write_digest(const char *file, const char *json)
{
	unsigned char d[32];
	unsigned n = 32;
	char line[PATH_MAX + 80], path[PATH_MAX + 8];
	const char *base = strrchr(file, '/');
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, json, strlen(json));
	EVP_DigestUpdate(md, "\n", 1);
	EVP_DigestFinal_ex(md, d, &n);
	EVP_MD_CTX_free(md);
	digest_hex(d, line);
	snprintf(line + DIGEST_HEX, sizeof(line) - DIGEST_HEX, "  %s", base ? base + 1 : file);
	snprintf(path, sizeof(path), "%s.sha256", file);
	return cli_write_output(path, line);
}

int cmd_compile(int argc, char **argv)
{
	struct cli c;
	struct model m;
	char *json;
	int rc = cli_parse(argc, argv, OPT_OUTPUT | OPT_TARGET | OPT_RESOLVE | OPT_DIGEST, usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "compile takes one policy file");
	if (!rc && c.digest && (!c.output || strcmp(c.output, "-") == 0))
		rc = cli_usage_error(usage, "--digest writes FILE.sha256 beside -o FILE: give -o");
	if (rc) {
		free(c.args);
		return rc;
	}
	model_init(&m);
	rc = input_load(c.args[0], &c.ro, c.targets, c.ntargets, &m);
	if (!rc) {
		json = model_to_json(&m);
		rc = cli_write_output(c.output, json);
		if (!rc && c.digest)
			rc = write_digest(c.output, json);
		free(json);
	}
	model_free(&m);
	free(c.args);
	return rc;
}
