/*
 * Dispatch (fcgi/dispatch.c, included): the validators; route_find on the
 * real routes of handlers/registry.c and, for the prefix rule no real
 * route uses, on a table of the test's own; cmd_find on the real dialects;
 * params_validate with the generic rules and with FusionPBX's (D_PHP_EMPTY,
 * D_JSON_SCALARS, a param_error hook, P_LIST, aliases) on test tables and
 * on the real ones; dispatch() end to end with the exact reply bytes, on
 * the real elastix and status dialects, on a dialect of the test's for the
 * order of scope, method and parameters, and on the real FusionPBX hooks
 * behind an authentication of the test's (the real one needs PostgreSQL).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

/*
 * route_find walks the table route_table points at: the real one, or for
 * a few checks one of the test's (a const table cannot be changed).
 */
#define routes (*route_table)
#include "../../fcgi/dispatch.c"
#undef routes

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "elastix.h"
#include "fusionpbx.h"
#include "phpin.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "tap.h"

extern const struct route routes[];
extern const struct dialect status_dialect;
const struct route (*route_table)[] = &routes;

static struct arena *A;
static struct conf *C;	/* loaded from a file: a tenant and its tokens */
static struct buf out;	/* what reached the client */
static struct buf body; /* the worker's reply buffer */
static char dir[64];

/* Limits for params_validate: value_max is small. */
static struct conf PC = {
	.body_max = 1000,
	.params_max = 50,
	.nest_max = 8,
	.value_max = 16,
	.status_path = "/status",
	.ping_path = "/ping",
};

static int
sink(void *o, const char *p, size_t n)
{
	(void)o;
	return buf_add(&out, p, n);
}

/* The n bytes at s, with bytes outside printable ASCII as \xNN. */
static const char *
shown(const char *s, size_t n)
{
	char *b = arena_alloc(A, 4 * n + 1), *p = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 0x20 && s[i] < 0x7f)
			*p++ = s[i];
		else
			p += snprintf(p, 5, "\\x%02x", (unsigned char)s[i]);
	*p = '\0';
	return b;
}

/* ---- validators ---- */

#define VALID(fn, lit, want) valid_is(fn, #fn, lit, sizeof(lit) - 1, want)

static void
valid_is(int (*fn)(const char *, size_t), const char *name, const char *s,
    size_t n, int want)
{
	ok(fn(s, n) == want, "%s('%s'): %s", name, shown(s, n),
	    want == 0 ? "accepted" : "refused");
}

static void
validators(void)
{
	VALID(v_digits, "", -1);
	VALID(v_digits, "0", 0);
	VALID(v_digits, "0123456789", 0);
	VALID(v_digits, "/", -1);
	VALID(v_digits, ":", -1);
	VALID(v_digits, "12a", -1);
	VALID(v_digits, "-1", -1);
	VALID(v_digits, " 1", -1);
	VALID(v_digits, "1\0", -1);
	VALID(v_digits, "\xb1", -1);
	ok(v_digits("12x", 2) == 0, "v_digits reads n bytes only");
	VALID(v_token, "", -1);
	VALID(v_token, "azAZ09_.-", 0);
	VALID(v_token, "@", -1);
	VALID(v_token, "[", -1);
	VALID(v_token, "`", -1);
	VALID(v_token, "{", -1);
	VALID(v_token, "/", -1);
	VALID(v_token, ":", -1);
	VALID(v_token, "a b", -1);
	VALID(v_token, "a+b", -1);
	VALID(v_token, "a\0", -1);
	VALID(v_token, "\xc3\xa9", -1);
	VALID(v_printable, "", 0);
	VALID(v_printable, " ~", 0);
	VALID(v_printable, "caf\xc3\xa9 \x80\xff", 0);
	VALID(v_printable, "\x1f", -1);
	VALID(v_printable, "a\tb", -1);
	VALID(v_printable, "a\r", -1);
	VALID(v_printable, "\n", -1);
	VALID(v_printable, "a\0", -1);
	VALID(v_printable, "\x7f", -1);
}

/* ---- route_find and cmd_find ---- */

/* The dialect route_find gives for path (and FastCGI parameter p). */
static const struct dialect *
route(const struct conf *c, const char *path, const char *p)
{
	struct req *r = arena_zalloc(A, sizeof(*r));
	char **envp = arena_zalloc(A, 2 * sizeof(*envp));

	envp[0] = p ? arena_strdup(A, p) : NULL;
	r->arena = A;
	r->conf = c;
	r->envp = envp;
	r->path = path;
	return route_find(r);
}

static const char *
dname(const struct dialect *d)
{
	return d ? d->name : "(null)";
}

static void
route_is(const struct conf *c, const char *path, const char *p,
    const struct dialect *want, const char *name)
{
	const struct dialect *d = route(c, path, p);

	if (!ok(d == want, "route_find '%s'%s%s: %s (%s)", path, p ? ", " : "",
		p ? p : "", dname(want), name))
		printf("#   got %s\n", dname(d));
}

static void
real_routes(void)
{
	struct conf c = PC;
	const struct dialect *E = &elastix_dialect, *F = &fusionpbx_dialect;
	const struct dialect *S = &status_dialect;

	route_is(&c, "/api/api.php", NULL, E, "elastix");
	route_is(&c, "/app/rest_api/rest.php", NULL, F, "fusionpbx");
	route_is(&c, "/status", NULL, S, "status_path");
	route_is(&c, "/ping", NULL, S, "ping_path");
	c.status_path = "/fpm-status";
	c.ping_path = "/health";
	route_is(&c, "/fpm-status", NULL, S, "status_path from conf");
	route_is(&c, "/health", NULL, S, "ping_path from conf");
	route_is(&c, "/status", NULL, NULL, "not once status_path moved");
	route_is(&c, "/ping", NULL, NULL, "not once ping_path moved");
	route_is(&c, "/api/api.php/x", NULL, NULL, "no real route is a prefix");
	route_is(&c, "/health/", NULL, NULL, "conf paths are no prefixes");
	route_is(&c, "/api/api.phpx", NULL, NULL, "a longer name");
	route_is(&c, "/api/api.ph", NULL, NULL, "a shorter name");
	route_is(&c, "/API/api.php", NULL, NULL, "case-sensitive");
	route_is(&c, "/", NULL, NULL, "unknown");
	route_is(&c, "", NULL, NULL, "empty path");
	c.status_path = "";
	route_is(&c, "", NULL, NULL, "an empty status_path serves nothing");
	route_is(&c, "/api/api.php", NULL, E, "with an empty status_path");
}

static void
forced_routes(void)
{
	struct conf c = PC;
	const struct dialect *E = &elastix_dialect, *F = &fusionpbx_dialect;
	const struct dialect *S = &status_dialect;

	route_is(&c, "/api/api.php", "PBXAPI_DIALECT=fusionpbx", F,
	    "PBXAPI_DIALECT forces a dialect");
	route_is(&c, "/nowhere", "PBXAPI_DIALECT=elastix", E,
	    "PBXAPI_DIALECT on any path");
	route_is(&c, "/nowhere", "PBXAPI_DIALECT=status", S, "forced status");
	route_is(&c, "/api/api.php", "PBXAPI_DIALECT=nope", NULL,
	    "an unknown forced dialect, no fallback to the path");
	route_is(&c, "/api/api.php", "PBXAPI_DIALECT=Elastix", NULL,
	    "forced names are case-sensitive");
	route_is(&c, "/api/api.php", "PBXAPI_DIALECTX=status", E,
	    "only the parameter of that name forces");
}

