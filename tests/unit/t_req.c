/*
 * Requests (fcgi/req.c): the request line from the FastCGI parameters,
 * the Content-Length rules, the public error message, the query string
 * and the body parsed once under the configured limits.  The body is
 * read through libfcgi's FCGX_GetStr from a reader stream built here on
 * memory (struct FCGX_Stream is public; its fillBuffProc hands out the
 * bytes in chunks and then closes it), so req_read_body runs unchanged.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>

#include "arena.h"
#include "conf.h"
#include "json.h"
#include "limits.h"
#include "pv.h"
#include "req.h"
#include "tap.h"
#include "testlib.h"
#include "util.h"

static struct arena *A, *D;

/* Small limits, so that each is reached with a few bytes. */
#define BODY_MAX 100
static struct conf C = {
	.body_max = BODY_MAX,
	.params_max = 4,
	.nest_max = 3,
	.value_max = 16,
};

/*
 * A request from FastCGI parameters ("NAME=value", up to a NULL): with e,
 * after req_init, its verdict in *e.  mkreq(...) and init(e, ...) add the
 * NULL.
 */
#define mkreq(...)   req_of(NULL, __VA_ARGS__, (const char *)NULL)
#define init(e, ...) req_of(e, __VA_ARGS__, (const char *)NULL)

static struct req *
req_of(enum err *e, const char *p, ...)
{
	struct req *r = arena_zalloc(A, sizeof(*r));
	char **envp = arena_zalloc(A, 32 * sizeof(*envp));
	size_t n = 0;
	va_list ap;

	va_start(ap, p);
	for (; p != NULL && n < 31; p = va_arg(ap, const char *))
		envp[n++] = arena_strdup(A, p);
	va_end(ap);
	r->arena = A;
	r->conf = &C;
	r->envp = envp;
	if (e != NULL)
		*e = req_init(r);
	return r;
}

/* json_encode(v) with raw UTF-8, "(null)" or "(failed)". */
#define enc(v) tl_json(A, (v), JW_UTF8)

static void
param(void)
{
	struct req *r = mkreq("QUERY_STRING=a=1", "EMPTY=", "DUP=first",
	    "DUP=second", "QUERY_STRINGX=no", "NOEQUALS");
	struct req none = { .envp = NULL };

	is_str(req_param(r, "QUERY_STRING"), "a=1",
	    "req_param: the value after the first '='");
	ok(req_param(r, "QUERY") == NULL, "req_param: a prefix is not a name");
	ok(req_param(r, "QUERY_STRINGX") != NULL &&
		strcmp(req_param(r, "QUERY_STRINGX"), "no") == 0,
	    "req_param: a longer name is its own parameter");
	is_str(req_param(r, "EMPTY"), "", "req_param: empty value is \"\"");
	is_str(req_param(r, "DUP"), "first", "req_param: the first one wins");
	ok(req_param(r, "NOEQUALS") == NULL,
	    "req_param: an entry without '=' is no parameter");
	ok(req_param(r, "ABSENT") == NULL, "req_param: absent is NULL");
	ok(req_param(&none, "QUERY_STRING") == NULL,
	    "req_param: no envp at all is NULL");
}

static void
method_is(const char *m, unsigned bit)
{
	enum err e;
	struct req *r =
	    init(&e, arena_printf(A, "REQUEST_METHOD=%s", m), "X=1");

	ok(e == E_OK && r->m == bit && strcmp(r->method, m) == 0,
	    "req_init: method '%s' is bit 0x%02x", m, bit);
}

static void
init_defaults(void)
{
	enum err e;
	struct req *r = init(&e, "X=1");

	is_int(e, E_OK, "req_init: without request parameters, E_OK");
	is_str(r->method, "GET", "req_init: the method defaults to GET");
	is_int(r->m, M_GET, "req_init: GET bit");
	is_str(r->path, "/", "req_init: the path defaults to /");
	ok(r->query != NULL && r->querylen == 0 && *r->query == '\0',
	    "req_init: no QUERY_STRING is \"\" of length 0");
	is_str(r->ctype, "", "req_init: no CONTENT_TYPE is \"\"");
	is_int(r->clen, -1, "req_init: no CONTENT_LENGTH is -1");
	ok(r->lim.params_max == 4 && r->lim.value_max == 16 &&
		r->lim.nest_max == 3 && r->lim.name_max == LIM_NAME_MAX,
	    "req_init: the input limits come from the configuration");
	is_int((long long)r->errlen, 0, "req_init: no error message");
}

