/*
 * PHP input semantics (phpin.c): query strings and form bodies as
 * php_register_variable_ex builds $_GET/$_POST (PHP 8.2, elastix-api.md
 * §1.3), multipart/form-data bodies, and json_decode($s, true).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "limits.h"
#include "phpin.h"
#include "pv.h"
#include "tap.h"
#include "testlib.h"
#include "util.h"

static struct arena *A;
static char errbuf[256];
static const struct in_limits deflim = {
	.params_max = 1000,
	.name_max = LIM_NAME_MAX,
	.value_max = 65536,
	.nest_max = 64,
};

/* json_encode(v) with raw UTF-8, or "(failed)". */
#define enc(v) tl_json(A, (v), JW_UTF8)

static const char *
qs_lim(const char *q, const struct in_limits *lim, enum err *e)
{
	struct pv *arr = pv_new_arr(A);

	errbuf[0] = '\0';
	*e = php_parse_urlencoded(
	    A, arr, q, strlen(q), lim, errbuf, sizeof(errbuf));
	return enc(arr);
}

static void
qs(const char *q, const char *want)
{
	enum err e;
	const char *got = qs_lim(q, &deflim, &e);

	ok(e == E_OK, "'%s' parses", q);
	is_str(got, want, q);
}

static void
basics(void)
{
	qs("a=1&b=2", "{\"a\":\"1\",\"b\":\"2\"}");
	qs("limit=1&limit=2", "{\"limit\":\"2\"}");
	qs("x=1&y=2&x=3", "{\"x\":\"3\",\"y\":\"2\"}");
	qs("field.name=src", "{\"field_name\":\"src\"}");
	qs("a+b.c=1", "{\"a_b_c\":\"1\"}");
	qs("%20+a=1", "{\"a\":\"1\"}");
	qs("a", "{\"a\":\"\"}");
	qs("a=", "{\"a\":\"\"}");
	qs("&&a=1&&", "{\"a\":\"1\"}");
	qs("", "[]");
	qs("=1&=2", "[]");
	qs("+=1", "[]");
	qs("a%00b=1", "{\"a\":\"1\"}");
	qs("a=%2B+%41%c3%A9", "{\"a\":\"+ A\xc3\xa9\"}");
	qs("a=%zz%4g%4", "{\"a\":\"%zz%4g%4\"}");
	qs("a=%", "{\"a\":\"%\"}");
	qs("a=b=c", "{\"a\":\"b=c\"}");
	qs("a=%00", "{\"a\":\"\\u0000\"}");
	qs("0=a&1=b", "[\"a\",\"b\"]");
	qs("5=a&6=b", "{\"5\":\"a\",\"6\":\"b\"}");
}

static void
arrays(void)
{
	qs("x[]=a&x[]=b", "{\"x\":[\"a\",\"b\"]}");
	qs("x[a][b]=1", "{\"x\":{\"a\":{\"b\":\"1\"}}}");
	qs("x[a]=1&x[b]=2&x[a]=3", "{\"x\":{\"a\":\"3\",\"b\":\"2\"}}");
	qs("a[b=1", "{\"a_b\":\"1\"}");
	qs("a[b.c=1", "{\"a_b_c\":\"1\"}");
	qs("a[b c[d=1", "{\"a_b_c_d\":\"1\"}");
	qs("a[b][c=1", "{\"a\":{\"b\":\"1\"}}");
	qs("a[b]c=1", "{\"a\":{\"b\":\"1\"}}");
	qs("a[b.c]=1", "{\"a\":{\"b.c\":\"1\"}}");
	qs("a.b[c.d]=1", "{\"a_b\":{\"c.d\":\"1\"}}");
	qs("x[ ]=1&x[ ]=2", "{\"x\":[\"1\",\"2\"]}");
	qs("x[%09]=1", "{\"x\":[\"1\"]}");
	qs("x[ a]=1", "{\"x\":{\" a\":\"1\"}}");
	qs("x[  ]=1", "{\"x\":{\"  \":\"1\"}}");
	qs("x=1&x[]=2", "{\"x\":[\"2\"]}");
	qs("x[]=1&x=2", "{\"x\":\"2\"}");
	qs("y=0&x=1&y[a]=2", "{\"y\":{\"a\":\"2\"},\"x\":\"1\"}");
	qs("a[0]=x&a[1]=y", "{\"a\":[\"x\",\"y\"]}");
	qs("a[5]=x&a[]=y", "{\"a\":{\"5\":\"x\",\"6\":\"y\"}}");
	qs("a[][]=1&a[][]=2", "{\"a\":[[\"1\"],[\"2\"]]}");
	qs("[a]=1", "[]");
	qs("a[=1", "{\"a_\":\"1\"}");
	qs("a[]x[b]=1", "{\"a\":[\"1\"]}");
	qs("cmd[]=auth", "{\"cmd\":[\"auth\"]}");
	qs("a[b%00c]=1", "{\"a_b\":\"1\"}");
}

