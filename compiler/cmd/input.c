/* parse -> check -> intersect -> resolve -> classify, or compiled JSON. */
#include "compiler/cmd/input.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "acl/set.h"
#include "compiler/diag.h"
#include "compiler/files.h"
#include "compiler/exits.h"
#include "compiler/model/build.h"
#include "compiler/model/json.h"
#include "compiler/policy/policy.h"
#include "compiler/policy/target.h"

/* Read in pieces of CHUNK bytes. */
#define CHUNK (256 * 1024)

static bool looks_like_json(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
			continue;
		return text[i] == '{';
	}
	return false;
}

/* Keep only the named targets of a model read from JSON. */
static int select_targets(struct model *m, const char *file, const char *const *only,
			  size_t nonly)
{
	struct m_target *keep;
	size_t k = 0;

	if (!nonly)
		return 0;
	keep = model_alloc(m, (nonly + 1) * sizeof(*keep));
	for (size_t i = 0; i < nonly; i++) {
		struct m_target *t = model_find(m, only[i]);

		if (!t) {
			die_msg("%s: no target named '%s'", file, only[i]);
			return EX_USAGE;
		}
		keep[k++] = *t;
	}
	m->t = keep;
	m->n = k;
	model_sort_targets(m);
	return 0;
}

/* Without m (check), stop after intersection: the sets are not built. */
static int load_policy(const char *path, const char *text, size_t len,
		       const struct resolve_opts *o, const char *const *only, size_t nonly,
		       struct model *m, size_t *ntargets)
{
	struct policy p;
	struct target_set ts = { 0 };
	size_t unresolved = 0;
	int rc = 0;

	if (policy_parse(path, text, len, &p))
		rc = EX_DATAERR;
	else if (targets_build(&p, only, nonly, &ts))
		rc = EX_USAGE;
	else if (m)
		rc = build_model(&ts, o, m, &unresolved);
	*ntargets = ts.n;
	if (!rc && o->strict && unresolved) {
		for (size_t i = 0; i < m->n; i++)
			for (size_t j = 0; j < m->t[i].nunres; j++)
				diag_error(path, 0, 0, "target '%s': %s did not resolve (%s)",
					   m->t[i].name, m->t[i].unres[j].host,
					   m->t[i].unres[j].error);
		rc = EX_NOHOST; /* --strict */
	}
	targets_free(&ts);
	policy_free(&p);
	return rc;
}

/* A compiled file, read as a stream from f, after the head already read:
 * the model needs no copy of the text (a million entries are 100 MB). */
static int load_json(const char *path, FILE *f, const char *head, size_t n, EVP_MD_CTX *md,
		     const char *const *only, size_t nonly, struct model *m, size_t *ntargets)
{
	struct model own, *into = m ? m : &own; /* check: read whole, then let go */
	struct json_reader *r;
	char *buf = acl_xrealloc(NULL, CHUNK);
	size_t total = n;
	int rc = 0;

	if (!m)
		model_init(&own);
	r = json_reader_new(path, into);
	json_reader_feed(r, head, n);
	while ((n = fread(buf, 1, CHUNK, f)) > 0) {
		total += n;
		if (total > FILES_MAX_BYTES) {
			rc = EX_DATAERR;
			die_msg("cannot read %s: %s", path, files_strerror(EFBIG));
			break;
		}
		if (md)
			EVP_DigestUpdate(md, buf, n);
		json_reader_feed(r, buf, n);
	}
	if (!rc && ferror(f)) {
		die_msg("cannot read %s: %s", path, files_strerror(errno ? errno : EIO));
		rc = EX_NOINPUT;
	}
	if (!rc)
		rc = json_reader_end(r);
	json_reader_free(r);
	free(buf);
	if (!rc)
		rc = select_targets(into, path, only, nonly);
	*ntargets = into->n;
	if (!m)
		model_free(&own);
	return rc;
}

/* A policy: the whole text, head (which this takes) and the rest of f. */
static int load_yaml(const char *path, FILE *f, char *head, size_t n, EVP_MD_CTX *md,
		     const struct resolve_opts *o, const char *const *only, size_t nonly,
		     struct model *m, size_t *ntargets)
{
	size_t len;
	char *text = files_read_rest(f, head, n, CHUNK + 1, &len);
	int rc;

	if (!text) {
		die_msg("cannot read %s: %s", path, files_strerror(errno));
		return errno == EFBIG ? EX_DATAERR : EX_NOINPUT;
	}
	if (md)
		EVP_DigestUpdate(md, text + n, len - n);
	diag_source(path, text, len);
	rc = load_policy(path, text, len, o, only, nonly, m, ntargets);
	diag_source(NULL, NULL, 0);
	free(text);
	return rc;
}

/* The digest is of the bytes read once: a pipe cannot be read again, and
 * a file changed meanwhile would get another file's digest. */
static int load(const char *path, const struct resolve_opts *o, const char *const *only,
		size_t nonly, struct model *m, uint8_t digest[32], size_t *ntargets)
{
	FILE *f = files_open(path);
	/* a digest needs no openssl.cnf: reading it is most of OpenSSL's start */
	EVP_MD_CTX *md = digest && OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL)
				 ? EVP_MD_CTX_new()
				 : NULL;
	char *head = acl_xrealloc(NULL, CHUNK + 1);
	size_t n;
	int rc;

	if (!f) {
		free(head);
		EVP_MD_CTX_free(md);
		die_msg("cannot read %s: %s", path, files_strerror(errno));
		return errno == EFBIG ? EX_DATAERR : EX_NOINPUT;
	}
	if (md)
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	n = fread(head, 1, CHUNK, f);
	if (md)
		EVP_DigestUpdate(md, head, n);
	if (looks_like_json(head, n)) {
		rc = load_json(path, f, head, n, md, only, nonly, m, ntargets);
		free(head);
	} else {
		rc = load_yaml(path, f, head, n, md, o, only, nonly, m, ntargets);
	}
	if (md) {
		unsigned len = 32;

		EVP_DigestFinal_ex(md, digest, &len);
		EVP_MD_CTX_free(md);
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

int input_load(const char *path, const struct resolve_opts *o, const char *const *only,
	       size_t nonly, struct model *m)
{
	size_t n;

	return load(path, o, only, nonly, m, NULL, &n);
}

int input_load_digest(const char *path, const struct resolve_opts *o, const char *const *only,
		      size_t nonly, struct model *m, uint8_t digest[32])
{
	size_t n;

	return load(path, o, only, nonly, m, digest, &n);
}

int input_check(const char *path, const struct resolve_opts *o, size_t *ntargets)
{
	return load(path, o, NULL, 0, NULL, NULL, ntargets);
}