static void
init_methods(void)
{
	method_is("GET", M_GET);
	method_is("POST", M_POST);
	method_is("PUT", M_PUT);
	method_is("DELETE", M_DELETE);
	method_is("HEAD", M_HEAD);
	method_is("OPTIONS", M_OPTIONS);
	method_is("PATCH", M_PATCH);
	method_is("PROPFIND", M_OTHER);
	method_is("get", M_OTHER);
	method_is("", M_OTHER);
}

static void
path_is(const char *want, const char *name, const char *p1, const char *p2,
    const char *p3)
{
	enum err e;
	struct req *r = init(&e, p1, p2, p3);

	ok(e == E_OK, "%s: E_OK", name);
	is_str(r->path, want, name);
}

static void
init_paths(void)
{
	path_is("/api/x", "path: DOCUMENT_URI first", "DOCUMENT_URI=/api/x",
	    "SCRIPT_NAME=/s", "REQUEST_URI=/r?q=1");
	path_is("/s/info", "path: empty DOCUMENT_URI, SCRIPT_NAME + PATH_INFO",
	    "DOCUMENT_URI=", "SCRIPT_NAME=/s", "PATH_INFO=/info");
	path_is("/s", "path: SCRIPT_NAME with an empty PATH_INFO",
	    "SCRIPT_NAME=/s", "PATH_INFO=", "REQUEST_URI=/r");
	path_is("/r/a", "path: REQUEST_URI up to '?'",
	    "SCRIPT_NAME=", "REQUEST_URI=/r/a?x=1?y", "X=1");
	path_is("/r/a b/%00/%2", "path: REQUEST_URI decoded once (not %00)",
	    "REQUEST_URI=/r/a%20b/%00/%2?q=%41", "X=1", "Y=1");
	path_is("/r/%41", "path: %2541 decodes to %41, not A",
	    "REQUEST_URI=/r/%2541", "X=1", "Y=1");
	path_is("/r/a", "path: REQUEST_URI without a query", "REQUEST_URI=/r/a",
	    "X=1", "Y=1");
	path_is("", "path: REQUEST_URI that is only a query is \"\"",
	    "REQUEST_URI=?x=1", "X=1", "Y=1");
}

static void
init_query(void)
{
	enum err e;
	struct req *r =
	    init(&e, "QUERY_STRING=cmd=x&a=%20", "REQUEST_URI=/p?cmd=x&a=%20");
	char *q = arena_alloc(A, LIM_QUERY_MAX + 16);

	ok(e == E_OK && strcmp(r->query, "cmd=x&a=%20") == 0 &&
		r->querylen == 11,
	    "query: QUERY_STRING raw, with its length");
	is_str(r->path, "/p", "query: not part of the path");
	memcpy(q, "QUERY_STRING=", 13);
	memset(q + 13, 'a', LIM_QUERY_MAX);
	q[13 + LIM_QUERY_MAX] = '\0';
	r = init(&e, q);
	ok(e == E_OK && r->querylen == LIM_QUERY_MAX,
	    "query: LIM_QUERY_MAX bytes are accepted");
	q[13 + LIM_QUERY_MAX] = 'a';
	q[14 + LIM_QUERY_MAX] = '\0';
	r = init(&e, q);
	is_int(e, E_BADREQ, "query: one byte more is E_BADREQ");
	is_str(r->errmsg,
	    arena_printf(A, "query string longer than %d bytes", LIM_QUERY_MAX),
	    "query: its message");
	r = init(&e, "CONTENT_TYPE=application/json; charset=utf-8");
	is_str(r->ctype, "application/json; charset=utf-8",
	    "CONTENT_TYPE kept as sent");
}

