/*
 * String helpers (str.c) and human_size (handlers/host/sysinfo.c).
 */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "str.h"
#include "sysinfo.h"
#include "tap.h"
#include "util.h"

static void
replace(struct arena *a)
{
	is_str(str_replace(a, "a-b-c", "-", "+"), "a+b+c", "str_replace");
	is_str(str_replace(a, "a-b-c", "-", ""), "abc", "str_replace to ''");
	is_str(str_replace(a, "a-b", "-", "--"), "a--b", "str_replace grows");
	is_str(str_replace(a, "abc", "", "x"), "abc", "empty search: as is");
	is_str(str_replace(a, "aaa", "aa", "b"), "ba",
	    "left to right, no overlap");
	is_str(str_replace(a, "", "a", "b"), "", "empty subject");
	is_str(str_replace(a, "xyz", "q", "r"), "xyz", "no match");
	is_str(str_replace(a, "abab", "ab", "ab!"), "ab!ab!",
	    "replacement contains the search");
}

static void
trim(void)
{
	char s1[] = " \t\n\r\vabc \t\n\r\v", s2[] = "   ", s3[] = "a b",
	     s4[] = "";

	is_str(str_trim(s1), "abc", "str_trim both ends");
	is_str(str_trim(s2), "", "str_trim all blanks");
	is_str(str_trim(s3), "a b", "str_trim keeps inner blanks");
	is_str(str_trim(s4), "", "str_trim empty");
}

static void
copy(void)
{
	char d[4];

	is_int((long long)str_copy(d, "ab", sizeof(d)), 2, "str_copy length");
	is_str(d, "ab", "str_copy fits");
	is_int((long long)str_copy(d, "abcdef", sizeof(d)), 6,
	    "str_copy returns strlen(src)");
	is_str(d, "abc", "str_copy truncates");
	d[0] = 'x';
	str_copy(d, "abc", 0);
	is_int(d[0], 'x', "str_copy with size 0 writes nothing");
}

static void
b64(struct arena *a)
{
	is_str(base64(a, "", 0), "", "base64 ''");
	is_str(base64(a, "f", 1), "Zg==", "base64 f");
	is_str(base64(a, "fo", 2), "Zm8=", "base64 fo");
	is_str(base64(a, "foo", 3), "Zm9v", "base64 foo");
	is_str(base64(a, "foob", 4), "Zm9vYg==", "base64 foob");
	is_str(base64(a, "fooba", 5), "Zm9vYmE=", "base64 fooba");
	is_str(base64(a, "foobar", 6), "Zm9vYmFy", "base64 foobar");
	is_str(base64(a, "\xff\xfe\xfd", 3), "//79", "base64 high bytes");
	is_str(base64(a, "\0\0", 2), "AAA=", "base64 NULs");
	is_str(base64(a, "admin:amp111", 12), "YWRtaW46YW1wMTEx",
	    "base64 admin:amp111 (elastix-api §2.4)");
	is_str(base64(a, ":", 1), "Og==", "base64 ':'");
}

static void
hs(uint64_t n, unsigned base, const char *want)
{
	char out[32], name[64];

	human_size(n, base, out, sizeof(out));
	snprintf(name, sizeof(name), "human_size(%llu, %u) = %s",
	    (unsigned long long)n, base, want);
	is_str(out, want, name);
}

/* human_size(n, base) and what it must write. */
static const struct hs_case {
	uint64_t n;
	unsigned base;
	const char *want;
} human_sizes[] = {
	{ 0, 1024, "0" },
	{ 1, 1024, "1" },
	{ 1023, 1024, "1023" },
	{ 1024, 1024, "1.0K" },
	{ 1025, 1024, "1.1K" },
	{ 4096, 1024, "4.0K" },
	{ 10239, 1024, "10K" },
	{ 10240, 1024, "10K" },
	{ 10241, 1024, "11K" },
	{ 884736, 1024, "864K" },
	{ 1048575, 1024, "1.0M" },
	{ 1048576, 1024, "1.0M" },
	{ 1048577, 1024, "1.1M" },
	{ 4508876, 1024, "4.3M" },
	{ 1073741824, 1024, "1.0G" },
	{ 1152921504606846976ULL, 1024, "1.0E" },
	{ 2305843009213693952ULL, 1024, "2.0E" },
	{ UINT64_MAX, 1024, "16E" },
	{ 999, 1000, "999" },
	{ 1000, 1000, "1.0k" },
	{ 1001, 1000, "1.1k" },
	{ 9999, 1000, "10k" },
	{ 999999, 1000, "1.0M" },
	{ 21000000000ULL, 1000, "21G" },
	{ 21000000001ULL, 1000, "22G" },
	{ 1000000000000000000ULL, 1000, "1.0E" },
	{ UINT64_MAX, 1000, "19E" },
};