static const struct dialect d_pre = { .name = "pre" },
			    d_dir = { .name = "dir" },
			    d_exact = { .name = "exact" },
			    d_first = { .name = "first" },
			    d_second = { .name = "second" },
			    d_conf = { .name = "conf" };

static const struct route prefix_routes[] = {
	{ .path = "/ari/channels", .prefix = 1, .dialect = &d_pre },
	{ .path = "/dir/", .prefix = 1, .dialect = &d_dir },
	{ .path = "/exact", .dialect = &d_exact },
	{ .path = "/same", .dialect = &d_first },
	{ .path = "/same", .dialect = &d_second },
	{ .conf_off = offsetof(struct conf, ping_path),
	    .prefix = 1,
	    .dialect = &d_conf },
	{ .dialect = NULL },
};

static void
prefix_rules(void)
{
	route_table = &prefix_routes;
	route_is(&PC, "/ari/channels", NULL, &d_pre, "a prefix route itself");
	route_is(&PC, "/ari/channels/abc", NULL, &d_pre, "below it after '/'");
	route_is(&PC, "/ari/channelsx", NULL, NULL, "not a longer name");
	route_is(&PC, "/ari/chan", NULL, NULL, "not a shorter one");
	route_is(&PC, "/dir/", NULL, &d_dir, "a prefix ending in '/'");
	route_is(&PC, "/dir/file", NULL, &d_dir, "anything below it");
	route_is(&PC, "/dir", NULL, NULL, "not without its '/'");
	route_is(&PC, "/exact", NULL, &d_exact, "an exact route");
	route_is(&PC, "/exact/x", NULL, NULL, "nothing below an exact route");
	route_is(
	    &PC, "/same", NULL, &d_first, "the first match in table order");
	route_is(&PC, "/ping/x", NULL, &d_conf, "a conf path as a prefix");
	route_is(&PC, "/x", "PBXAPI_DIALECT=second", &d_second,
	    "forced: the dialect of any route");
	route_table = &routes;
}

static const struct cmd c_one[] = { { .name = "dup", .scope = 1 } };
static const struct cmd c_two[] = { { .name = "solo" },
	{ .name = "dup", .scope = 2 } };
static const struct family fam_one = { .name = "one", CMDS(c_one) };
static const struct family fam_two = { .name = "two", CMDS(c_two) };
static const struct family *const two_fams[] = { &fam_one, &fam_two, NULL };
static const struct dialect d_two = { .name = "two", .families = two_fams };

static void
cmd_is(const struct dialect *d, const char *name, int found)
{
	const struct cmd *c = cmd_find(d, name);

	ok(found ? c != NULL && strcmp(c->name, name) == 0 : c == NULL,
	    "cmd_find(%s, '%s'): %s", d->name, name, found ? "found" : "NULL");
}

static void
commands(void)
{
	const struct cmd *c;

	cmd_is(&elastix_dialect, "sippeers", 1);
	cmd_is(&elastix_dialect, "systemresources", 1);
	cmd_is(&elastix_dialect, "getqueues", 1);
	cmd_is(&fusionpbx_dialect, "domain-details", 1);
	cmd_is(&fusionpbx_dialect, "originate", 1);
	cmd_is(&status_dialect, "status", 1);
	cmd_is(&status_dialect, "ping", 1);
	cmd_is(&elastix_dialect, "domain-details", 0);
	cmd_is(&elastix_dialect, "status", 0);
	cmd_is(&fusionpbx_dialect, "sippeers", 0);
	cmd_is(&status_dialect, "sippeers", 0);
	cmd_is(&elastix_dialect, "nope", 0);
	cmd_is(&elastix_dialect, "", 0);
	cmd_is(&elastix_dialect, "sippeer", 0);
	cmd_is(&elastix_dialect, "sippeersx", 0);
	cmd_is(&elastix_dialect, "SIPPEERS", 0);
	cmd_is(&fusionpbx_dialect, "Domain-Details", 0);
	c = cmd_find(&elastix_dialect, "originatecall");
	ok(c != NULL && c->scope == SCOPE_WRITE && c->nparams == 5,
	    "cmd_find: the table row itself (originatecall, write, 5)");
	c = cmd_find(&d_two, "dup");
	ok(c == &c_one[0], "cmd_find: families searched in order");
	ok(cmd_find(&d_two, "solo") == &c_two[0], "cmd_find: a later family");
}

/* ---- params_validate ---- */

static int vcalls; /* calls of v_good */

/* Accepts values that begin with "good"; counts its calls. */
static int
v_good(const char *s, size_t n)
{
	vcalls++;
	return n >= 4 && memcmp(s, "good", 4) == 0 ? 0 : -1;
}

/* A request on PC with QUERY_STRING q (NULL: no $_GET). */
static struct req *
preq(const char *q)
{
	struct req *r = arena_zalloc(A, sizeof(*r));

	r->envp = arena_zalloc(A, 2 * sizeof(*r->envp));
	if (q != NULL)
		r->envp[0] = arena_printf(A, "QUERY_STRING=%s", q);
	r->arena = A;
	r->conf = &PC;
	if (req_init(r) != E_OK)
		printf("# req_init: %s\n", r->errmsg);
	r->lim.value_max = 1 << 20; /* the parser's limit is not tested */
	if (q != NULL && req_parse_query(r) != E_OK)
		printf("# req_parse_query: %s\n", r->errmsg);
	return r;
}

/* Sets r->post to the JSON text j as json_decode($j, true) makes it. */
static void
jbody(struct req *r, const char *j)
{
	char err[128];

	if (json_decode_pv(
		A, j, strlen(j), &r->lim, &r->post, err, sizeof(err)) != E_OK)
		printf("# bad JSON in the test: %s\n", err);
}

/* params_validate of c in d on query q and JSON body j (either NULL). */
static struct req *
validate(const struct dialect *d, const struct cmd *c, const char *q,
    const char *j, enum err *e)
{
	struct req *r = preq(q);

	if (j != NULL)
		jbody(r, j);
	r->dialect = d;
	r->cmd = c;
	vcalls = 0;
	*e = params_validate(r);
	return r;
}

static const struct dialect generic = { .name = "generic" };

/* A command of test parameters p, any method, no scope. */
#define CMD(p)                                          \
	{                                               \
		.name = #p, .methods = M_ANY, PARAMS(p) \
	}

