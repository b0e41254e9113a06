/*
 * SHA-256, HMAC-SHA-256 and constant-time comparison (see digest.h), as
 * one-shot calls into libcrypto (OpenSSL 3).
 */
#include <sys/random.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "digest.h"
#include "log.h"

/* Exits through fatalx() naming what failed and libcrypto's first queued
 * error: a failing digest is as fatal as running out of memory. */
static void __attribute__((noreturn)) crypto_fatal(const char *what)
{
	char why[256] = "no libcrypto error";
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	fatalx("%s failed: %s", what, why);
}

void
sha256(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		crypto_fatal("SHA-256");
	if (len != SHA256_LEN)
		fatalx("SHA-256 gave %u bytes, not %d", len, SHA256_LEN);
}

void
hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
    uint8_t out[SHA256_LEN])
{
	static const unsigned char none[1];
	size_t len = 0;

	/* libcrypto takes an empty key, but not a NULL one. */
	if (key == NULL || klen == 0) {
		key = none;
		klen = 0;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, msg, mlen,
		out, SHA256_LEN, &len) == NULL)
		crypto_fatal("HMAC-SHA-256");
	if (len != SHA256_LEN)
		fatalx("HMAC-SHA-256 gave %zu bytes, not %d", len, SHA256_LEN);
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
random_bytes(void *p, size_t n)
{
	ssize_t got;
	size_t done = 0;

	while (done < n) {
		got = getrandom((char *)p + done, n - done, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			abort();
		done += (size_t)got;
	}
}