/* PHP 8.2.24+: mangling must not manufacture a cookie prefix. */
static void
prefixes(void)
{
	qs("__Host-a=1", "{\"__Host-a\":\"1\"}");
	qs("..Host-a=1", "[]");
	qs("_.Host-a=1", "[]");
	qs("__Secure-a=1", "{\"__Secure-a\":\"1\"}");
	qs(" _.Secure-x=1", "[]");
	qs("__Host-[a]=1", "{\"__Host-\":{\"a\":\"1\"}}");
}

static void
nesting(void)
{
	struct in_limits lim = deflim;
	enum err e;

	lim.nest_max = 2;
	is_str(qs_lim("a[b][c]=1", &lim, &e), "{\"a\":{\"b\":{\"c\":\"1\"}}}",
	    "two levels under nest_max 2");
	is_str(qs_lim("z=1&a[b][c][d]=1", &lim, &e), "{\"z\":\"1\"}",
	    "three levels dropped");
	is_str(qs_lim("a=keep&z=1&a[b][c][d]=1", &lim, &e), "{\"z\":\"1\"}",
	    "too deep a variable removes the whole name");
	is_str(qs_lim("a[b][c][d=1", &lim, &e), "[]",
	    "the level count includes an unclosed bracket");
	is_int(e, E_OK, "nesting is not an error");
}

/*
 * A query under deflim with one limit (the in_limits member at offset
 * field) set to max, and the verdict.
 */
static const struct limit_case {
	size_t field, max;
	const char *q;
	enum err want;
	const char *name;
} limit_cases[] = {
	{ offsetof(struct in_limits, params_max), 3, "a=1&b=2&c=3", E_OK,
	    "params_max variables pass" },
	{ offsetof(struct in_limits, params_max), 3, "a=1&&b=2&&c=3&", E_OK,
	    "empty pieces do not count" },
	{ offsetof(struct in_limits, params_max), 3, "a=1&b=2&c=3&d=4",
	    E_TOOLARGE, "params_max + 1 is E_TOOLARGE" },
	{ offsetof(struct in_limits, name_max), 4, "abcd=1", E_OK,
	    "name of name_max bytes" },
	{ offsetof(struct in_limits, name_max), 4, "abcde=1", E_BADREQ,
	    "name past name_max" },
	{ offsetof(struct in_limits, name_max), 4, "%41%41%41%41=1", E_OK,
	    "name limit counts decoded bytes" },
	{ offsetof(struct in_limits, value_max), 4, "a=1234", E_OK,
	    "value of value_max bytes" },
	{ offsetof(struct in_limits, value_max), 4, "a=12345", E_BADREQ,
	    "value past value_max" },
	{ offsetof(struct in_limits, value_max), 4, "a=%41%41%41%41", E_OK,
	    "value limit counts decoded bytes" },
};

static void
limits(void)
{
	const struct limit_case *c;
	struct in_limits lim;
	enum err e;

	for (c = limit_cases; c < limit_cases + nitems(limit_cases); c++) {
		lim = deflim;
		memcpy((char *)&lim + c->field, &c->max, sizeof(c->max));
		qs_lim(c->q, &lim, &e);
		is_int(e, c->want, c->name);
		/* A refusal past params_max says why. */
		if (c->want == E_TOOLARGE)
			ok(errbuf[0] != '\0', "with a message: %s", errbuf);
	}
}