static const struct param g_req[] = {
	{ .name = "x", .src = SRC_QUERY, .flags = P_REQUIRED },
	{ .name = "y", .src = SRC_QUERY, .flags = P_NONEMPTY },
	{ .name = "z", .src = SRC_QUERY },
};
static const struct param g_len[] = {
	{ .name = "short", .src = SRC_QUERY, .maxlen = 4 },
	{ .name = "conf", .src = SRC_QUERY },
};
static const struct param g_bytes[] = {
	{ .name = "c", .src = SRC_BODY, .flags = P_NOCTL },
	{ .name = "u", .src = SRC_BODY, .flags = P_UTF8 },
	{ .name = "raw", .src = SRC_BODY },
	{ .name = "v", .src = SRC_BODY, .valid = v_good },
};
static const struct param g_def[] = {
	{ .name = "d", .src = SRC_QUERY, .def = "dflt" },
	{ .name = "bad",
	    .src = SRC_QUERY,
	    .flags = P_NOCTL | P_UTF8,
	    .maxlen = 1,
	    .def = "no\n\xff",
	    .valid = v_good },
	{ .name = "none", .src = SRC_QUERY },
	{ .name = "n", .src = SRC_QUERY, .type = PT_INT, .def = "30000x" },
	{ .name = "i", .src = SRC_QUERY, .type = PT_INT },
};
static const struct param g_first[] = {
	{ .name = "ctl", .src = SRC_QUERY, .flags = P_NOCTL },
	{ .name = "must", .src = SRC_QUERY, .flags = P_REQUIRED },
	{ .name = "long", .src = SRC_QUERY, .maxlen = 2 },
};
static const struct param g_src[] = {
	{ .name = "k", .src = SRC_QUERY },
	{ .name = "k", .src = SRC_BODY },
	{ .name = "b", .src = SRC_BODY, .flags = P_REQUIRED },
};

static const struct cmd gc_req = CMD(g_req), gc_len = CMD(g_len),
			gc_bytes = CMD(g_bytes), gc_def = CMD(g_def),
			gc_first = CMD(g_first), gc_src = CMD(g_src);

/* The verdict of params_validate: e and the public message. */
static void
verdict(const struct req *r, enum err e, enum err want, const char *msg,
    const char *name)
{
	if (!ok(e == want && strcmp(r->errmsg, msg) == 0, "%s: %s", name,
		want == E_OK ? "E_OK" : msg))
		printf("#   got %s '%s', want %s\n", err_str(e), r->errmsg,
		    err_str(want));
}

#define GQ(c, q, want, msg, name)                                     \
	do {                                                          \
		enum err e_;                                          \
		struct req *r_ = validate(&generic, c, q, NULL, &e_); \
		verdict(r_, e_, want, msg, name);                     \
	} while (0)
#define GJ(c, j, want, msg, name)                                   \
	do {                                                        \
		enum err e_;                                        \
		struct req *r_ = validate(&generic, c, "", j, &e_); \
		verdict(r_, e_, want, msg, name);                   \
	} while (0)

static void
generic_rules(void)
{
	GQ(&gc_req, "x=1&y=2&z=3", E_OK, "", "all present");
	GQ(&gc_req, "y=2", E_BADREQ, "missing parameter 'x'",
	    "required absent");
	GQ(&gc_req, "x=", E_BADREQ, "empty parameter 'x'", "required \"\"");
	GQ(&gc_req, "x=0", E_OK, "", "\"0\" is present (no PHP rules)");
	GQ(&gc_req, "x=1&y=", E_BADREQ, "empty parameter 'y'",
	    "P_NONEMPTY \"\"");
	GQ(&gc_req, "x=1&z=", E_OK, "", "\"\" of an optional parameter");
	GQ(&gc_req, "x[]=", E_OK, "", "a list is its (string) \"Array\"");
	GQ(&gc_len, "short=1234&conf=0123456789abcdef", E_OK, "",
	    "maxlen and value_max bytes");
	GQ(&gc_len, "short=12345", E_BADREQ,
	    "parameter 'short' longer than 4 bytes", "one byte over maxlen");
	GQ(&gc_len, "conf=0123456789abcdefg", E_BADREQ,
	    "parameter 'conf' longer than 16 bytes", "maxlen 0: value_max");
	GJ(&gc_bytes, "{\"c\":\"a\\rb\"}", E_BADREQ,
	    "parameter 'c' contains CR, LF or NUL", "P_NOCTL: CR");
	GJ(&gc_bytes, "{\"c\":\"\\n\"}", E_BADREQ,
	    "parameter 'c' contains CR, LF or NUL", "P_NOCTL: LF");
	GJ(&gc_bytes, "{\"c\":\"ab\\u0000\"}", E_BADREQ,
	    "parameter 'c' contains CR, LF or NUL", "P_NOCTL: NUL");
	GJ(&gc_bytes, "{\"c\":\"a\\tb\\u007f\",\"raw\":\"\\r\\n\\u0000\"}",
	    E_OK, "", "P_NOCTL allows TAB and DEL; without it CR LF NUL pass");
	GJ(&gc_bytes, "{\"u\":\"caf\\u00e9\"}", E_OK, "", "P_UTF8: UTF-8");
	GJ(&gc_bytes, "{\"v\":\"good\"}", E_OK, "", "validator accepts");
	GJ(&gc_bytes, "{\"v\":\"bad\"}", E_BADREQ,
	    "invalid value for parameter 'v'", "validator refuses");
	GQ(&gc_first, "ctl=%0A", E_BADREQ,
	    "parameter 'ctl' contains CR, LF or NUL",
	    "first failing in table order: before a later missing one");
	GQ(&gc_first, "ctl=ok&long=xyz", E_BADREQ, "missing parameter 'must'",
	    "first failing: a missing one before a later long one");
	GQ(&gc_first, "long=xyz&must=1&ctl=%0D", E_BADREQ,
	    "parameter 'ctl' contains CR, LF or NUL",
	    "first in table order, not in query order");
	GQ(&gc_first, "must=1&long=xyz", E_BADREQ,
	    "parameter 'long' longer than 2 bytes", "the last one checked too");
}

/* params_validate of c in d on a $_POST of {name: the n bytes at s}. */
static struct req *
raw_body(const struct dialect *d, const struct cmd *c, const char *name,
    const char *s, size_t n, enum err *e)
{
	struct req *r = preq("");

	r->post = pv_new_arr(A);
	pv_set(A, r->post, name, strlen(name), pv_str(s, n));
	r->dialect = d;
	r->cmd = c;
	*e = params_validate(r);
	return r;
}

static void
generic_utf8_and_validator(void)
{
	struct req *r;
	enum err e;

	r = raw_body(&generic, &gc_bytes, "u", "\xff", 1, &e);
	verdict(r, e, E_BADREQ, "parameter 'u' is not valid UTF-8",
	    "P_UTF8: a lone 0xff");
	r = raw_body(&generic, &gc_bytes, "u", "\xc0\xaf", 2, &e);
	verdict(r, e, E_BADREQ, "parameter 'u' is not valid UTF-8",
	    "P_UTF8: an overlong '/'");
	r = raw_body(&generic, &gc_bytes, "raw", "\xff", 1, &e);
	verdict(r, e, E_OK, "", "without P_UTF8 0xff passes");
	r = validate(&generic, &gc_bytes, "", "{\"v\":\"\"}", &e);
	ok(e == E_OK && vcalls == 0 && r->args[3].present,
	    "an empty value is not given to the validator");
	r = validate(&generic, &gc_bytes, "", "{\"v\":\"goodbye\"}", &e);
	ok(e == E_OK && vcalls == 1, "the validator sees a value once");
}

