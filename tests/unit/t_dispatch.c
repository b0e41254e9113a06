/*
 * Dispatch (fcgi/dispatch.c): route_match on the real routes of
 * handlers/registry.c and, for the prefix rule no real route uses, on a
 * table of the test's own; cmd_find on the real dialects; dispatch() end
 * to end with the exact reply bytes, on the real elastix and status
 * dialects, on a dialect of the test's (dispatch_on its own routes) for
 * the order of scope, method and parameters, and on the real FusionPBX
 * hooks behind an authentication of the test's (the real one needs
 * PostgreSQL).  The parameter rules are in t_params.c.
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
#include "testlib.h"

extern const struct dialect status_dialect;

/* The routes the checks use: the registry's (NULL) or the test's own. */
static const struct route *table;

static struct arena *A;
static struct conf *C;	/* loaded from a file: a tenant and its tokens */
static struct buf out;	/* what reached the client */
static struct buf body; /* the worker's reply buffer */
static char dir[64];

/* The paths of the status dialect, for route_match. */
static struct conf PC = { .status_path = "/status",
	.ping_path = "/ping",
	.health_path = "/healthz",
	.ready_path = "/readyz",
	.metrics_path = "/metrics" };

static int
sink(void *o, const char *p, size_t n)
{
	(void)o;
	return buf_add(&out, p, n);
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
	return route_match(table != NULL ? table : routes, r);
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
	route_is(&c, "/healthz", NULL, S, "health_path");
	route_is(&c, "/readyz", NULL, S, "ready_path");
	route_is(&c, "/metrics", NULL, S, "metrics_path");
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
	route_is(&c, "/api/api.php", "PBXAPI_DIALECT=", E,
	    "an empty PBXAPI_DIALECT is unset: the path decides");
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
	table = prefix_routes;
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
	table = NULL;
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

/* ---- dispatch ---- */

static struct tl_feed *last_feed;

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
	last_feed = NULL;
	if (b != NULL) {
		last_feed = arena_zalloc(A, sizeof(*last_feed));
		tl_feed(last_feed, A, b, strlen(b), 0);
	}
	r->in = last_feed ? &last_feed->s : NULL;
	buf_clear(&out);
	reply_init(&rp, A, &body, NULL);
	*e = req_init(r);
	if (*e == E_OK)
		*e = dispatch_on(table != NULL ? table : routes, r, &rp);
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
	skip("fpx_auth checks keys in the tenant's PostgreSQL "
	     "(fpx_key_check); no database here",
	    "fusionpbx with a valid key");
}

static void
fusionpbx_order(void)
{
	enum err e;

	fpx_fake = fusionpbx_dialect;
	fpx_fake.auth = fake_auth;
	table = fake_routes;
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
	table = NULL;
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
	is_int(e, want, name);
	is_str(r->errmsg, msg, name);
}

#define SR SCOPE_READ
#define SW SCOPE_WRITE

static void
check_order(void)
{
	table = order_routes;
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
	table = NULL;
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
	       "extension:body:str:required,alias=extension_uuid\n") != NULL,
	    "dispatch_list: parameters");
	full = fopen("/dev/full", "w");
	if (full == NULL) {
		skip("no /dev/full to fail on", "dispatch_list: -1");
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
	real_routes();
	forced_routes();
	prefix_rules();
	commands();
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
