/*
 * ARI driver (ari.c), the parts without a socket: the reference's message
 * for an HTTP error reply (PHP trim, 500-byte cut, "[empty response
 * body]") and the json_decode($body, true) rules of the reply
 * (elastix-api.md §3.2).  The transfer itself is tested against
 * ari_double in tests/integration/50-arichannels.t.
 */
#include <string.h>

#include "arena.h"
#include "ari.h"
#include "json.h"
#include "pv.h"
#include "req.h"
#include "tap.h"
#include "testlib.h"
#include "util.h"

static struct arena *A;

/* json_encode(v) (JW_PHP), "(failed)" if it fails. */
#define enc(v) tl_json(A, (v), JW_PHP)

static void
decoded(const char *body, const char *want, const char *name)
{
	is_str(enc(ari_decode(A, body, strlen(body))), want, name);
}

/* An HTTP status and reply body, and the message made of them. */
static const struct status_case {
	int status;
	const char *body;
	size_t len;
	const char *want, *name;
} status_cases[] = {
	{ 401, "{\"message\":\"Authentication required\"}", 37,
	    "ARI request failed with HTTP status 401: "
	    "{\"message\":\"Authentication required\"}",
	    "401 body quoted" },
	{ 500, " \t\r\n\v", 5,
	    "ARI request failed with HTTP status 500: [empty response body]",
	    "blank body: [empty response body]" },
	{ 503, "", 0,
	    "ARI request failed with HTTP status 503: [empty response body]",
	    "empty body" },
	{ 404, "\n  <html>x</html>\r\n\0", 20,
	    "ARI request failed with HTTP status 404: <html>x</html>",
	    "trimmed like PHP's trim(), NUL included" },
	{ 400, "\f{}\f", 4, "ARI request failed with HTTP status 400: \f{}\f",
	    "form feed is not trimmed" },
};

static void
status_errors(void)
{
	const struct status_case *c;
	char body[700];
	struct ari_err e;
	const char *prefix = "ARI request failed with HTTP status 404: ";

	for (c = status_cases; c < status_cases + nitems(status_cases); c++) {
		ari_status_error(c->status, c->body, c->len, &e);
		is_mem(e.msg, e.len, c->want, c->name);
	}
	ari_status_error(500, " \t\r\n\v", 5, &e);
	is_int((long long)e.len, 62, "blank body: its length");
	memset(body, 'a', sizeof(body));
	ari_status_error(404, body, 500, &e);
	ok(e.len == strlen(prefix) + 500 &&
		memcmp(e.msg + e.len - 3, "aaa", 3) == 0,
	    "500 bytes: no ellipsis");
	ari_status_error(404, body, 501, &e);
	ok(e.len == strlen(prefix) + 503 &&
		memcmp(e.msg + e.len - 4, "a...", 4) == 0,
	    "501 bytes: cut to 500 plus ...");
	ari_status_error(404, body, sizeof(body), &e);
	ok(e.len == strlen(prefix) + 503 && e.len < sizeof(e.msg),
	    "700 bytes: cut to 500 plus ...");
	body[10] = '\0';
	ari_status_error(404, body, 20, &e);
	ok(e.len == strlen(prefix) + 20 && e.msg[strlen(prefix) + 10] == '\0',
	    "a NUL inside the body is kept");
}

int
main(void)
{
	A = arena_new();
	status_errors();
	decoded("[]", "[]", "empty list");
	decoded("{}", "[]", "{} becomes []");
	decoded("{\"a\":{}}", "{\"a\":[]}", "nested {} becomes []");
	decoded("\"text\"", "[]", "a string is not an array: []");
	decoded("42", "[]", "a number: []");
	decoded("null", "[]", "null: []");
	decoded("", "[]", "empty body: []");
	decoded("[1,", "[]", "invalid JSON: []");
	decoded("[1] x", "[]", "trailing garbage: []");
	decoded("[\"\xff\"]", "[]", "invalid UTF-8: []");
	decoded("{\"name\":\"PJSIP/100\",\"p\":1}",
	    "{\"name\":\"PJSIP\\/100\",\"p\":1}", "'/' re-encoded as \\/");
	decoded("{\"0\":\"a\",\"1\":\"b\"}", "[\"a\",\"b\"]",
	    "keys 0..n-1 become a list");
	decoded("{\"x\":1,\"y\":2,\"x\":3}", "{\"x\":3,\"y\":2}",
	    "duplicate key keeps its first position");
	decoded("[\"\\u00e9\xf0\x9f\x98\x80\"]", "[\"\\u00e9\\ud83d\\ude00\"]",
	    "non-ASCII as lower-case \\u escapes");
	decoded("[1.0,2.5e3,12345678901234567890]",
	    "[1,2500,1.2345678901234567e+19]", "floats re-printed as PHP does");
	decoded("[true,false,null]", "[true,false,null]", "literals");
	arena_free(A);
	return done_testing();
}