static void
args_is(const struct arg *a, int present, const char *s, const char *name)
{
	ok(a->present == present &&
		(s == NULL ? a->s == NULL && a->len == 0
			   : a->s != NULL && a->len == strlen(s) &&
			    memcmp(a->s, s, a->len) == 0),
	    "%s: present %d, '%s' (got %d, '%s')", name, present,
	    s ? shown(s, strlen(s)) : "(null)", a->present,
	    a->s ? shown(a->s, a->len) : "(null)");
}

static void
int_is(const char *q, long long want, const char *name)
{
	enum err e;
	struct req *r = validate(&generic, &gc_def, q, NULL, &e);

	ok(e == E_OK && r->args[4].i == want, "PT_INT %s: %lld (got %lld)",
	    name, want, (long long)r->args[4].i);
}

static void
defaults_and_order(void)
{
	enum err e;
	struct req *r;

	r = validate(&generic, &gc_def, "", NULL, &e);
	is_int(e, E_OK, "defaults: E_OK, an unfit default is not validated");
	ok(vcalls == 0, "defaults: the validator is not called on them");
	args_is(&r->args[0], 0, "dflt", "default fills an absent argument");
	ok(r->args[0].v == NULL, "default: no raw value");
	args_is(&r->args[1], 0, "no\n\xff", "an unfit default as it is");
	args_is(&r->args[2], 0, NULL, "absent without default: NULL");
	ok(r->args[3].i == 30000, "PT_INT default: (int) of it (%lld)",
	    (long long)r->args[3].i);
	ok(r->args[4].i == 0 && r->args[4].s == NULL, "PT_INT absent: 0");
	r = validate(&generic, &gc_def, "i=5&none=n&d=given", NULL, &e);
	ok(e == E_OK, "values in another order than the table's: E_OK");
	args_is(&r->args[0], 1, "given", "args[0] is d");
	args_is(&r->args[2], 1, "n", "args[2] is none");
	args_is(&r->args[4], 1, "5", "args[4] is i");
	ok(r->args[0].v != NULL && r->args[0].v->type == PV_STR,
	    "a present argument keeps its raw value");
	r = validate(&generic, &gc_def, "d=", NULL, &e);
	args_is(&r->args[0], 1, "", "\"\" is present: no default");
	int_is("i=12abc", 12, "'12abc'");
	int_is("i=-7", -7, "'-7'");
	int_is("i=abc", 0, "'abc'");
	int_is("i=%201e3", 1000, "' 1e3'");
	int_is("i[]=0", 1, "a non-empty list (not (int)\"Array\")");
	int_is("i[x]=", 1, "a non-empty map");
}

static void
sources(void)
{
	enum err e;
	struct req *r;

	r = validate(
	    &generic, &gc_src, "k=query", "{\"k\":\"body\",\"b\":\"1\"}", &e);
	is_int(e, E_OK, "sources: E_OK");
	args_is(&r->args[0], 1, "query", "SRC_QUERY reads $_GET");
	args_is(&r->args[1], 1, "body", "SRC_BODY reads $_POST");
	r = validate(&generic, &gc_src, "b=1", "{}", &e);
	verdict(r, e, E_BADREQ, "missing parameter 'b'",
	    "a body parameter in the query is missing");
	r = validate(&generic, &gc_src, "", "{\"b\":\"1\"}", &e);
	ok(e == E_OK && !r->args[0].present,
	    "a query parameter is not taken from the body");
}

/* FusionPBX-style rules with a param_error hook of the test's. */
static struct {
	int calls;
	const struct param *p;
	enum perr why;
} hk;

static const char *const why_names[] = { "PE_MISSING", "PE_EMPTY", "PE_LONG",
	"PE_CTL", "PE_UTF8", "PE_INVALID" };

/* Its own words for missing and invalid; the generic text for the rest. */
static enum err
hook(struct req *r, const struct param *p, enum perr why)
{
	hk.calls++;
	hk.p = p;
	hk.why = why;
	if (why == PE_MISSING)
		return req_error(r, E_UNPROC, "hook: %s missing", p->name);
	if (why == PE_INVALID)
		return req_error(r, E_CONFLICT, "hook: %s invalid", p->name);
	return E_OK;
}

static const struct dialect fpxlike = {
	.name = "fpx-like",
	.flags = D_PHP_EMPTY | D_JSON_SCALARS,
	.param_error = hook,
};

static const struct param f_one[] = {
	{ .name = "x", .src = SRC_BODY, .flags = P_REQUIRED },
};
static const struct param f_all[] = {
	{ .name = "a", .src = SRC_BODY, .flags = P_REQUIRED },
	{ .name = "bad", .src = SRC_BODY, .valid = v_good },
	{ .name = "b", .src = SRC_BODY, .flags = P_REQUIRED },
	{ .name = "c", .src = SRC_BODY, .flags = P_REQUIRED },
};
static const struct param f_kinds[] = {
	{ .name = "s", .src = SRC_BODY, .maxlen = 3 },
	{ .name = "list",
	    .src = SRC_BODY,
	    .flags = P_LIST,
	    .maxlen = 1,
	    .valid = v_good },
	{ .name = "u", .src = SRC_BODY, .flags = P_UTF8 },
};
static const struct param f_opt[] = {
	{ .name = "o", .src = SRC_BODY, .flags = P_NONEMPTY, .valid = v_good },
};
static const struct param f_alias[] = {
	{ .name = "extension",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .alias = "extension_uuid" },
};

static const struct cmd fc_one = CMD(f_one), fc_all = CMD(f_all),
			fc_kinds = CMD(f_kinds), fc_opt = CMD(f_opt),
			fc_alias = CMD(f_alias);

/* params_validate in fpxlike; checks e, the message and the hook's call. */
static struct req *
fpx_is(const struct cmd *c, const char *j, enum err want, const char *msg,
    const struct param *p, enum perr why, const char *name)
{
	enum err e;
	struct req *r;

	memset(&hk, 0, sizeof(hk));
	r = validate(&fpxlike, c, NULL, j, &e);
	verdict(r, e, want, msg, name);
	if (p != NULL)
		ok(hk.calls == 1 && hk.p == p && hk.why == why,
		    "%s: the hook is called once, for '%s', %s (got %d, "
		    "'%s', %s)",
		    name, p->name, why_names[why], hk.calls,
		    hk.p ? hk.p->name : "-", why_names[hk.why]);
	else
		ok(hk.calls == 0, "%s: the hook is not called (%d)", name,
		    hk.calls);
	return r;
}

static void
php_empty(void)
{
	static const char *const empty[] = { "\"\"", "\"0\"", "0", "0.0",
		"false", "null", "[]", "{}" };
	static const char *const full[] = { "\"00\"", "\"0.0\"", "\" \"",
		"\"false\"", "1", "-0.5" };
	char j[64];
	size_t i;

	for (i = 0; i < nitems(empty); i++) {
		snprintf(j, sizeof(j), "{\"x\":%s}", empty[i]);
		fpx_is(&fc_one, j, E_UNPROC, "hook: x missing", &f_one[0],
		    PE_MISSING,
		    arena_printf(A, "PHP-empty %s is missing", empty[i]));
	}
	for (i = 0; i < nitems(full); i++) {
		snprintf(j, sizeof(j), "{\"x\":%s}", full[i]);
		fpx_is(&fc_one, j, E_OK, "", NULL, PE_MISSING,
		    arena_printf(A, "%s is not PHP-empty", full[i]));
	}
	fpx_is(&fc_all, "{\"bad\":\"nope\",\"c\":\"1\"}", E_UNPROC,
	    "hook: b missing", &f_all[2], PE_MISSING,
	    "the last required one missing, before an invalid one");
	ok(vcalls == 0, "required ones first: no validator ran");
	fpx_is(&fc_all, "{}", E_UNPROC, "hook: c missing", &f_all[3],
	    PE_MISSING, "all missing: the last");
	fpx_is(&fc_all, "{\"a\":\"1\",\"b\":\"0\",\"c\":\"1\"}", E_UNPROC,
	    "hook: b missing", &f_all[2], PE_MISSING, "one \"0\" among them");
	fpx_is(&fc_all, "{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"bad\":\"x\"}",
	    E_CONFLICT, "hook: bad invalid", &f_all[1], PE_INVALID,
	    "then the others: the hook's words for invalid");
}

