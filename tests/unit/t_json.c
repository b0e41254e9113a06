/*
 * JSON writer (json.c): PHP json_encode string rules and doubles
 * (elastix-api.md §1.4), JW_UTF8 substitution, UTF-8 validation, the
 * structure writer and streaming.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "tap.h"

/* Escapes n bytes under flags; returns the text or "(failed)". */
static const char *
esc(const char *s, size_t n, unsigned flags)
{
	static char out[512];
	struct buf b;
	int rc;

	buf_init(&b, sizeof(out) - 1);
	rc = json_escape(&b, s, n, flags);
	snprintf(out, sizeof(out), "%s", rc == 1 ? "(failed)" : buf_cstr(&b));
	buf_free(&b);
	return out;
}

static void
php(const char *s, const char *want, const char *name)
{
	is_str(esc(s, strlen(s), JW_PHP), want, name);
}

static void
php_strings(void)
{
	php("a/b", "a\\/b", "slash escaped");
	php("\"\\", "\\\"\\\\", "quote and backslash");
	php("\xc3\xa9", "\\u00e9", "e-acute lower-case hex");
	php("\xf0\x9f\x98\x80", "\\ud83d\\ude00", "emoji as surrogate pair");
	php("\b\f\n\r\t", "\\b\\f\\n\\r\\t", "short escapes");
	php("\x01\x0b\x1f", "\\u0001\\u000b\\u001f", "other controls");
	php("\x7f<>&'", "\x7f<>&'", "DEL and <>&' raw");
	php("\xc2\x80", "\\u0080", "U+0080");
	php("\xdf\xbf", "\\u07ff", "U+07FF");
	php("\xe0\xa0\x80", "\\u0800", "U+0800");
	php("\xed\x9f\xbf", "\\ud7ff", "U+D7FF");
	php("\xee\x80\x80", "\\ue000", "U+E000");
	php("\xef\xbf\xbf", "\\uffff", "U+FFFF");
	php("\xf0\x90\x80\x80", "\\ud800\\udc00", "U+10000");
	php("\xf4\x8f\xbf\xbf", "\\udbff\\udfff", "U+10FFFF");
	php("", "", "empty string");
	is_str(esc("a\0b", 3, JW_PHP), "a\\u0000b", "NUL byte");
}

static void
invalid(const char *s, const char *name)
{
	char n2[128];
	const char *u;

	is_str(esc(s, strlen(s), JW_PHP), "(failed)", name);
	u = esc(s, strlen(s), JW_UTF8);
	snprintf(n2, sizeof(n2), "%s: JW_UTF8 substitutes U+FFFD", name);
	ok(strstr(u, "\xef\xbf\xbd") != NULL && utf8_valid(u, strlen(u)) == 0,
	    "%s", n2);
	is_int(utf8_valid(s, strlen(s)), -1, name);
}

static void
invalid_utf8(void)
{
	invalid("\xff", "byte FF");
	invalid("a\x80", "lone continuation byte");
	invalid("\xc3", "truncated 2-byte sequence");
	invalid("\xe2\x82", "truncated 3-byte sequence");
	invalid("\xc0\x80", "overlong NUL");
	invalid("\xc1\xbf", "overlong 2-byte");
	invalid("\xe0\x80\x80", "overlong 3-byte");
	invalid("\xf0\x80\x80\x80", "overlong 4-byte");
	invalid("\xed\xa0\x80", "UTF-8-encoded surrogate D800");
	invalid("\xed\xbf\xbf", "UTF-8-encoded surrogate DFFF");
	invalid("\xf4\x90\x80\x80", "past U+10FFFF");
	invalid("\xf8\x88\x80\x80\x80", "5-byte form");
	invalid("\xe9\x41", "latin-1 e-acute before A");
	is_int(utf8_valid("abc\xc3\xa9\xf0\x9f\x98\x80", 10), 0,
	    "utf8_valid on valid text");
	is_int(utf8_valid("\xc3\xa9", 1), -1, "utf8_valid respects length");
	is_str(esc("\xc3\xa9/\xff", 4, JW_UTF8), "\xc3\xa9/\xef\xbf\xbd",
	    "JW_UTF8: raw UTF-8, raw slash, U+FFFD");
}

/*
 * Checks that the double formatter fmt writes want for v; the check is
 * named pre, v, post ("json_encode(0.1) = 0.1").
 */
static void
formats(void (*fmt)(double, char *, size_t), const char *pre, const char *post,
    double v, const char *want)
{
	char out[64], name[96];

	fmt(v, out, sizeof(out));
	snprintf(name, sizeof(name), "%s%.17g%s = %s", pre, v, post, want);
	is_str(out, want, name);
}

#define dbl(v, want)  formats(json_format_double, "json_encode(", ")", v, want)
#define pstr(v, want) formats(php_double_str, "(string) ", "", v, want)