static void
decode(void)
{
	size_t n;
	char *d;

	d = url_decode(A, "a+b%20c", 7, 1, &n);
	is_mem(d, n, "a b c", "url_decode with plus");
	d = url_decode(A, "a+b%20c", 7, 0, &n);
	is_mem(d, n, "a+b c", "url_decode without plus");
	d = url_decode(A, "%41%4", 5, 1, &n);
	is_mem(d, n, "A%4", "url_decode: short escape at the end");
	d = url_decode(A, "%4142", 3, 1, &n);
	is_mem(d, n, "A", "url_decode respects the length");
	d = url_decode(A, "%%41", 4, 1, &n);
	is_mem(d, n, "%A", "url_decode: '%' before an escape");
	d = url_decode(A, "", 0, 1, &n);
	ok(d != NULL && n == 0 && d[0] == '\0', "url_decode of nothing");
}

#define CD "Content-Disposition: form-data; "

static const char *
mp_lim(
    const char *body, const char *bnd, const struct in_limits *lim, enum err *e)
{
	struct pv *arr = pv_new_arr(A);

	errbuf[0] = '\0';
	*e = php_parse_multipart(A, arr, body, strlen(body), bnd, strlen(bnd),
	    lim, errbuf, sizeof(errbuf));
	return enc(arr);
}

static void
mp(const char *body, const char *want, const char *name)
{
	enum err e;
	const char *got = mp_lim(body, "XyZ", &deflim, &e);

	ok(e == E_OK, "%s: parses (%s)", name, errbuf);
	is_str(got, want, name);
}

static void
mp_err(const char *body, enum err want, const char *name)
{
	enum err e;

	mp_lim(body, "XyZ", &deflim, &e);
	is_int(e, want, name);
}

static void
multipart(void)
{
	mp("--XyZ\r\n" CD "name=\"a\"\r\n\r\n1\r\n"
	   "--XyZ\r\n" CD "name=\"f\"; filename=\"x.txt\"\r\n"
	   "Content-Type: text/plain\r\n\r\nfile data\r\n"
	   "--XyZ\r\n" CD "name=\"b[]\"\r\n\r\nline1\r\nline2\r\n--XyZ--\r\n",
	    "{\"a\":\"1\",\"b\":[\"line1\\r\\nline2\"]}",
	    "fields kept, file part skipped");
	mp("This is the preamble.\r\n--XyZ\r\n" CD
	   "name=a\r\n\r\nv\r\n--XyZ--\r\nepilogue",
	    "{\"a\":\"v\"}", "preamble and epilogue ignored");
	mp("--XyZ  \r\n" CD "name=\"a.b\"\r\n\r\n\r\n--XyZ--", "{\"a_b\":\"\"}",
	    "padding after the delimiter, empty value");
	mp("--XyZ\r\n" CD "name=\"a\\\"b\\\\\"\r\n\r\nq\r\n--XyZ--",
	    "{\"a\\\"b\\\\\":\"q\"}", "escaped quote and backslash in name");
	mp("--XyZ\r\nContent-Type: text/plain\r\n\r\nno name\r\n"
	   "--XyZ\r\n" CD "name=x\r\n\r\nx\r\n--XyZ--",
	    "{\"x\":\"x\"}", "part without a name skipped");
	mp("--XyZ\r\n" CD "name=\"a\"\r\n\r\n1\r\n--XyZ\r\n" CD
	   "name=\"a\"\r\n\r\n2\r\n--XyZ--",
	    "{\"a\":\"2\"}", "last value wins");
	mp_err("--XyZ\r\n" CD "name=\"a\"\r\n\r\nx\r\n--XyZ-\r\n--XyZ--",
	    E_BADREQ, "the boundary inside content (RFC 2046 forbids it)");
	mp("--XyZ--", "[]", "only the closing delimiter");
	mp_err("--XyZ\r\n" CD "name=\"a\"\r\n\r\n1", E_BADREQ,
	    "missing closing boundary");
	mp_err("--XyZ\r\n" CD "name=\"a\"\r\n\r\n1\r\n--XyZ", E_BADREQ,
	    "delimiter at the very end without --");
	mp_err("no boundary here", E_BADREQ, "body without the boundary");
	mp_err("", E_BADREQ, "empty body");
	mp_err("--XyZ\r\n" CD "name=\"a\"\r\n1\r\n--XyZ--", E_BADREQ,
	    "part without a blank line");
	mp_err("--XyZx\r\n\r\n", E_BADREQ, "delimiter followed by junk");
}