static void
clen_is(const char *v, enum err want, long long clen)
{
	enum err e;
	struct req *r = init(&e, arena_printf(A, "CONTENT_LENGTH=%s", v));

	if (want == E_OK)
		ok(e == E_OK && r->clen == clen,
		    "CONTENT_LENGTH '%s': E_OK, clen %lld", v, clen);
	else
		ok(e == want && strcmp(r->errmsg, "bad Content-Length") == 0 &&
			r->errlen == 18,
		    "CONTENT_LENGTH '%s': E_BADREQ 'bad Content-Length'", v);
}

static void
init_clen(void)
{
	clen_is("", E_OK, -1);
	clen_is("0", E_OK, 0);
	clen_is("123", E_OK, 123);
	clen_is("-0", E_OK, 0);
	clen_is("-1", E_BADREQ, 0);
	clen_is("12a", E_BADREQ, 0);
	clen_is("12 ", E_BADREQ, 0);
	clen_is("abc", E_BADREQ, 0);
	clen_is("0x10", E_BADREQ, 0);
	clen_is("-99999999999999999999", E_BADREQ, 0);
	/* strtoll: leading blanks and '+' pass (nginx checked the header). */
	clen_is(" 12", E_OK, 12);
	clen_is("+12", E_OK, 12);
	/* Past LLONG_MAX strtoll saturates; the body read refuses it. */
	clen_is("99999999999999999999", E_OK, INT64_MAX);
}

/* The public error message: req_error formats it, req_error_bytes copies. */
static void
error_msg(void)
{
	struct req *r = mkreq((const char *)NULL);
	char big[LIM_ERRMSG * 2];

	is_int(req_error(r, E_NOTFOUND, "no '%s' (%d)", "x", 7), E_NOTFOUND,
	    "req_error returns its error");
	is_str(r->errmsg, "no 'x' (7)", "req_error formats");
	is_int((long long)r->errlen, 10, "req_error sets errlen");
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	req_error(r, E_BADREQ, "%s", big);
	ok(r->errlen == LIM_ERRMSG - 1 && r->errmsg[LIM_ERRMSG - 1] == '\0' &&
		r->errmsg[0] == 'm' && r->errmsg[LIM_ERRMSG - 2] == 'm',
	    "req_error truncates at LIM_ERRMSG - 1 bytes");
	req_error(r, E_BADREQ, "%s", "");
	ok(r->errlen == 0 && r->errmsg[0] == '\0', "req_error: empty message");
	is_int(req_error_bytes(r, E_PROTO, "bad: ", "a\0b\xff\xc3", 5), E_PROTO,
	    "req_error_bytes returns its error");
	ok(r->errlen == 10 && memcmp(r->errmsg, "bad: a\0b\xff\xc3", 10) == 0 &&
		r->errmsg[10] == '\0',
	    "req_error_bytes keeps NUL and invalid UTF-8, with the length");
	req_error_bytes(r, E_PROTO, "pfx", "", 0);
	ok(r->errlen == 3 && strcmp(r->errmsg, "pfx") == 0,
	    "req_error_bytes: no bytes, the prefix alone");
	memset(big, 'b', sizeof(big));
	req_error_bytes(r, E_PROTO, "0123456789", big, sizeof(big));
	ok(r->errlen == LIM_ERRMSG - 1 &&
		memcmp(r->errmsg, "0123456789bbb", 13) == 0 &&
		r->errmsg[LIM_ERRMSG - 2] == 'b' &&
		r->errmsg[LIM_ERRMSG - 1] == '\0',
	    "req_error_bytes truncates the bytes at LIM_ERRMSG - 1");
	big[sizeof(big) - 1] = '\0';
	memset(big, 'p', sizeof(big) - 1);
	req_error_bytes(r, E_PROTO, big, "zz", 2);
	ok(r->errlen == LIM_ERRMSG - 1 && r->errmsg[LIM_ERRMSG - 2] == 'p' &&
		memchr(r->errmsg, 'z', r->errlen) == NULL,
	    "req_error_bytes: an over-long prefix leaves no room for bytes");
}

/* req_parse_query on QUERY_STRING q; returns the request. */
static struct req *
query(const char *q, enum err *e)
{
	enum err ie;
	struct req *r = init(&ie, arena_printf(A, "QUERY_STRING=%s", q));

	*e = ie == E_OK ? req_parse_query(r) : ie;
	return r;
}

