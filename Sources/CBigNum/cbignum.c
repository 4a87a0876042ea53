/*
 * CBigNum: SRP-6a arithmetic (spec §8) on OpenSSL libcrypto BN. See include/cbignum.h.
 *
 * Why this shape: the Swift side hands in byte strings and gets byte strings back, so no
 * BIGNUM outlives a call and every secret BIGNUM is cleared in the same function that made it.
 * Each call owns its BN_CTX and BN_MONT_CTX, so the functions are safe to call concurrently.
 */
#include "cbignum.h"

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>

/* Inputs longer than this are refused: the 4096-bit group never needs more than 512 bytes,
 * plus room for an exponent a + u*x (64 bytes) or an unreduced value. */
#define SECLAB_BN_MAX_INPUT 4096

static BIGNUM *load(seclab_bn_bytes in, int secret) {
    if (in.count > SECLAB_BN_MAX_INPUT || (in.count > 0 && in.bytes == NULL)) return NULL;
    /* Why the secure heap for secrets: it is used when the process configured one; otherwise
     * BN_secure_new is BN_new. Either way the caller clears it with BN_clear_free. */
    BIGNUM *r = secret ? BN_secure_new() : BN_new();
    if (r == NULL) return NULL;
    /* Why BN_FLG_CONSTTIME on secrets: libcrypto then takes its constant-time code paths
     * for this value (exponentiation, division in reductions). */
    if (secret) BN_set_flags(r, BN_FLG_CONSTTIME);
    if (in.count == 0) {
        BN_zero(r);
        return r;
    }
    if (BN_bin2bn(in.bytes, (int)in.count, r) == NULL) {
        BN_clear_free(r);
        return NULL;
    }
    return r;
}

static BIGNUM *new_secret(void) {
    BIGNUM *r = BN_secure_new();
    if (r != NULL) BN_set_flags(r, BN_FLG_CONSTTIME);
    return r;
}

/* Write r left-padded to exactly out_count bytes (BN_bn2binpad is constant time in 3.x). */
static int store(uint8_t *out, size_t out_count, const BIGNUM *r) {
    if (out == NULL || out_count > INT_MAX) return SECLAB_BN_FAILED;
    return BN_bn2binpad(r, out, (int)out_count) == (int)out_count ? SECLAB_BN_OK : SECLAB_BN_FAILED;
}

static BN_MONT_CTX *montgomery(const BIGNUM *n, BN_CTX *ctx) {
    BN_MONT_CTX *mont = BN_MONT_CTX_new();
    if (mont != NULL && !BN_MONT_CTX_set(mont, n, ctx)) {
        BN_MONT_CTX_free(mont);
        return NULL;
    }
    return mont;
}

int seclab_bn_check_public(seclab_bn_bytes value, seclab_bn_bytes modulus) {
    int result = SECLAB_BN_FAILED;
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *v = load(value, 0), *n = load(modulus, 0), *rem = BN_new();
    if (ctx == NULL || v == NULL || n == NULL || rem == NULL || BN_is_zero(n)) goto done;
    if (!BN_nnmod(rem, v, n, ctx)) goto done;
    if (BN_is_zero(rem)) {
        result = SECLAB_BN_ZERO_MOD;
    } else if (BN_cmp(v, n) >= 0) {
        result = SECLAB_BN_NOT_REDUCED;
    } else {
        result = SECLAB_BN_OK;
    }
done:
    BN_free(rem);
    BN_free(n);
    BN_free(v);
    BN_CTX_free(ctx);
    return result;
}

int seclab_bn_mod_exp(uint8_t *out, size_t out_count,
                      seclab_bn_bytes base, seclab_bn_bytes exponent, seclab_bn_bytes modulus) {
    int result = SECLAB_BN_FAILED;
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *n = load(modulus, 0), *b = load(base, 1), *e = load(exponent, 1), *r = new_secret();
    if (ctx == NULL || n == NULL || b == NULL || e == NULL || r == NULL) goto done;
    if (!BN_mod_exp_mont_consttime(r, b, e, n, ctx, NULL)) goto done;
    result = store(out, out_count, r);
done:
    BN_clear_free(r);
    BN_clear_free(e);
    BN_clear_free(b);
    BN_free(n);
    BN_CTX_free(ctx); /* clears its pooled BIGNUMs */
    return result;
}

int seclab_srp_server_public(uint8_t *out, size_t out_count,
                             seclab_bn_bytes n_bytes, seclab_bn_bytes g_bytes, seclab_bn_bytes k_bytes,
                             seclab_bn_bytes v_bytes, seclab_bn_bytes b_bytes) {
    int result = SECLAB_BN_FAILED;
    BN_CTX *ctx = BN_CTX_secure_new();
    BN_MONT_CTX *mont = NULL;
    BIGNUM *n = load(n_bytes, 0), *g = load(g_bytes, 0), *k = load(k_bytes, 0);
    BIGNUM *v = load(v_bytes, 1), *b = load(b_bytes, 1);
    BIGNUM *gb = new_secret(), *kv = new_secret(), *big_b = BN_new();
    if (ctx == NULL || n == NULL || g == NULL || k == NULL || v == NULL || b == NULL
        || gb == NULL || kv == NULL || big_b == NULL) goto done;
    if ((mont = montgomery(n, ctx)) == NULL) goto done;
    /* g^b: b is secret. */
    if (!BN_mod_exp_mont_consttime(gb, g, b, n, ctx, mont)) goto done;
    if (!BN_mod_mul(kv, k, v, n, ctx)) goto done;
    if (!BN_mod_add(big_b, kv, gb, n, ctx)) goto done;
    result = store(out, out_count, big_b);
done:
    BN_free(big_b);
    BN_clear_free(kv);
    BN_clear_free(gb);
    BN_clear_free(b);
    BN_clear_free(v);
    BN_free(k);
    BN_free(g);
    BN_free(n);
    BN_MONT_CTX_free(mont);
    BN_CTX_free(ctx);
    return result;
}

