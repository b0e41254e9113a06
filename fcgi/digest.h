/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) through OpenSSL's
 * libcrypto, for token digests, a constant-time comparison, and random
 * bytes for keys.
 */
#ifndef PBXAPI_DIGEST_H
#define PBXAPI_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* Writes the SHA-256 digest of the n bytes at p to out (p may be NULL if n
 * is 0).  Never fails: if libcrypto does, the process exits with fatalx(),
 * as on running out of memory. */
void sha256(const void *p, size_t n, uint8_t out[SHA256_LEN]);

/* Writes HMAC-SHA-256 of the mlen bytes at msg under the klen-byte key to
 * out (key or msg may be NULL if its length is 0; a key longer than the
 * 64-byte block is hashed first, as RFC 2104 says).  Never fails: if
 * libcrypto does, the process exits with fatalx(). */
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
    uint8_t out[SHA256_LEN]);

/* Returns 1 if the n bytes at a and b are equal, else 0, in time that
 * depends on n only, not on the contents.  Zero bytes are equal. */
int ct_equal(const void *a, const void *b, size_t n);

/* Fills the n bytes at p from the kernel's random source (getrandom);
 * aborts if it fails. */
void random_bytes(void *p, size_t n);

#endif