static void
parse_query(void)
{
	enum err e;
	struct req *r = query("a=1&b[]=2&b[]=3&c.d=4", &e);
	const struct pv *first;

	is_int(e, E_OK, "req_parse_query: E_OK");
	is_str(enc(r->get), "{\"a\":\"1\",\"b\":[\"2\",\"3\"],\"c_d\":\"4\"}",
	    "req_parse_query: $_GET as PHP builds it");
	first = r->get;
	r->query = "z=9";
	r->querylen = 3;
	ok(req_parse_query(r) == E_OK && r->get == first &&
		pv_getz(r->get, "z") == NULL,
	    "req_parse_query parses once: a second call changes nothing");
	r = query("", &e);
	ok(e == E_OK && r->get != NULL && strcmp(enc(r->get), "[]") == 0,
	    "req_parse_query: empty query is an empty array");
}

/* The limits of the configuration (C), and the messages past them. */
static void
parse_query_limits(void)
{
	static const struct {
		const char *q;
		enum err want;
		const char *name, *msg;
	} cases[] = {
		{ "a=1&b=2&c=3&d=4", E_OK, "params_max parameters pass", NULL },
		{ "a=1&b=2&c=3&d=4&e=5", E_TOOLARGE,
		    "params_max + 1 is E_TOOLARGE", "more than 4 parameters" },
		{ "v=0123456789abcdef", E_OK, "value_max bytes pass", NULL },
		{ "v=0123456789abcdefg", E_BADREQ, "value_max + 1 is E_BADREQ",
		    "value of 'v' longer than 16 bytes" },
	};
	enum err e;
	struct req *r;
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		r = query(cases[i].q, &e);
		is_int(e, cases[i].want,
		    arena_printf(A, "req_parse_query: %s", cases[i].name));
		if (cases[i].msg != NULL)
			is_str(r->errmsg, cases[i].msg,
			    arena_printf(A, "req_parse_query: its message (%s)",
				cases[i].name));
	}
	r = query(arena_printf(A, "%0*d=1", LIM_NAME_MAX + 1, 0), &e);
	is_int(e, E_BADREQ, "req_parse_query: a name over LIM_NAME_MAX");
	is_str(r->errmsg,
	    arena_printf(
		A, "parameter name longer than %d bytes", LIM_NAME_MAX),
	    "req_parse_query: name_max message");
	r = query("a[w][x][y][z]=1&b[x][y][z]=2", &e);
	ok(e == E_OK && pv_getz(r->get, "a") == NULL &&
		strcmp(enc(r->get), "{\"b\":{\"x\":{\"y\":{\"z\":\"2\"}}}}") ==
		    0,
	    "req_parse_query: nest_max from the configuration (3 levels kept, 4 dropped)");
}

/*
 * A second arena whose memory is not zero, so that a missing terminator
 * shows; what it hands out lives until the next call.
 */
static struct arena *
dirty(void)
{
	char *p;

	arena_reset(D);
	p = arena_alloc(D, LIM_ARENA_CHUNK / 2);
	memset(p, 0xa5, LIM_ARENA_CHUNK / 2);
	arena_reset(D);
	return D;
}

/* A request with a body on a memory stream (chunk bytes per read). */
static struct req *
body_req(const char *method, const char *ctype, const char *body, size_t n,
    size_t chunk, struct tl_feed *f)
{
	enum err e;
	struct req *r = init(&e, arena_printf(A, "REQUEST_METHOD=%s", method),
	    arena_printf(A, "CONTENT_TYPE=%s", ctype),
	    arena_printf(A, "CONTENT_LENGTH=%zu", n));

	if (e != E_OK)
		printf("# req_init failed: %s\n", r->errmsg);
	r->in = tl_feed(f, A, body, n, chunk);
	return r;
}

