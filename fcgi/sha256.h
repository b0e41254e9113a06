/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for token digests and
 * length-hiding comparisons.
 */
#ifndef PBXAPI_SHA256_H
#define PBXAPI_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t block[64];
	size_t fill;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);

/* out = SHA-256 of the n bytes at p. */
void sha256(const void *p, size_t n, uint8_t out[SHA256_LEN]);

/* out = HMAC-SHA-256(key, msg). */
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
    uint8_t out[SHA256_LEN]);

/* Returns 1 if the n bytes at a and b are equal, in time independent of
 * their contents. */
int ct_equal(const void *a, const void *b, size_t n);

#endif
