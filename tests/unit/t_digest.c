/*
 * digest.c: SHA-256 (FIPS 180-2 vectors), HMAC-SHA-256 (RFC 4231 cases 1-4,
 * 6, 7, and empty or NULL keys and messages) and ct_equal.
 */
#include <stdint.h>
#include <string.h>

#include "digest.h"
#include "tap.h"
#include "util.h"

static const char *
hex(const uint8_t *d)
{
	static char out[2 * SHA256_LEN + 1];
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * SHA256_LEN] = '\0';
	return out;
}

static void
sha(const void *p, size_t n, const char *want, const char *name)
{
	uint8_t d[SHA256_LEN];

	sha256(p, n, d);
	is_str(hex(d), want, name);
}

static void
fips(void)
{
	static char million[1000000];
	uint8_t d[SHA256_LEN];

	sha("", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256 empty");
	sha("abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256 abc");
	sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	    "sha256 448-bit message");
	memset(million, 'a', sizeof(million));
	sha(million, sizeof(million),
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	    "sha256 one million 'a'");
	/* No bytes need no buffer. */
	sha256(NULL, 0, d);
	is_str(hex(d),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256 of NULL, 0 is the empty digest");
}

/* Lengths around the padding boundary (checked against hashlib). */
static void
boundaries(void)
{
	static const struct {
		size_t n;
		const char *want;
	} v[] = {
		{ 55,
		    "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae5"
		    "9b598b59" },
		{ 56,
		    "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a6"
		    "0895f562" },
		{ 63,
		    "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69"
		    "cdb9e488" },
		{ 64,
		    "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1"
		    "d9151108" },
		{ 65,
		    "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2f"
		    "abb31781" },
		{ 119,
		    "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d3"
		    "9d18f7ec6" },
		{ 120,
		    "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c07"
		    "5420bbb7c" },
		{ 128,
		    "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703"
		    "e56a2be5" },
	};
	uint8_t msg[128];
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i % 251);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "sha256 of %zu bytes", v[i].n);
		sha(msg, v[i].n, v[i].want, name);
	}
}

static void
hmac(const void *k, size_t kl, const void *m, size_t ml, const char *want,
    const char *name)
{
	uint8_t d[SHA256_LEN];

	hmac_sha256(k, kl, m, ml, d);
	is_str(hex(d), want, name);
}

static void
rfc4231(void)
{
	uint8_t k[131], m[50];
	size_t i;

	memset(k, 0x0b, 20);
	hmac(k, 20, "Hi There", 8,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    "RFC 4231 case 1");
	hmac("Jefe", 4, "what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "RFC 4231 case 2");
	memset(k, 0xaa, 20);
	memset(m, 0xdd, 50);
	hmac(k, 20, m, 50,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	    "RFC 4231 case 3");
	for (i = 0; i < 25; i++)
		k[i] = (uint8_t)(i + 1);
	memset(m, 0xcd, 50);
	hmac(k, 25, m, 50,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	    "RFC 4231 case 4");
	memset(k, 0xaa, 131);
	hmac(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
	    54,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	    "RFC 4231 case 6 (key longer than a block)");
	hmac(k, 131,
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.",
	    152,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	    "RFC 4231 case 7 (key and data longer than a block)");
	memset(k, 0xaa, 64);
	hmac(k, 64, "x", 1,
	    "ce3c639dcb9d8baae5d44c3b8b5e233faab4d1860e07489af5c84f213998bd79",
	    "key of exactly one block");
}

/* Empty and NULL keys and messages (checked against Python's hmac). */
static const struct hmac_case {
	const char *k;
	size_t kl;
	const char *m;
	size_t ml;
	const char *want, *name;
} empties[] = {
	{ "", 0, "", 0,
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
	    "empty key, empty message" },
	{ NULL, 0, NULL, 0,
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
	    "NULL key, NULL message" },
	{ NULL, 0, "Hi There", 8,
	    "e48411262715c8370cd5e7bf8e82bef53bd53712d007f3429351843b77c7bb9b",
	    "NULL key" },
	{ "key", 3, "The quick brown fox jumps over the lazy dog", 43,
	    "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
	    "short key" },
};

static void
empty(void)
{
	const struct hmac_case *c;

	for (c = empties; c < empties + nitems(empties); c++)
		hmac(c->k, c->kl, c->m, c->ml, c->want, c->name);
}

static void
compare(void)
{
	ok(ct_equal("abcd", "abcd", 4), "ct_equal: equal");
	ok(!ct_equal("abcd", "abce", 4), "ct_equal: last byte differs");
	ok(!ct_equal("\x80", "\x00", 1), "ct_equal: high bit differs");
	ok(ct_equal("x", "y", 0), "ct_equal: zero length is equal");
	is_int(ct_equal("ab", "ab", 2), 1, "ct_equal returns 1");
	is_mem("abc", 3, "abc", "tap sanity");
}

int
main(void)
{
	fips();
	boundaries();
	rfc4231();
	empty();
	compare();
	return done_testing();
}