static void
read_body(void)
{
	struct tl_feed f;
	struct req *r;
	enum err e;

	r = body_req("POST", "x/y", "hello\0world", 11, 4, &f);
	r->arena = dirty();
	e = req_read_body(r);
	ok(e == E_OK && r->bodylen == 11 &&
		memcmp(r->body, "hello\0world", 12) == 0 && r->body_read,
	    "req_read_body: the whole body, NULs kept, NUL-terminated");
	ok(f.fills == 3, "req_read_body: read in the stream's chunks (%d)",
	    f.fills);
	f.off = 0;
	f.s.isClosed = 0;
	ok(req_read_body(r) == E_OK && f.fills == 3 && r->bodylen == 11,
	    "req_read_body reads once");
	r = body_req("POST", "x/y", "0123456789", 10, 64, &f);
	r->arena = dirty();
	f.len = 4;
	e = req_read_body(r);
	is_int(e, E_BADREQ, "req_read_body: a body shorter than its length");
	ok(r->bodylen == 4 && strcmp(r->body, "0123") == 0 &&
		strcmp(r->errmsg,
		    "request body shorter than its Content-Length") == 0,
	    "req_read_body: a short body is kept, and the message says why");
	r = body_req("POST", "x/y", "0123456789", 10, 64, &f);
	r->clen = 6;
	ok(req_read_body(r) == E_OK && r->bodylen == 6 &&
		strcmp(r->body, "012345") == 0,
	    "req_read_body: no more than Content-Length bytes");
	r = body_req("POST", "x/y", "", 0, 64, &f);
	ok(req_read_body(r) == E_OK && r->body != NULL && *r->body == '\0' &&
		r->bodylen == 0 && f.fills == 0,
	    "req_read_body: Content-Length 0 reads nothing, body \"\"");
	r = body_req("POST", "x/y", "abc", 3, 64, &f);
	r->clen = -1;
	ok(req_read_body(r) == E_OK && r->body != NULL && *r->body == '\0' &&
		r->bodylen == 0 && f.fills == 0,
	    "req_read_body: no Content-Length reads nothing, body \"\"");
	r = mkreq((const char *)NULL);
	req_init(r);
	ok(req_read_body(r) == E_OK && r->body != NULL && r->bodylen == 0,
	    "req_read_body: no Content-Length, no stream: body \"\"");
	r->body_read = 0;
	r->body = "preset";
	r->bodylen = 6;
	r->clen = 6;
	ok(req_read_body(r) == E_OK && strcmp(r->body, "preset") == 0,
	    "req_read_body: without a stream a preset body is kept");
}

static void
read_body_limits(void)
{
	char big[BODY_MAX + 1];
	struct tl_feed f;
	struct req *r;
	enum err e;

	memset(big, 'x', sizeof(big));
	r = body_req("POST", "x/y", big, BODY_MAX, 7, &f);
	ok(req_read_body(r) == E_OK && r->bodylen == BODY_MAX,
	    "req_read_body: body_max bytes pass");
	r = body_req("POST", "x/y", big, BODY_MAX + 1, 7, &f);
	e = req_read_body(r);
	is_int(e, E_TOOLARGE, "req_read_body: body_max + 1 is E_TOOLARGE");
	is_str(r->errmsg, "request body larger than 100 bytes",
	    "req_read_body: E_TOOLARGE message");
	is_int(f.fills, 0, "req_read_body: nothing of a refused body is read");
	r = body_req("POST", "x/y", big, 1, 7, &f);
	r->clen = INT64_MAX;
	is_int(req_read_body(r), E_TOOLARGE,
	    "req_read_body: a saturated Content-Length is E_TOOLARGE");
	/* A second call after a refusal must not report a body. */
	r = body_req("POST", "x/y", big, BODY_MAX + 1, 7, &f);
	req_read_body(r);
	e = req_read_body(r);
	ok(e == E_TOOLARGE || r->body != NULL,
	    "req_read_body after E_TOOLARGE: not E_OK with no body");
}

/* req_parse_body on a memory stream; returns the request. */
static struct req *
pbody(const char *method, const char *ctype, const char *body, unsigned kinds,
    enum err *e)
{
	struct tl_feed *f = arena_zalloc(A, sizeof(*f));
	struct req *r = body_req(method, ctype, body, strlen(body), 5, f);

	*e = req_parse_body(r, kinds);
	return r;
}

#define FORM "application/x-www-form-urlencoded"