static void
json_scalars(void)
{
	struct req *r;
	enum err e;

	fpx_is(&fc_kinds, "{\"s\":[1,2]}", E_CONFLICT, "hook: s invalid",
	    &f_kinds[0], PE_INVALID, "a list is invalid");
	fpx_is(&fc_kinds, "{\"s\":{\"k\":\"v\"}}", E_CONFLICT,
	    "hook: s invalid", &f_kinds[0], PE_INVALID, "a map is invalid");
	fpx_is(&fc_kinds, "{\"s\":true}", E_CONFLICT, "hook: s invalid",
	    &f_kinds[0], PE_INVALID, "true is no JSON scalar");
	r = fpx_is(&fc_kinds, "{\"s\":123,\"u\":1.5}", E_OK, "", NULL,
	    PE_MISSING, "numbers are scalars");
	args_is(&r->args[0], 1, "123", "an integer as its (string)");
	args_is(&r->args[2], 1, "1.5", "a float as its (string)");
	r = fpx_is(&fc_kinds, "{\"list\":[\"a\",\"b\"]}", E_OK, "", NULL,
	    PE_MISSING, "P_LIST: a list is accepted");
	ok(vcalls == 0 && r->args[1].v != NULL && r->args[1].v->type == PV_ARR,
	    "P_LIST: not checked further (maxlen, validator), raw kept");
	fpx_is(&fc_kinds, "{\"list\":\"xy\"}", E_BADREQ,
	    "parameter 'list' longer than 1 bytes", &f_kinds[1], PE_LONG,
	    "P_LIST: a string is still checked; PE_LONG, generic text");
	fpx_is(&fc_kinds, "{\"list\":true}", E_CONFLICT, "hook: list invalid",
	    &f_kinds[1], PE_INVALID, "P_LIST: true is still invalid");
	fpx_is(&fc_kinds, "{\"s\":\"a\\u0000\"}", E_BADREQ,
	    "parameter 's' contains CR, LF or NUL", &f_kinds[0], PE_CTL,
	    "a NUL is PE_CTL without P_NOCTL; generic text");
	fpx_is(&fc_kinds, "{\"s\":\"\\r\\n\"}", E_OK, "", NULL, PE_MISSING,
	    "CR and LF pass without P_NOCTL");
	memset(&hk, 0, sizeof(hk));
	r = raw_body(&fpxlike, &fc_kinds, "u", "\xff", 1, &e);
	verdict(r, e, E_BADREQ, "parameter 'u' is not valid UTF-8",
	    "P_UTF8: generic text");
	ok(hk.calls == 1 && hk.why == PE_UTF8, "the hook saw PE_UTF8");
}

static void
optional_empty(void)
{
	static const char *const empty[] = { "\"\"", "\"0\"", "0", "false",
		"null", "[]" };
	char j[64];
	size_t i;
	struct req *r;

	for (i = 0; i < nitems(empty); i++) {
		snprintf(j, sizeof(j), "{\"o\":%s}", empty[i]);
		r = fpx_is(&fc_opt, j, E_OK, "", NULL, PE_MISSING,
		    arena_printf(A, "optional %s is not validated", empty[i]));
		ok(vcalls == 0 && r->args[0].present,
		    "optional %s: present, no validator", empty[i]);
	}
	fpx_is(&fc_opt, "{\"o\":\"00\"}", E_CONFLICT, "hook: o invalid",
	    &f_opt[0], PE_INVALID, "optional \"00\" is validated");
}

static void
aliases(void)
{
	struct req *r;

	r = fpx_is(&fc_alias, "{\"extension\":\"\",\"extension_uuid\":\"u1\"}",
	    E_OK, "", NULL, PE_MISSING, "alias: \"\" gives way");
	args_is(&r->args[0], 1, "u1", "alias: its value is used");
	r = fpx_is(&fc_alias, "{\"extension\":0,\"extension_uuid\":\"u2\"}",
	    E_OK, "", NULL, PE_MISSING, "alias: 0 gives way");
	args_is(&r->args[0], 1, "u2", "alias: its value for 0");
	r = fpx_is(&fc_alias, "{\"extension_uuid\":\"u3\"}", E_OK, "", NULL,
	    PE_MISSING, "alias: absent gives way");
	args_is(&r->args[0], 1, "u3", "alias: its value for absent");
	r = fpx_is(&fc_alias, "{\"extension\":\"e\",\"extension_uuid\":\"u\"}",
	    E_OK, "", NULL, PE_MISSING, "alias: a value of its own wins");
	args_is(&r->args[0], 1, "e", "alias: not used then");
	fpx_is(&fc_alias, "{\"extension\":\"\",\"extension_uuid\":\"0\"}",
	    E_UNPROC, "hook: extension missing", &f_alias[0], PE_MISSING,
	    "alias: both PHP-empty is missing, under the name");
	fpx_is(&fc_alias, "{\"extension_uuid\":[1]}", E_CONFLICT,
	    "hook: extension invalid", &f_alias[0], PE_INVALID,
	    "alias: its value is checked like the name's");
}

/* params_validate with the real FusionPBX tables and words. */
static struct req *
real_fpx(const char *cmd, const char *j, enum err *e)
{
	struct req *r = preq(NULL);
	struct fpx_req *x = arena_zalloc(A, sizeof(*x));

	jbody(r, j);
	r->dctx = x;
	r->dialect = &fusionpbx_dialect;
	r->cmd = cmd_find(&fusionpbx_dialect, cmd);
	*e = r->cmd ? params_validate(r) : E_INTERNAL;
	return r;
}