static void
human(void)
{
	const struct hs_case *c;
	char small[4];

	for (c = human_sizes; c < human_sizes + nitems(human_sizes); c++)
		hs(c->n, c->base, c->want);
	human_size(123456, 1024, small, sizeof(small));
	ok(strlen(small) < sizeof(small), "human_size respects size");
}

/* base64_decode: strict, and the inverse of base64 (ARI's Basic auth). */
static void
b64_decode(struct arena *a)
{
	static const char *const bad[] = { "YQ", "YQ=", "Y===", "YW=j", "YW Jj",
		"YWJj\n", "****", "YR==" };
	unsigned char bytes[256];
	const char *enc;
	char *d;
	size_t i, n, len;

	d = base64_decode(a, "YXJpOnBhc3M=", 12, &n);
	ok(d != NULL && n == 8 && memcmp(d, "ari:pass", 8) == 0,
	    "base64_decode: user:pass");
	d = base64_decode(a, "", 0, &n);
	ok(d != NULL && n == 0, "base64_decode: empty");
	d = base64_decode(a, "AA==", 4, &n);
	ok(d != NULL && n == 1 && d[0] == '\0', "base64_decode: a NUL byte");
	for (i = 0; i < nitems(bad); i++)
		ok(base64_decode(a, bad[i], strlen(bad[i]), &n) == NULL,
		    "base64_decode refuses '%s'", bad[i]);
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(255 - i);
	for (len = 0; len <= 5; len++) {
		enc = base64(a, bytes, len);
		d = base64_decode(a, enc, strlen(enc), &n);
		ok(d != NULL && n == len && memcmp(d, bytes, len) == 0,
		    "base64_decode(base64(%zu bytes)) round-trips", len);
	}
	enc = base64(a, bytes, sizeof(bytes));
	d = base64_decode(a, enc, strlen(enc), &n);
	ok(d != NULL && n == sizeof(bytes) && memcmp(d, bytes, n) == 0,
	    "base64_decode round-trips every byte value");
}

static void
urlenc(void)
{
	struct buf b;

	buf_init(&b, 64);
	ok(url_encode(&b, "a-Z_0.9~", 8) == 0 &&
		strcmp(b.data, "a-Z_0.9~") == 0,
	    "url_encode keeps the unreserved");
	buf_clear(&b);
	ok(url_encode(&b, "1 /?#&%\r\n", 9) == 0 &&
		strcmp(b.data, "1%20%2F%3F%23%26%25%0D%0A") == 0,
	    "url_encode encodes the rest");
	buf_clear(&b);
	ok(url_encode(&b, "\0\xff", 2) == 0 && strcmp(b.data, "%00%FF") == 0,
	    "url_encode: NUL and high bytes");
	buf_clear(&b);
	ok(url_encode(&b, "////////////////////////", 24) == -1,
	    "url_encode fails past the buffer's ceiling");
	buf_free(&b);
}

static void
hex_ctl(struct arena *a)
{
	is_str(hex_encode(a, "\x00\x01\xab\xff", 4), "0001abff",
	    "hex_encode: lower case, NUL bytes too");
	is_str(hex_encode(a, "", 0), "", "hex_encode of nothing");
	is_int(str_has_ctl("plain text", 10), 0, "no control byte");
	is_int(str_has_ctl("a\0b", 3), 1, "a NUL is one");
	is_int(str_has_ctl("a\rb", 3), 1, "CR is one");
	is_int(str_has_ctl("a\x7f", 2), 1, "DEL is one");
	is_int(str_has_ctl("\xc3\xa9", 2), 0, "UTF-8 is not");
}

int
main(void)
{
	struct arena *a = arena_new();

	hex_ctl(a);
	b64_decode(a);
	urlenc();

	replace(a);
	trim();
	copy();
	b64(a);
	human();
	arena_free(a);
	is_mem("x", 1, "x", "tap sanity");
	return done_testing();
}