static void
body_form(void)
{
	struct req *r;
	enum err e;

	r = pbody("POST", FORM, "a=1&b[]=x+y", BODY_FORM, &e);
	ok(e == E_OK &&
		strcmp(enc(r->post), "{\"a\":\"1\",\"b\":[\"x y\"]}") == 0,
	    "form: urlencoded POST body into $_POST");
	r = pbody("POST", "Application/X-WWW-Form-URLencoded ; charset=UTF-8",
	    "a=1", BODY_FORM, &e);
	ok(e == E_OK && strcmp(enc(r->post), "{\"a\":\"1\"}") == 0,
	    "form: media type case-insensitive, parameters after ';'");
	r = pbody("POST", "  " FORM, "a=1", BODY_FORM, &e);
	ok(e == E_OK && strcmp(enc(r->post), "{\"a\":\"1\"}") == 0,
	    "form: leading blanks in Content-Type");
	r = pbody("POST", FORM "x", "a=1", BODY_FORM, &e);
	ok(e == E_OK && strcmp(enc(r->post), "[]") == 0 && !r->body_read,
	    "form: another media type with the same prefix is left alone");
	r = pbody("PUT", FORM, "a=1", BODY_FORM, &e);
	ok(e == E_OK && strcmp(enc(r->post), "[]") == 0 && !r->body_read,
	    "form: PUT is not parsed (PHP: POST only), nor read");
	r = pbody("POST", FORM, "a=1", BODY_JSON, &e);
	ok(e == E_BADREQ && strncmp(r->errmsg, "invalid JSON", 12) == 0,
	    "form body to a JSON-only dialect: decoded as JSON, E_BADREQ");
	r = pbody("POST", FORM, "a=1", 0, &e);
	ok(e == E_OK && strcmp(enc(r->post), "[]") == 0 && !r->body_read,
	    "no body kinds: $_POST empty, body unread");
	r = pbody("POST", FORM, "a=1&b=2&c=3&d=4&e=5", BODY_FORM, &e);
	ok(e == E_TOOLARGE && strcmp(r->errmsg, "more than 4 parameters") == 0,
	    "form: past params_max is E_TOOLARGE");
	r = pbody("POST", FORM, "v=0123456789abcdefg", BODY_FORM, &e);
	ok(e == E_BADREQ &&
		strcmp(r->errmsg, "value of 'v' longer than 16 bytes") == 0,
	    "form: past value_max is E_BADREQ");
	r = pbody("POST", FORM, arena_printf(A, "a=1&b=%0*d", BODY_MAX - 5, 0),
	    BODY_FORM, &e);
	ok(e == E_TOOLARGE && strcmp(enc(r->post), "[]") == 0 &&
		strcmp(r->errmsg, "request body larger than 100 bytes") == 0,
	    "form: a body over body_max is E_TOOLARGE, nothing parsed");
}

#define MP    "multipart/form-data; boundary=XyZ"
#define PART1 "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
#define FILE1                                                                 \
	"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"" \
	"\r\n\r\nfile\r\n"

static void
body_multipart(void)
{
	struct req *r;
	enum err e;

	r = pbody("POST", MP, PART1 "--XyZ--\r\n", BODY_FORM, &e);
	ok(e == E_OK && strcmp(enc(r->post), "{\"a\":\"1\"}") == 0,
	    "multipart: a field into $_POST");
	r = pbody("POST", MP, FILE1 "--XyZ--\r\n", BODY_FORM, &e);
	ok(e == E_OK && strcmp(enc(r->post), "[]") == 0,
	    "multipart: a file part is skipped");
	r = pbody(
	    "POST", "multipart/form-data", PART1 "--XyZ--\r\n", BODY_FORM, &e);
	ok(e == E_BADREQ &&
		strcmp(r->errmsg, "multipart body without boundary") == 0 &&
		!r->body_read,
	    "multipart: no boundary is E_BADREQ before the body is read");
	r = pbody("POST", MP, PART1, BODY_FORM, &e);
	ok(e == E_BADREQ &&
		strcmp(r->errmsg, "unterminated multipart body") == 0,
	    "multipart: no closing delimiter is E_BADREQ");
	r = pbody("PUT", MP, PART1 "--XyZ--\r\n", BODY_FORM, &e);
	ok(e == E_OK && strcmp(enc(r->post), "[]") == 0 && !r->body_read,
	    "multipart: PUT is not parsed");
	r = pbody("POST", MP, PART1 "--XyZ--\r\n", BODY_JSON, &e);
	ok(e == E_BADREQ && strncmp(r->errmsg, "invalid JSON", 12) == 0,
	    "multipart to a JSON-only dialect: decoded as JSON, E_BADREQ");
	r = pbody("POST", MP, PART1 PART1 "--XyZ--\r\n", BODY_FORM, &e);
	ok(e == E_TOOLARGE && strcmp(enc(r->post), "[]") == 0,
	    "multipart: over body_max is E_TOOLARGE");
}