static void
real_fpx_tables(void)
{
	const struct fpx_req *x;
	enum err e;
	struct req *r;

	r = real_fpx("extension-details", "{\"domain_uuid\":0}", &e);
	x = r->dctx;
	ok(e == E_BADREQ && strcmp(r->errmsg, "extension") == 0 &&
		x->shape == FPX_SHAPE_MISSING,
	    "fusionpbx: the last missing named, nested shape (%s)", r->errmsg);
	r = real_fpx("extension-details",
	    "{\"domain_uuid\":\"d\",\"extension_uuid\":\"u\"}", &e);
	ok(e == E_OK && r->args[1].present && strcmp(r->args[1].s, "u") == 0,
	    "fusionpbx: extension_uuid stands in for extension");
	r = real_fpx("extension-create",
	    "{\"domain_uuid\":\"d\",\"extension\":\"1 2\"}", &e);
	x = r->dctx;
	ok(e == E_BADREQ && strcmp(r->errmsg, "invalid extension") == 0 &&
		x->shape == FPX_SHAPE_PLAIN,
	    "fusionpbx: a refused value is 'invalid <name>' (%s)", r->errmsg);
	r = real_fpx("extension-create",
	    "{\"domain_uuid\":\"d\",\"extension\":\"1\",\"caller_id_number\":"
	    "\"a\\u0000\"}",
	    &e);
	ok(e == E_BADREQ && strcmp(r->errmsg, "invalid caller_id_number") == 0,
	    "fusionpbx: a NUL is 'invalid <name>' (%s)", r->errmsg);
	r = real_fpx("ringgroup-create",
	    "{\"domain_uuid\":\"d\",\"name\":\"n\",\"extension\":\"1\","
	    "\"destinations\":[{\"d\":\"1\"}],\"strategy\":\"random\"}",
	    &e);
	ok(e == E_OK, "fusionpbx: destinations is a list (P_LIST)");
}

/* ---- dispatch ---- */

struct feed {
	FCGX_Stream s;
	unsigned char *data;
	size_t len, off;
	int fills;
};

static void
feed_fill(FCGX_Stream *s)
{
	struct feed *f = s->data;
	size_t n = f->len - f->off;

	if (n == 0) {
		s->isClosed = 1;
		return;
	}
	s->rdNext = s->stopUnget = f->data + f->off;
	s->stop = s->rdNext + n;
	f->off += n;
	f->fills++;
}

static struct feed *
feed(const char *data)
{
	struct feed *f = arena_zalloc(A, sizeof(*f));

	f->len = strlen(data);
	f->data = (unsigned char *)arena_strdup(A, data);
	f->s.isReader = 1;
	f->s.fillBuffProc = feed_fill;
	f->s.data = f;
	f->s.rdNext = f->s.stop = f->s.stopUnget = f->data;
	return f;
}

static struct feed *last_feed;

/*
 * Runs a request through req_init, dispatch and reply_finish: FastCGI
 * parameters up to a NULL, the body b (NULL: none).  The reply is in out.
 */
static struct req *
serve(enum err *e, const char *b, const char *p, ...)
{
	struct req *r = arena_zalloc(A, sizeof(*r));
	char **envp = arena_zalloc(A, 16 * sizeof(*envp));
	struct reply rp;
	va_list ap;
	size_t n = 0;

	va_start(ap, p);
	for (; p != NULL && n < 15; p = va_arg(ap, const char *))
		envp[n++] = arena_strdup(A, p);
	va_end(ap);
	r->arena = A;
	r->conf = C;
	r->envp = envp;
	last_feed = b ? feed(b) : NULL;
	r->in = last_feed ? &last_feed->s : NULL;
	buf_clear(&out);
	reply_init(&rp, A, &body, NULL);
	*e = req_init(r);
	if (*e == E_OK)
		*e = dispatch(r, &rp);
	if (reply_finish(&rp) == -1)
		printf("# reply_finish failed\n");
	return r;
}

/* The bytes of a JSON reply: status line, CORS origin (NULL: none). */
static const char *
json(const char *status, const char *cors, const char *b)
{
	return arena_printf(A,
	    "Status: %s\r\nContent-Type: application/json\r\n%s%s%s"
	    "Content-Length: %zu\r\n\r\n%s",
	    status, cors ? "Access-Control-Allow-Origin: " : "",
	    cors ? cors : "", cors ? "\r\n" : "", strlen(b), b);
}

#define GET(path, q, ...)                                           \
	serve(&e, NULL, "REQUEST_METHOD=GET", "DOCUMENT_URI=" path, \
	    "QUERY_STRING=" q, __VA_ARGS__, (const char *)NULL)

#define ACME   "https://acme.example"
#define READER "HTTP_AUTHORIZATION=reader-secret"
#define WRITER "HTTP_AUTHORIZATION=writer-secret"
#define FORM   "CONTENT_TYPE=application/x-www-form-urlencoded"
#define S400   "400 Bad Request"
#define S401   "401 Unauthorized"
#define S403   "403 Forbidden"
#define S404   "404 Not Found"
#define S413   "413 Payload Too Large"

static void
reply_is(enum err e, enum err want, const char *bytes, const char *name)
{
	if (!ok(e == want, "%s: %s", name, err_str(want)))
		printf("#   got %s\n", err_str(e));
	is_mem(out.data, out.len, bytes, arena_printf(A, "%s: bytes", name));
}

/* An elastix error reply: {"error":msg,"code":N}, origin cors. */
static const char *
elx(const char *status, const char *cors, const char *msg)
{
	return json(status, cors,
	    arena_printf(A, "{\"error\":\"%s\",\"code\":%.3s}", msg, status));
}

static void
elastix_refusals(void)
{
	enum err e;

	GET("/nowhere", "cmd=auth", READER);
	reply_is(e, E_NOTFOUND,
	    "Status: 404 Not Found\r\nContent-Type: application/json\r\n"
	    "Content-Length: 21\r\n\r\n{\"error\":\"Not Found\"}",
	    "unknown path");
	GET("/api/api.php", "cmd=auth", "X=1");
	reply_is(
	    e, E_UNAUTH, elx(S401, "*", "Unauthorized"), "no Authorization");
	GET("/api/api.php", "cmd=auth", "HTTP_AUTHORIZATION=wrong");
	reply_is(
	    e, E_UNAUTH, elx(S401, "*", "Unauthorized"), "wrong Authorization");
	GET("/api/api.php", "cmd=auth", "HTTP_AUTHORIZATION=reader-secre");
	reply_is(
	    e, E_UNAUTH, elx(S401, "*", "Unauthorized"), "a prefix of a token");
	GET("/api/api.php", "", "X=1");
	reply_is(e, E_UNAUTH, elx(S401, "*", "Unauthorized"),
	    "no Authorization, no cmd: 401 first");
	GET("/api/api.php", "", READER);
	reply_is(e, E_BADREQ, elx(S400, ACME, "cmd parameter is required"),
	    "missing cmd");
	GET("/api/api.php", "cmd=", READER);
	reply_is(e, E_BADREQ, elx(S400, ACME, "cmd parameter is required"),
	    "empty cmd");
	GET("/api/api.php", "cmd=x", READER);
	reply_is(e, E_NOTFOUND, elx(S404, ACME, "Unknown command: x"),
	    "unknown cmd");
	GET("/api/api.php", "cmd=auth%00x", READER);
	reply_is(e, E_NOTFOUND,
	    elx(S404, ACME, "Unknown command: auth\\u0000x"),
	    "a NUL inside cmd never matches");
	serve(&e, NULL, "REQUEST_METHOD=GET", "REQUEST_URI=/api/api.php?cmd=y",
	    "QUERY_STRING=cmd=y", READER, (const char *)NULL);
	reply_is(e, E_NOTFOUND, elx(S404, ACME, "Unknown command: y"),
	    "the path from REQUEST_URI");
	serve(&e, NULL, "SCRIPT_NAME=/api/api.php", "QUERY_STRING=cmd=z",
	    READER, (const char *)NULL);
	reply_is(e, E_NOTFOUND, elx(S404, ACME, "Unknown command: z"),
	    "the path from SCRIPT_NAME");
}