static void
multipart_limits(void)
{
	struct in_limits lim = deflim;
	const char *three = "--XyZ\r\n" CD "name=a\r\n\r\n1\r\n"
			    "--XyZ\r\n" CD "name=b\r\n\r\n2\r\n"
			    "--XyZ\r\n" CD "name=c\r\n\r\n3\r\n--XyZ--";
	enum err e;

	lim.params_max = 3;
	mp_lim(three, "XyZ", &lim, &e);
	is_int(e, E_OK, "params_max parts pass");
	lim.params_max = 2;
	mp_lim(three, "XyZ", &lim, &e);
	is_int(e, E_TOOLARGE, "params_max + 1 parts is E_TOOLARGE");
	lim = deflim;
	lim.value_max = 1;
	mp_lim(three, "XyZ", &lim, &e);
	is_int(e, E_OK, "values of value_max bytes");
	mp_lim("--XyZ\r\n" CD "name=a\r\n\r\n12\r\n--XyZ--", "XyZ", &lim, &e);
	is_int(e, E_BADREQ, "value past value_max");
	lim = deflim;
	lim.name_max = 2;
	mp_lim("--XyZ\r\n" CD "name=abc\r\n\r\n1\r\n--XyZ--", "XyZ", &lim, &e);
	is_int(e, E_BADREQ, "name past name_max");
}

static void
bnd(const char *ctype, const char *want)
{
	size_t n = 0;
	const char *b = multipart_boundary(A, ctype, &n);

	if (want == NULL)
		ok(b == NULL, "no boundary in '%s'", ctype);
	else
		ok(b != NULL && strcmp(b, want) == 0 && n == strlen(want),
		    "boundary of '%s' is '%s'", ctype, want);
}

static void
boundaries(void)
{
	char longb[128];

	bnd("multipart/form-data; boundary=abc", "abc");
	bnd("multipart/form-data; boundary=\"a b:c\"", "a b:c");
	bnd("multipart/form-data;boundary=abc;charset=x", "abc");
	bnd("multipart/form-data; charset=utf-8; BOUNDARY=xyz", "xyz");
	bnd("multipart/form-data; boundary=abc def", "abc");
	bnd("multipart/form-data", NULL);
	bnd("multipart/form-data; boundary=", NULL);
	bnd("multipart/form-data; boundary=\"\"", NULL);
	bnd("multipart/form-data; xboundary=abc", NULL);
	snprintf(
	    longb, sizeof(longb), "multipart/form-data; boundary=%071d", 0);
	bnd(longb, NULL);
	snprintf(
	    longb, sizeof(longb), "multipart/form-data; boundary=%070d", 0);
	bnd(longb, longb + strlen("multipart/form-data; boundary="));
}

static struct pv *
jd_lim(const char *s, size_t n, const struct in_limits *lim, enum err *e)
{
	struct pv *out = NULL;

	errbuf[0] = '\0';
	*e = json_decode_pv(A, s, n, lim, &out, errbuf, sizeof(errbuf));
	return out;
}

static void
jd(const char *s, const char *want)
{
	enum err e;
	struct pv *v = jd_lim(s, strlen(s), &deflim, &e);

	char name[128];
	size_t i;

	/* One TAP line: control bytes of the input as '?'. */
	snprintf(name, sizeof(name), "json_decode '%s'", s);
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] < 0x20)
			name[i] = '?';
	ok(e == E_OK && v != NULL, "%s parses (%s)", name, errbuf);
	is_str(v != NULL ? enc(v) : "(null)", want, name);
}

static void
jd_err(const char *s, size_t n, const char *name)
{
	enum err e;

	jd_lim(s, n, &deflim, &e);
	is_int(e, E_BADREQ, name);
}