int seclab_srp_client_premaster(uint8_t *out, size_t out_count,
                                seclab_bn_bytes n_bytes, seclab_bn_bytes g_bytes, seclab_bn_bytes k_bytes,
                                seclab_bn_bytes server_public, seclab_bn_bytes x_bytes,
                                seclab_bn_bytes a_bytes, seclab_bn_bytes u_bytes) {
    int result = SECLAB_BN_FAILED;
    BN_CTX *ctx = BN_CTX_secure_new();
    BN_MONT_CTX *mont = NULL;
    BIGNUM *n = load(n_bytes, 0), *g = load(g_bytes, 0), *k = load(k_bytes, 0);
    BIGNUM *big_b = load(server_public, 0), *u = load(u_bytes, 0);
    BIGNUM *x = load(x_bytes, 1), *a = load(a_bytes, 1);
    BIGNUM *gx = new_secret(), *kgx = new_secret(), *base = new_secret();
    BIGNUM *ux = new_secret(), *exponent = new_secret(), *s = new_secret();
    if (ctx == NULL || n == NULL || g == NULL || k == NULL || big_b == NULL || u == NULL
        || x == NULL || a == NULL || gx == NULL || kgx == NULL || base == NULL
        || ux == NULL || exponent == NULL || s == NULL) goto done;
    if ((mont = montgomery(n, ctx)) == NULL) goto done;
    /* g^x: x is the password-equivalent secret. */
    if (!BN_mod_exp_mont_consttime(gx, g, x, n, ctx, mont)) goto done;
    if (!BN_mod_mul(kgx, k, gx, n, ctx)) goto done;
    if (!BN_mod_sub(base, big_b, kgx, n, ctx)) goto done;
    /* The exponent a + u*x is an integer, not reduced mod anything. */
    if (!BN_mul(ux, u, x, ctx)) goto done;
    if (!BN_add(exponent, a, ux)) goto done;
    BN_set_flags(exponent, BN_FLG_CONSTTIME);
    if (!BN_mod_exp_mont_consttime(s, base, exponent, n, ctx, mont)) goto done;
    result = store(out, out_count, s);
done:
    BN_clear_free(s);
    BN_clear_free(exponent);
    BN_clear_free(ux);
    BN_clear_free(base);
    BN_clear_free(kgx);
    BN_clear_free(gx);
    BN_clear_free(a);
    BN_clear_free(x);
    BN_free(u);
    BN_free(big_b);
    BN_free(k);
    BN_free(g);
    BN_free(n);
    BN_MONT_CTX_free(mont);
    BN_CTX_free(ctx);
    return result;
}

int seclab_srp_server_premaster(uint8_t *out, size_t out_count,
                                seclab_bn_bytes n_bytes, seclab_bn_bytes client_public,
                                seclab_bn_bytes v_bytes, seclab_bn_bytes u_bytes, seclab_bn_bytes b_bytes) {
    int result = SECLAB_BN_FAILED;
    BN_CTX *ctx = BN_CTX_secure_new();
    BN_MONT_CTX *mont = NULL;
    BIGNUM *n = load(n_bytes, 0), *big_a = load(client_public, 0), *u = load(u_bytes, 0);
    BIGNUM *v = load(v_bytes, 1), *b = load(b_bytes, 1);
    BIGNUM *vu = new_secret(), *base = new_secret(), *s = new_secret();
    if (ctx == NULL || n == NULL || big_a == NULL || u == NULL || v == NULL || b == NULL
        || vu == NULL || base == NULL || s == NULL) goto done;
    if ((mont = montgomery(n, ctx)) == NULL) goto done;
    /* v^u: u is public, but v is the stored verifier (an offline-guessing target): keep the
     * constant-time path for it too. */
    if (!BN_mod_exp_mont_consttime(vu, v, u, n, ctx, mont)) goto done;
    if (!BN_mod_mul(base, big_a, vu, n, ctx)) goto done;
    /* (A * v^u)^b: b is secret. */
    if (!BN_mod_exp_mont_consttime(s, base, b, n, ctx, mont)) goto done;
    result = store(out, out_count, s);
done:
    BN_clear_free(s);
    BN_clear_free(base);
    BN_clear_free(vu);
    BN_clear_free(b);
    BN_clear_free(v);
    BN_free(u);
    BN_free(big_a);
    BN_free(n);
    BN_MONT_CTX_free(mont);
    BN_CTX_free(ctx);
    return result;
}

void seclab_bn_cleanse(void *bytes, size_t count) {
    if (bytes != NULL && count > 0) OPENSSL_cleanse(bytes, count);
}