static void
elastix_commands(void)
{
	struct req *r;
	enum err e;

	r = GET("/api/api.php", "cmd=auth", READER);
	reply_is(e, E_OK,
	    json("200 OK", ACME, "{\"lordword\":\"YWRtaW46cHc=\"}"),
	    "auth runs (no backend)");
	is_str(r->cmdname, "auth", "dispatch sets the command's name");
	ok(r->cmd == cmd_find(&elastix_dialect, "auth") &&
		r->dialect == &elastix_dialect && r->tenant != NULL &&
		strcmp(r->tenant->name, "acme") == 0 && r->scopes == SCOPE_READ,
	    "dispatch sets dialect, command, tenant and scopes");
	GET("/api/api.php", "cmd=getwavfile&name=x", READER);
	reply_is(e, E_FORBIDDEN,
	    elx(S403, ACME, "token lacks the scope for 'getwavfile'"),
	    "a token without the command's scope");
	r = serve(&e, "channel=a%0Db", "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/api/api.php", "QUERY_STRING=cmd=originatecall", FORM,
	    "CONTENT_LENGTH=13", READER, (const char *)NULL);
	reply_is(e, E_FORBIDDEN,
	    elx(S403, ACME, "token lacks the scope for 'originatecall'"),
	    "scope before parameters: a bad parameter, no scope: 403");
	ok(!r->body_read && last_feed->fills == 0, "403: the body is not read");
	serve(&e, "channel=a%0Db", "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/api/api.php", "QUERY_STRING=cmd=originatecall", FORM,
	    "CONTENT_LENGTH=13", WRITER, (const char *)NULL);
	reply_is(e, E_BADREQ,
	    elx(S400, ACME, "parameter 'channel' contains CR, LF or NUL"),
	    "the same with the scope: the parameter's 400");
}

static void
elastix_limits(void)
{
	enum err e;

	serve(&e, "", "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/api.php",
	    "QUERY_STRING=cmd=auth", "CONTENT_LENGTH=101", READER,
	    (const char *)NULL);
	reply_is(e, E_TOOLARGE,
	    elx(S413, "*", "request body larger than 100 bytes"),
	    "Content-Length over body_max");
	serve(&e, "", "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/api.php",
	    "QUERY_STRING=cmd=auth", "CONTENT_LENGTH=101", (const char *)NULL);
	reply_is(e, E_TOOLARGE,
	    elx(S413, "*", "request body larger than 100 bytes"),
	    "413 before authentication");
	serve(&e, "", "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/api.php",
	    "QUERY_STRING=cmd=auth", "CONTENT_LENGTH=100", (const char *)NULL);
	reply_is(e, E_UNAUTH, elx(S401, "*", "Unauthorized"),
	    "Content-Length of body_max passes on (to 401)");
}

#define NOCACHE                                      \
	"Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n" \
	"Cache-Control: no-cache, no-store, must-revalidate, max-age=0\r\n"

static void
status_dispatch(void)
{
	enum err e;

	GET("/ping", "", "REMOTE_ADDR=127.0.0.1");
	reply_is(e, E_OK,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\n" NOCACHE
	    "Content-Length: 4\r\n\r\npong",
	    "ping from an allowed address");
	serve(&e, NULL, "REQUEST_METHOD=POST", "DOCUMENT_URI=/ping",
	    "REMOTE_ADDR=127.0.0.1", (const char *)NULL);
	reply_is(e, E_METHOD,
	    json("405 Method Not Allowed", NULL,
		"{\"error\":\"method POST not allowed for 'ping'\"}"),
	    "ping by POST: the method is checked");
	GET("/ping", "", "REMOTE_ADDR=10.0.0.1");
	reply_is(e, E_FORBIDDEN,
	    json("403 Forbidden", NULL, "{\"error\":\"Forbidden\"}"),
	    "ping from another address");
	GET("/status", "json", "REMOTE_ADDR=127.0.0.1");
	reply_is(e, E_NOTSUP,
	    json("501 Not Implemented", NULL, "{\"error\":\"no scoreboard\"}"),
	    "status: the handler's error in the dialect's shape");
}

/* FusionPBX behind an authentication of the test's. */
static struct dialect fpx_fake;
static unsigned fake_scopes;
static int fake_saw_post;

static const struct route fake_routes[] = {
	{ .path = "/fpx", .dialect = &fpx_fake },
	{ .dialect = NULL },
};

/* What fpx_key_check leaves on success: scopes and r->dctx. */
static enum err
fake_auth(struct req *r)
{
	fake_saw_post = r->post != NULL || r->body_read;
	r->scopes = fake_scopes;
	r->dctx = arena_zalloc(r->arena, sizeof(struct fpx_req));
	return E_OK;
}

static void
fpx_post(enum err *e, const char *path, const char *j, const char *auth)
{
	const char *clen = arena_printf(A, "CONTENT_LENGTH=%zu", strlen(j));

	serve(e, j, "REQUEST_METHOD=POST",
	    arena_printf(A, "DOCUMENT_URI=%s", path),
	    "CONTENT_TYPE=application/json", clen, auth, (const char *)NULL);
}

#define MISSING(w)                                                 \
	"{\"error\":{\"error\":\"missing required parameter(s)\"," \
	"\"missing_parameters\":\"" w "\"}}"

static void
fusionpbx_real(void)
{
	enum err e;

	fpx_post(
	    &e, "/app/rest_api/rest.php", "{\"action\":\"cdr-list\"}", "X=1");
	reply_is(e, E_UNAUTH,
	    json("401 Unauthorized", NULL, "{\"error\":\"unauthorized\"}"),
	    "fusionpbx: no Authorization");
	fpx_post(&e, "/app/rest_api/rest.php", "{}",
	    "HTTP_AUTHORIZATION=Basic bm90LWEtdXVpZDpwdw==");
	reply_is(e, E_UNAUTH,
	    json("401 Unauthorized", NULL, "{\"error\":\"unauthorized\"}"),
	    "fusionpbx: a key id that is no uuid");
	serve(&e, "", "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/app/rest_api/rest.php", "CONTENT_LENGTH=101",
	    (const char *)NULL);
	reply_is(e, E_TOOLARGE,
	    json("413 Payload Too Large", NULL,
		"{\"error\":\"request body larger than 100 bytes\"}"),
	    "fusionpbx: 413 before authentication");
	ok(1,
	    "fusionpbx with a valid key # SKIP fpx_auth checks keys in "
	    "the tenant's PostgreSQL (fpx_key_check); no database here");
}

