// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The confinement digest of a policy (digest.h), SHA-256 by libcrypto over the rules in the
 * order the policy lists them, each field preceded by its length. */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>

#include "policy/digest.h"

static void put(EVP_MD_CTX *m, const void *v, size_t n)
{
	EVP_DigestUpdate(m, &n, sizeof(n)); /* "ab" + "c" differs from "a" + "bc" */
	if (n)
		EVP_DigestUpdate(m, v, n);
}

static void put_str(EVP_MD_CTX *m, const char *s)
{
	put(m, s ? s : "", s ? strlen(s) : 0);
}

int wd_policy_confine_digest(const struct wd_policy *p, const struct wd_policy_ctx *ctx,
			     unsigned char out[WD_POLICY_DIGEST_LEN])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int len = WD_POLICY_DIGEST_LEN;
	int ret = -ENOMEM;

	if (!m || !EVP_DigestInit_ex(m, EVP_sha256(), NULL))
		goto out;
	put(m, &p->audit, sizeof(p->audit));
	put(m, &p->allow_fileless, sizeof(p->allow_fileless));
	put(m, &p->allow_jit, sizeof(p->allow_jit));
	put(m, &p->families, sizeof(p->families));
	put(m, &p->raw_families, sizeof(p->raw_families));
	put(m, &p->to_sandbox, sizeof(p->to_sandbox));
	put_str(m, p->uses_workdir && ctx ? ctx->workdir : NULL);
	put_str(m, p->uses_home && ctx ? ctx->home : NULL);
	for (int op = 0; op < WD_OP_NR; op++)
		for (int e = 0; e < WD_EFFECT_NR; e++)
			for (size_t i = 0; i < p->paths[op][e].n; i++) {
				const struct wd_path_rule *r = &p->paths[op][e].v[i];

				put(m, &op, sizeof(op));
				put(m, &e, sizeof(e));
				put_str(m, r->text);
				put(m, &r->kind, sizeof(r->kind));
			}
	for (int e = 0; e < WD_EFFECT_NR; e++)
		for (size_t i = 0; i < p->abstract[e].n; i++) {
			put(m, &e, sizeof(e));
			put_str(m, p->abstract[e].v[i].text);
		}
	if (EVP_DigestFinal_ex(m, out, &len) == 1 && len == WD_POLICY_DIGEST_LEN)
		ret = 0;
out:
	EVP_MD_CTX_free(m);
	return ret;
}
