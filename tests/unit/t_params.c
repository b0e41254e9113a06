/*
 * Parameters (fcgi/dispatch.c): the common validators, and
 * params_validate with the generic rules and with FusionPBX's
 * (D_PHP_EMPTY, D_JSON_SCALARS, a param_error hook, P_LIST, aliases) on
 * test tables and on the real ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "fusionpbx.h"
#include "phpin.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "tap.h"

extern const struct dialect status_dialect;

static struct arena *A;

/* Limits for params_validate: value_max is small. */
static struct conf PC = {
	.body_max = 1000,
	.params_max = 50,
	.nest_max = 8,
	.value_max = 16,
};

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

/* A validator's verdict on a literal (its length from the literal). */
struct vcase {
	int (*fn)(const char *, size_t);
	const char *name, *s;
	size_t n;
	int want;
};

#define V(fn, lit, want)                            \
	{                                           \
		fn, #fn, lit, sizeof(lit) - 1, want \
	}

static const struct vcase vcases[] = {
	V(v_digits, "", -1),
	V(v_digits, "0", 0),
	V(v_digits, "0123456789", 0),
	V(v_digits, "/", -1),
	V(v_digits, ":", -1),
	V(v_digits, "12a", -1),
	V(v_digits, "-1", -1),
	V(v_digits, " 1", -1),
	V(v_digits, "1\0", -1),
	V(v_digits, "\xb1", -1),
	V(v_token, "", -1),
	V(v_token, "azAZ09_.-", 0),
	V(v_token, "@", -1),
	V(v_token, "[", -1),
	V(v_token, "`", -1),
	V(v_token, "{", -1),
	V(v_token, "/", -1),
	V(v_token, ":", -1),
	V(v_token, "a b", -1),
	V(v_token, "a+b", -1),
	V(v_token, "a\0", -1),
	V(v_token, "\xc3\xa9", -1),
	V(v_printable, "", 0),
	V(v_printable, " ~", 0),
	V(v_printable, "caf\xc3\xa9 \x80\xff", 0),
	V(v_printable, "\x1f", -1),
	V(v_printable, "a\tb", -1),
	V(v_printable, "a\r", -1),
	V(v_printable, "\n", -1),
	V(v_printable, "a\0", -1),
	V(v_printable, "\x7f", -1),
};

static void
validators(void)
{
	const struct vcase *c;

	for (c = vcases; c < vcases + nitems(vcases); c++)
		ok(c->fn(c->s, c->n) == c->want, "%s('%s'): %s", c->name,
		    shown(c->s, c->n), c->want == 0 ? "accepted" : "refused");
	ok(v_digits("12x", 2) == 0, "v_digits reads n bytes only");
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

int
main(void)
{
	A = arena_new();
	validators();
	generic_rules();
	generic_utf8_and_validator();
	defaults_and_order();
	sources();
	php_empty();
	json_scalars();
	optional_empty();
	aliases();
	real_fpx_tables();
	arena_free(A);
	return done_testing();
}