static double
bits(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static void
doubles(void)
{
	char small[5];

	dbl(0.1, "0.1");
	dbl(1.0, "1");
	dbl(-1.5, "-1.5");
	dbl(100.0, "100");
	dbl(1e25, "1.0e+25");
	dbl(0.00001, "1.0e-5");
	dbl(0.0001, "0.0001");
	dbl(0.001234, "0.001234");
	dbl(123456789012345680000.0, "1.2345678901234568e+20");
	dbl(1e16, "10000000000000000");
	dbl(1e17, "1.0e+17");
	dbl(12345678901234567.0, "12345678901234568");
	dbl(0.1 + 0.2, "0.30000000000000004");
	dbl(1.0 / 3, "0.3333333333333333");
	dbl(-0.0, "-0");
	dbl(0.0, "0");
	dbl(5e-324, "5.0e-324");
	dbl(DBL_MAX, "1.7976931348623157e+308");
	dbl(DBL_MIN, "2.2250738585072014e-308");
	dbl(9007199254740993.0, "9007199254740992");
	dbl(1152921504606846976.0, "1.152921504606847e+18");
	/* Next to powers of two the shortest digits are one fewer than
	 * the correctly rounded ones would suggest. */
	dbl(bits(0x2160000000000000ULL), "6.256509672447191e-148");
	dbl(bits(0xbd30000000000000ULL), "-5.684341886080802e-14");
	dbl(bits(0x4b50000000000000ULL), "6.129982163463556e+54");
	dbl(INFINITY, "0");
	dbl(NAN, "0");
	json_format_double(1.0 / 3, small, sizeof(small));
	is_str(small, "0.33", "json_format_double respects size");
}

static void
string_cast(void)
{
	pstr(0.1 + 0.2, "0.3");
	pstr(1.0 / 3, "0.33333333333333");
	pstr(1.5, "1.5");
	pstr(100.0, "100");
	pstr(1e13, "10000000000000");
	pstr(1e14, "1.0E+14");
	pstr(1e25, "1.0E+25");
	pstr(0.00001, "1.0E-5");
	pstr(-0.0, "-0");
	pstr(239234242.7123123, "239234242.71231");
	pstr(INFINITY, "INF");
	pstr(-INFINITY, "-INF");
	pstr(NAN, "NAN");
}

static void
structure(void)
{
	struct buf b;
	struct jw w;

	buf_init(&b, 1024);
	jw_init(&w, &b, JW_PHP);
	jw_obj_open(&w);
	jw_keyz(&w, "a/b");
	jw_int(&w, INT64_MIN);
	jw_keyz(&w, "l");
	jw_arr_open(&w);
	jw_bool(&w, 1);
	jw_bool(&w, 0);
	jw_null(&w);
	jw_double(&w, 2.5);
	jw_number(&w, "12.50", 5);
	jw_strz(&w, "\xc3\xa9");
	jw_obj_open(&w);
	jw_obj_close(&w);
	jw_arr_open(&w);
	jw_arr_close(&w);
	jw_arr_close(&w);
	jw_keyz(&w, "e");
	jw_str(&w, "", 0);
	jw_obj_close(&w);
	is_str(buf_cstr(&b),
	    "{\"a\\/b\":-9223372036854775808,\"l\":[true,false,null,2.5,"
	    "12.50,\"\\u00e9\",{},[]],\"e\":\"\"}",
	    "nested document");
	ok(!w.failed && !w.error && w.depth == 0, "no error, depth back to 0");
	jw_obj_close(&w);
	ok(w.error, "closing at depth 0 is an error");
	buf_free(&b);
}

static void
failures(void)
{
	struct buf b;
	struct jw w;
	int i;

	buf_init(&b, 1024);
	jw_init(&w, &b, JW_PHP);
	jw_arr_open(&w);
	jw_str(&w, "ok", 2);
	jw_str(&w, "\xff", 1);
	jw_arr_close(&w);
	ok(w.failed && !w.error, "invalid UTF-8 sets failed");
	buf_clear(&b);
	jw_init(&w, &b, JW_PHP);
	jw_keyz(&w, "\xc0\xaf");
	ok(w.failed, "invalid UTF-8 in a key sets failed");
	buf_clear(&b);
	jw_init(&w, &b, JW_PHP);
	for (i = 0; i < JW_DEPTH_MAX + 5; i++)
		jw_arr_open(&w);
	ok(w.error, "nesting past JW_DEPTH_MAX is an error");
	buf_free(&b);
	buf_init(&b, 8);
	jw_init(&w, &b, JW_PHP);
	jw_strz(&w, "0123456789");
	ok(w.error && b.overflow, "passing the buffer ceiling is an error");
	buf_free(&b);
}

struct sink {
	char data[4096];
	size_t len;
	int calls;
};

static int
flush_cb(void *ctx, struct buf *b)
{
	struct sink *s = ctx;

	if (s->len + b->len > sizeof(s->data))
		return -1;
	memcpy(s->data + s->len, b->data, b->len);
	s->len += b->len;
	s->calls++;
	return 0;
}

static void
streaming(void)
{
	struct sink s = { .len = 0 };
	struct buf b;
	struct jw w;
	int i;

	buf_init(&b, 256);
	jw_init(&w, &b, JW_PHP);
	w.flush = flush_cb;
	w.flush_ctx = &s;
	w.flush_at = 64;
	jw_arr_open(&w);
	for (i = 0; i < 200; i++)
		jw_int(&w, i);
	jw_arr_close(&w);
	ok(jw_flush(&w) == 0 && !w.error, "streamed 200 numbers");
	ok(s.calls > 1, "flushed more than once");
	ok(s.len > 2 && s.data[0] == '[' && s.data[s.len - 1] == ']' &&
		memmem(s.data, s.len, ",199]", 5) != NULL &&
		memmem(s.data, s.len, "[0,1,2,", 7) != NULL,
	    "streamed output is whole");
	buf_free(&b);
}

int
main(void)
{
	php_strings();
	invalid_utf8();
	doubles();
	string_cast();
	structure();
	failures();
	streaming();
	is_mem("x", 1, "x", "tap sanity");
	is_int(0, 0, "tap sanity");
	return done_testing();
}
