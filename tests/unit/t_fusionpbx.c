/*
 * Pure helpers of the {"action": ...} dialect (handlers/fusionpbx/util.c,
 * json.c, save.c): uuids as PostgreSQL reads them,
 * FusionPBX passwords, PHP's base64_decode and json_decode/json_encode
 * round trip, escaping, the validators of fusionpbx.md §5.
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "fusionpbx.h"
#include "tap.h"

static void
uuids(void)
{
	char out[FPX_UUID_LEN + 1];
	const char *good[] = { "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
		"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11",
		"a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
		"{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}" };
	const char *badv[] = { "", "zzz", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
		"{a0eebc999c0b4ef8bb6d6bb9bd380a11",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11}",
		"-a0eebc999c0b4ef8bb6d6bb9bd380a11",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11-",
		"a0e-ebc999c0b4ef8bb6d6bb9bd380a11",
		" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(fpx_uuid_parse(good[i], strlen(good[i]), out) == 0,
		    "uuid_in accepts '%s'", good[i]);
		is_str(out, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		    "canonical form");
	}
	for (i = 0; i < sizeof(badv) / sizeof(badv[0]); i++)
		ok(fpx_uuid_parse(badv[i], strlen(badv[i]), out) == -1,
		    "uuid_in refuses '%s'", badv[i]);
	ok(fpx_uuid_parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\0x", 38, out) ==
		-1,
	    "a NUL inside is refused");
	fpx_uuid_new(out);
	ok(strlen(out) == 36 && out[14] == '4' && strchr("89ab", out[19]),
	    "new uuids are version 4 (%s)", out);
}

static void
passwords(void)
{
	char pw[11], vm[9];
	size_t i;
	int okset = 1, digits = 1;

	fpx_password(pw, 10, 4);
	fpx_password(vm, 8, 1);
	ok(strlen(pw) == 10, "generate_password(10, 4) has 10 characters");
	for (i = 0; i < 10; i++)
		okset &= strchr("0123456789abcdefghijkmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNPQRSTUVWXYZ!^$%*?.",
			     pw[i]) != NULL;
	ok(okset, "from FusionPBX's alphabet (%s)", pw);
	for (i = 0; i < 8; i++)
		digits &= vm[i] >= '0' && vm[i] <= '9';
	ok(strlen(vm) == 8 && digits, "generate_password(8, 1) is 8 digits");
}

static void
base64(struct arena *a)
{
	size_t n;
	char *s;

	s = fpx_base64_decode(a, "dXNlcjpwYXNz", 12, &n);
	is_mem(s, n, "user:pass", "plain base64");
	s = fpx_base64_decode(a, "dXNl cjpw!YXNz==", 16, &n);
	is_mem(s, n, "user:pass", "junk and padding skipped (PHP non-strict)");
	s = fpx_base64_decode(a, "dXNlcg", 6, &n);
	is_mem(s, n, "user", "no padding");
	s = fpx_base64_decode(a, "", 0, &n);
	is_mem(s, n, "", "empty");
}

static void
escapes(void)
{
	struct buf b;

	buf_init(&b, 4096);
	fpx_xml_escape(&b, "a<b>&\"c'", 8);
	is_mem(b.data, b.len, "a&lt;b&gt;&amp;&quot;c&#039;", "XML escape");
	buf_clear(&b);
	fpx_regex_escape(&b, "+1.2*");
	is_mem(b.data, b.len, "\\+1\\.2\\*", "regex escape");
	buf_free(&b);
}

/* json_encode(json_decode(in)) and its truthiness. */
static void
php_json(const char *in, int want_rc, const char *want, const char *name)
{
	struct buf b;
	int rc;

	buf_init(&b, 1 << 20);
	rc = fpx_json_php(&b, in, strlen(in));
	is_int(rc, want_rc, name);
	if (want != NULL)
		is_mem(b.data ? b.data : "", b.len, want, name);
	buf_free(&b);
}