static void
body_json(void)
{
	struct req *r;
	enum err e;
	const struct pv *first;

	r = pbody("POST", "application/json", "{\"a\":[1,\"x\"],\"b\":null}",
	    BODY_JSON, &e);
	ok(e == E_OK &&
		strcmp(enc(r->post), "{\"a\":[1,\"x\"],\"b\":null}") == 0,
	    "json: decoded into r->post");
	first = r->post;
	ok(req_parse_body(r, BODY_JSON) == E_OK && r->post == first,
	    "req_parse_body parses once");
	r = pbody("PUT", "text/plain", "[1,2]", BODY_JSON, &e);
	ok(e == E_OK && strcmp(enc(r->post), "[1,2]") == 0,
	    "json: any method and Content-Type (php://input)");
	r = pbody("POST", "application/json", "7", BODY_JSON, &e);
	ok(e == E_OK && strcmp(enc(r->post), "7") == 0,
	    "json: a scalar body is the scalar");
	r = pbody("POST", "application/json", "{\"a\":", BODY_JSON, &e);
	ok(e == E_BADREQ && strncmp(r->errmsg, "invalid JSON", 12) == 0,
	    "json: invalid JSON is E_BADREQ");
	r = pbody("POST", "application/json", "\"\xff\"", BODY_JSON, &e);
	ok(e == E_BADREQ && strncmp(r->errmsg, "invalid JSON", 12) == 0,
	    "json: invalid UTF-8 is E_BADREQ");
	r = pbody("POST", "application/json", "[[[1]]]", BODY_JSON, &e);
	ok(e == E_OK, "json: nest_max levels pass");
	r = pbody("POST", "application/json", "[[[[1]]]]", BODY_JSON, &e);
	ok(e == E_BADREQ && strcmp(r->errmsg, "JSON nested deeper than 3") == 0,
	    "json: one more level is E_BADREQ");
	r = pbody("POST", "application/json", "", BODY_JSON, &e);
	ok(e == E_OK && strcmp(enc(r->post), "[]") == 0 && !r->body_read,
	    "json: Content-Length 0 is no body");
	r = pbody("POST", "application/json",
	    arena_printf(A, "[\"%0*d\"]", BODY_MAX - 3, 0), BODY_JSON, &e);
	ok(e == E_TOOLARGE && strcmp(enc(r->post), "[]") == 0,
	    "json: over body_max is E_TOOLARGE");
	r = pbody("POST", FORM, "a=1", BODY_FORM | BODY_JSON, &e);
	ok(e == E_OK && strcmp(enc(r->post), "{\"a\":\"1\"}") == 0,
	    "form and json accepted: a form body is a form");
}

static void
op_and_clock(void)
{
	struct req *r = mkreq((const char *)NULL);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 3000000 };
	uint64_t t0, t1;

	req_op(r, "ami Originate");
	is_str(r->op, "ami Originate", "req_op records the operation");
	t0 = now_us();
	nanosleep(&ts, NULL);
	t1 = now_us();
	ok(t1 >= t0 + 3000 && t1 < t0 + 10 * 1000000,
	    "now_us: microseconds (%llu after a 3 ms sleep)",
	    (unsigned long long)(t1 - t0));
}

int
main(void)
{
	A = arena_new();
	D = arena_new();
	param();
	init_defaults();
	init_methods();
	init_paths();
	init_query();
	init_clen();
	error_msg();
	parse_query();
	parse_query_limits();
	read_body();
	read_body_limits();
	body_form();
	body_multipart();
	body_json();
	op_and_clock();
	arena_free(D);
	arena_free(A);
	return done_testing();
}