static void
json_values(void)
{
	enum err e;
	struct pv *v;

	jd("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":1.5}}",
	    "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":1.5}}");
	jd("{\"0\":\"a\",\"1\":\"b\"}", "[\"a\",\"b\"]");
	jd("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}");
	jd("{\"\":1}", "{\"\":1}");
	jd("{}", "[]");
	jd(" [ ] \n", "[]");
	jd("\"\\ud83d\\ude00\\u00e9\"", "\"\xf0\x9f\x98\x80\xc3\xa9\"");
	jd("12345678901234567890", "1.2345678901234567e+19");
	jd("9223372036854775807", "9223372036854775807");
	jd("-9223372036854775808", "-9223372036854775808");
	jd("9223372036854775808", "9.223372036854776e+18");
	jd("-0", "0");
	jd("1e400", "0");
	v = jd_lim("1.0", 3, &deflim, &e);
	ok(e == E_OK && v->type == PV_DOUBLE && v->u.d == 1.0,
	    "1.0 is a float");
	v = jd_lim("1e2", 3, &deflim, &e);
	ok(e == E_OK && v->type == PV_DOUBLE && v->u.d == 100.0,
	    "1e2 is a float");
	v = jd_lim("42", 2, &deflim, &e);
	ok(e == E_OK && v->type == PV_INT && v->u.i == 42, "42 is an int");
	v = jd_lim("\"a\\u0000b\"", 10, &deflim, &e);
	ok(e == E_OK && v->type == PV_STR && v->u.str.len == 3 &&
		memcmp(v->u.str.s, "a\0b", 3) == 0,
	    "\\u0000 kept inside a string");
	v = jd_lim("[1,2]", 5, &deflim, &e);
	ok(e == E_OK && pv_count(v) == 2, "array of two");
}

static void
json_errors(void)
{
	struct in_limits lim = deflim;
	enum err e;

	jd_err("", 0, "empty text");
	jd_err("   ", 3, "blank text");
	jd_err("{} x", 4, "trailing garbage");
	jd_err("1 2", 3, "two values");
	jd_err("[1,]", 4, "trailing comma");
	jd_err("{'a':1}", 7, "single quotes");
	jd_err("01", 2, "leading zero");
	jd_err("\"\xff\"", 3, "invalid UTF-8 byte");
	jd_err("\"\xc0\xaf\"", 4, "overlong UTF-8");
	jd_err("\"\xe0\x80\xaf\"", 5, "overlong 3-byte UTF-8");
	jd_err("\"\xed\xa0\x80\"", 5, "UTF-8-encoded surrogate");
	jd_err("\"\xf4\x90\x80\x80\"", 6, "UTF-8 past U+10FFFF");
	jd_err("{\"\xc0\xaf\":1}", 8, "overlong UTF-8 in a key");
	jd_err("\"\\ud800\"", 8, "lone high surrogate escape");
	jd_err("\"\\udc00\"", 8, "lone low surrogate escape");
	jd_err("\"\\ud800\\u0041\"", 14, "high surrogate then not a low one");
	jd_err("\"\\ud800x\"", 9, "high surrogate then a character");
	jd_err("\"a\x01b\"", 5, "raw control character in a string");
	jd_err("\xef\xbb\xbf{}", 5, "byte order mark");
	jd_err("[1]\0", 4, "NUL after the value");
	lim.nest_max = 3;
	jd_lim("[[[1]]]", 7, &lim, &e);
	is_int(e, E_OK, "three levels under depth 3");
	jd_lim("{\"a\":{\"b\":{\"c\":{}}}}", 20, &lim, &e);
	is_int(e, E_BADREQ, "four levels under depth 3");
	ok(strstr(errbuf, "deeper") != NULL, "message says so: %s", errbuf);
	jd_lim("[\"\\\\ud800\"]", 11, &lim, &e);
	is_int(e, E_OK, "escaped backslash before 'ud800' is not an escape");
}

int
main(void)
{
	A = arena_new();
	basics();
	arrays();
	prefixes();
	nesting();
	limits();
	decode();
	multipart();
	multipart_limits();
	boundaries();
	json_values();
	json_errors();
	arena_free(A);
	return done_testing();
}