static void
json_roundtrip(void)
{
	php_json("[{\"destination_app\":\"transfer\",\"destination_data\":"
		 "\"100 XML a/b\"}]",
	    1,
	    "[{\"destination_app\":\"transfer\",\"destination_data\":"
	    "\"100 XML a\\/b\"}]",
	    "destination_actions re-encoded with \\/");
	php_json(
	    " [ 1 , 2.50, -0, 1e2, \"\\u00e9\\ud83d\\ude00\", true, null ] ", 1,
	    "[1,2.5,0,100,\"\\u00e9\\ud83d\\ude00\",true,null]",
	    "numbers and strings as PHP prints them");
	php_json("{}", 1, "{}", "an empty object is truthy and stays {}");
	php_json("{\"0\":\"a\"}", 1, "{\"0\":\"a\"}", "objects stay objects");
	php_json("[]", 0, "", "an empty array is falsy");
	php_json("\"0\"", 0, "", "\"0\" is falsy");
	php_json("0", 0, "", "0 is falsy");
	php_json("null", 0, "", "null is falsy");
	php_json("\"x\"", 1, "\"x\"", "a string is truthy");
	php_json("[1,]", -1, "", "bad JSON");
	php_json("\"\\ud800\"", -1, "", "lone surrogate");
	php_json("{\"\\u0000a\":1}", -1, "", "property name starting with NUL");
	php_json("[1] x", -1, "", "trailing junk");
	php_json("1e999", -1, "", "infinity cannot be encoded");
	php_json("[1e25,0.1]", 1, "[1.0e+25,0.1]", "doubles as json_encode");
	php_json("\"a\x01\"", -1, "", "raw control character");
	php_json("9223372036854775808", 1, "9.223372036854776e+18",
	    "past int64: a double");
}

static void
pretty(void)
{
	static const char in[] =
	    "{\"a\":[{\"b\":\"x,y:{}\",\"c\":[]}],\"d\":{}}";
	struct buf b;

	buf_init(&b, 4096);
	fpx_json_pretty(&b, in, strlen(in));
	is_mem(b.data, b.len,
	    "{\n    \"a\": [\n        {\n            \"b\": \"x,y:{}\",\n"
	    "            \"c\": []\n        }\n    ],\n    \"d\": {}\n}",
	    "JSON_PRETTY_PRINT layout");
	buf_free(&b);
}

static void
v(int (*fn)(const char *, size_t), const char *s, int want, const char *name)
{
	is_int(fn(s, strlen(s)) == 0, want, name);
}

static void
validators(void)
{
	v(fpx_v_number, "12065550100", 1, "number: digits");
	v(fpx_v_number, "+12065550100", 1, "number: leading +");
	v(fpx_v_number, ".*", 0, "number: regex refused (§5 #8)");
	v(fpx_v_number, "1)$\"><action", 0, "number: XML refused (§5 #7)");
	v(fpx_v_number, "+", 0, "number: + alone");
	v(fpx_v_number, "123456789012345678901234567890123", 0,
	    "number: 33 digits");
	v(fpx_v_exten, "102", 1, "extension: digits");
	v(fpx_v_exten, "alice.b-c_d", 1, "extension: letters . - _");
	v(fpx_v_exten, " 102", 0, "extension: blank refused (§5 #19)");
	v(fpx_v_exten, "1*", 0, "extension: * refused");
	v(fpx_v_target, "*9664", 1, "target: feature code");
	v(fpx_v_target, "101\n\napi system x", 0, "target: newline (§5 #2)");
	v(fpx_v_target, "1,x=y", 0, "target: comma (§5 #3)");
	v(fpx_v_target, "100/other", 0, "target: slash (§5 #3)");
	v(fpx_v_rgexten, "600", 1, "ring group extension: digits");
	v(fpx_v_rgexten, ".*", 0, "ring group extension: regex refused");
	v(fpx_v_text, "Sales/EMEA \"Zo\xc3\xab\"", 1, "text: quotes, UTF-8");
	v(fpx_v_text, "a\nb", 0, "text: newline refused");
	v(fpx_v_text, "\xff", 0, "text: invalid UTF-8 refused");
	v(fpx_v_strategy, "enterprise", 1, "strategy: enterprise");
	v(fpx_v_strategy, "bogus", 0, "strategy: bogus refused");
	v(fpx_v_strategy, "random ", 0, "strategy: exact");
}

int
main(void)
{
	struct arena *a = arena_new();

	uuids();
	passwords();
	base64(a);
	escapes();
	json_roundtrip();
	pretty();
	validators();
	arena_free(a);
	return done_testing();
}
