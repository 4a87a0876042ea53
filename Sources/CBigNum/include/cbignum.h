/*
 * CBigNum: the few big-number operations SRP-6a needs (spec §8), over OpenSSL libcrypto BN.
 *
 * Every number crosses this boundary as big-endian bytes; every result is written left-padded
 * to the modulus length. No OpenSSL type appears here, so Swift never sees libcrypto, and
 * SeclabSRP imports this module internally only (C modules never appear in public API).
 *
 * Every exponentiation whose exponent is secret runs in BN_mod_exp_mont_consttime with
 * BN_FLG_CONSTTIME set; every BIGNUM and buffer that held a secret is cleared before release.
 */
#ifndef SECLAB_CBIGNUM_H
#define SECLAB_CBIGNUM_H

#include <stddef.h>
#include <stdint.h>

/* Results of the functions below. */
#define SECLAB_BN_OK 0
/* libcrypto failed (allocation, or an even modulus): not a property of the inputs. */
#define SECLAB_BN_FAILED (-1)
/* seclab_bn_check_public: the value is 0 mod the modulus. */
#define SECLAB_BN_ZERO_MOD 1
/* seclab_bn_check_public: the value is not below the modulus. */
#define SECLAB_BN_NOT_REDUCED 2

/* A borrowed, read-only big-endian byte string. */
typedef struct {
    const uint8_t *bytes;
    size_t count;
} seclab_bn_bytes;

/*
 * SECLAB_BN_ZERO_MOD if value = 0 mod modulus (checked first: it names the abort rule of
 * spec §8), else SECLAB_BN_NOT_REDUCED if value >= modulus, else SECLAB_BN_OK.
 */
int seclab_bn_check_public(seclab_bn_bytes value, seclab_bn_bytes modulus);

/* out = base^exponent mod modulus, constant time in the exponent (the exponent is secret). */
int seclab_bn_mod_exp(uint8_t *out, size_t out_count,
                      seclab_bn_bytes base, seclab_bn_bytes exponent, seclab_bn_bytes modulus);

/* SRP-6a server public value: out = (k*v + g^b) mod N. b is secret. */
int seclab_srp_server_public(uint8_t *out, size_t out_count,
                             seclab_bn_bytes n, seclab_bn_bytes g, seclab_bn_bytes k,
                             seclab_bn_bytes v, seclab_bn_bytes b);

/* SRP-6a client premaster secret: out = (B - k*g^x)^(a + u*x) mod N. x and a are secret. */
int seclab_srp_client_premaster(uint8_t *out, size_t out_count,
                                seclab_bn_bytes n, seclab_bn_bytes g, seclab_bn_bytes k,
                                seclab_bn_bytes server_public, seclab_bn_bytes x,
                                seclab_bn_bytes a, seclab_bn_bytes u);

/* SRP-6a server premaster secret: out = (A * v^u)^b mod N. b is secret. */
int seclab_srp_server_premaster(uint8_t *out, size_t out_count,
                                seclab_bn_bytes n, seclab_bn_bytes client_public,
                                seclab_bn_bytes v, seclab_bn_bytes u, seclab_bn_bytes b);

/* Wipe a buffer in a way the compiler cannot elide (OPENSSL_cleanse). */
void seclab_bn_cleanse(void *bytes, size_t count);

#endif