static void
fusionpbx_order(void)
{
	enum err e;

	fpx_fake = fusionpbx_dialect;
	fpx_fake.auth = fake_auth;
	route_table = &fake_routes;
	fake_scopes = SCOPE_READ;
	fpx_post(&e, "/fpx", "{\"action\":\"extension-create\"}", "X=1");
	reply_is(e, E_BADREQ,
	    json("400 Bad Request", NULL, MISSING("extension")),
	    "fpx, read scope, write action without parameters: params first");
	ok(!fake_saw_post, "fpx: the body is decoded after authentication");
	fpx_post(&e, "/fpx",
	    "{\"action\":\"extension-create\",\"domain_uuid\":\"d\","
	    "\"extension\":\"1 2\"}",
	    "X=1");
	reply_is(e, E_BADREQ,
	    json("400 Bad Request", NULL, "{\"error\":\"invalid extension\"}"),
	    "fpx, read scope, an invalid parameter: 400 before 403");
	fpx_post(&e, "/fpx",
	    "{\"action\":\"EXTENSION-CREATE\",\"domain_uuid\":\"d\","
	    "\"extension\":\"100\"}",
	    "X=1");
	reply_is(e, E_FORBIDDEN,
	    json("403 Forbidden", NULL, "{\"error\":\"forbidden\"}"),
	    "fpx, read scope, valid parameters: then the scope");
	fpx_post(&e, "/fpx", "{\"action\":\"nope\"}", "X=1");
	reply_is(e, E_BADREQ,
	    json("400 Bad Request", NULL, "{\"error\":\"unknown action\"}"),
	    "fpx: the action from the body (D_BODY_FIRST)");
	fpx_post(&e, "/fpx", "{\"app\":\"x\"}", "X=1");
	reply_is(e, E_BADREQ, json("400 Bad Request", NULL, MISSING("action")),
	    "fpx: no action");
	route_table = &routes;
}

/*
 * The order of the checks after authentication, on a dialect of the
 * test's: scope, method, parameters; with D_PARAMS_FIRST parameters first.
 */
static enum err
order_route(struct req *r, const char **name, size_t *n)
{
	*name = "w";
	*n = 1;
	return req_parse_query(r);
}

static enum err
order_unknown(struct req *r, const char *name, size_t n)
{
	return req_error_bytes(r, E_NOTFOUND, "no ", name, n);
}

static void
order_error(struct req *r, struct reply *rp, enum err e)
{
	reply_status(rp, err_status(e));
	reply_text(rp, "text/plain", r->errmsg, r->errlen);
}

static enum err
order_run(struct req *r, struct reply *rp)
{
	reply_text(rp, "text/plain", r->args[0].s, r->args[0].len);
	return E_OK;
}

static const struct param order_params[] = {
	{ .name = "x", .src = SRC_QUERY, .flags = P_REQUIRED },
};
static const struct cmd order_cmds[] = {
	{ .name = "w",
	    .methods = M_GET,
	    .scope = SCOPE_WRITE,
	    PARAMS(order_params),
	    .run = order_run },
};
static const struct family order_family = { .name = "o", CMDS(order_cmds) };
static const struct family *const order_families[] = { &order_family, NULL };
static struct dialect order_dialect = {
	.name = "order",
	.families = order_families,
	.auth = fake_auth,
	.route = order_route,
	.error = order_error,
	.unknown = order_unknown,
};
static const struct route order_routes[] = {
	{ .path = "/o", .dialect = &order_dialect },
	{ .dialect = NULL },
};

/* A request to the order dialect with the given scopes. */
static void
order_is(unsigned scopes, const char *method, const char *q, enum err want,
    const char *msg, const char *name)
{
	struct req *r;
	enum err e;

	fake_scopes = scopes;
	r = serve(&e, NULL, arena_printf(A, "REQUEST_METHOD=%s", method),
	    "DOCUMENT_URI=/o", arena_printf(A, "QUERY_STRING=%s", q),
	    (const char *)NULL);
	verdict(r, e, want, msg, name);
}

#define SR SCOPE_READ
#define SW SCOPE_WRITE

static void
check_order(void)
{
	route_table = &order_routes;
	order_dialect.flags = 0;
	order_is(SR, "POST", "", E_FORBIDDEN, "token lacks the scope for 'w'",
	    "scope first");
	order_is(SW, "POST", "", E_METHOD, "method POST not allowed for 'w'",
	    "then the method");
	order_is(SW, "GET", "", E_BADREQ, "missing parameter 'x'",
	    "then the parameters");
	order_is(SW, "GET", "x=ran", E_OK, "", "then the handler");
	is_mem(out.data, out.len,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 3\r\n\r\nran",
	    "the handler's reply, its validated argument");
	order_dialect.flags = D_PARAMS_FIRST;
	order_is(SR, "POST", "", E_BADREQ, "missing parameter 'x'",
	    "D_PARAMS_FIRST: parameters first");
	order_is(SR, "POST", "x=1", E_FORBIDDEN,
	    "token lacks the scope for 'w'", "D_PARAMS_FIRST: then the scope");
	order_is(SW, "POST", "x=1", E_METHOD, "method POST not allowed for 'w'",
	    "D_PARAMS_FIRST: the method");
	route_table = &routes;
}

/* dispatch_list: every command of every dialect, from the tables. */
static void
listing(void)
{
	FILE *fp = tmpfile(), *full;
	char text[64 * 1024];
	size_t n = 0;

	ok(fp != NULL && dispatch_list(fp) == 0, "dispatch_list: 0");
	if (fp != NULL) {
		rewind(fp);
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
	}
	text[n] = '\0';
	ok(strstr(text, "\nelastix auth ANY read\n") != NULL,
	    "dispatch_list: a command without parameters");
	ok(strstr(text, "\nstatus ping GET,HEAD admin\n") != NULL,
	    "dispatch_list: methods and scope by name");
	ok(strstr(text,
	       "\nfusionpbx extension-details ANY read "
	       "domain_uuid:body:str:required "
	       "extension:body:str:required\n") != NULL,
	    "dispatch_list: parameters");
	full = fopen("/dev/full", "w");
	if (full == NULL) {
		ok(1, "dispatch_list: -1 # SKIP no /dev/full to fail on");
		return;
	}
	ok(dispatch_list(full) == -1, "dispatch_list: -1 if writing failed");
	fclose(full);
}

static struct conf *
load_conf(void)
{
	static const char text[] = "body_max = 100\n"
				   "[tenant acme]\n"
				   "CORS_ALLOWED_ORIGINS = " ACME "\n"
				   "AMI_USERNAME = admin\n"
				   "AMI_SECRET = pw\n"
				   "token = reader-secret read\n"
				   "token = writer-secret read,write\n";
	char path[128], err[512] = "";
	struct conf *c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/pbxapi.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fputs(text, fp);
	fclose(fp);
	c = conf_load(path, NULL, 0, err, sizeof(err));
	ok(c != NULL, "the configuration loads (%s)", err);
	unlink(path);
	return c;
}

int
main(void)
{
	A = arena_new();
	reply_write = sink;
	buf_init(&out, 1 << 20);
	buf_init(&body, LIM_REPLY_MAX);
	validators();
	real_routes();
	forced_routes();
	prefix_rules();
	commands();
	generic_rules();
	generic_utf8_and_validator();
	defaults_and_order();
	sources();
	php_empty();
	json_scalars();
	optional_empty();
	aliases();
	real_fpx_tables();
	listing();
	snprintf(dir, sizeof(dir), "/tmp/t_dispatch.XXXXXX");
	if (mkdtemp(dir) != NULL && (C = load_conf()) != NULL) {
		elastix_refusals();
		elastix_commands();
		elastix_limits();
		status_dispatch();
		check_order();
		fusionpbx_real();
		fusionpbx_order();
	} else
		ok(0, "a temporary directory and a configuration");
	conf_free(C);
	rmdir(dir);
	buf_free(&out);
	buf_free(&body);
	arena_free(A);
	return done_testing();
}
