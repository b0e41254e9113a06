/*
 * The tenant's Asterisk: AMI, ARI and MySQL through the pool (see
 * asterisk.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "asterisk.h"
#include "conf.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "netio.h"
#include "pbx.h"
#include "pbxconf.h"
#include "pool.h"
#include "pv.h"
#include "req.h"

#define DB_SOCKET_DEFAULT "/run/mysqld/mysqld.sock"

/* ---- AMI ---- */

static enum err
ami_connect(void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct req *r = ctx;
	struct ami_conf cf = { .events = NULL }; /* Events: off */
	struct ami *c;
	enum err e;

	pbx_ami_credentials(r->arena, r->tenant, &cf.user, &cf.secret);
	cf.host = tenant_get(r->tenant, "AMI_HOST");
	cf.port =
	    arena_printf(r->arena, "%ld", tenant_getint(r->tenant, "AMI_PORT"));
	if ((e = ami_open(&cf, deadline, &c, why, whylen)) == E_OK)
		*conn = c;
	return e;
}

static const struct backend be_ami = {
	.name = "ami",
	.open = ami_connect,
	.usable = ami_usable,
	.close = ami_close,
};

enum err
ast_ami(struct req *r, const struct ami_action *act, struct ami_reply *out)
{
	char why[LIM_ERRMSG];
	int reused, tries;
	void *c;
	enum err e;

	if ((e = ami_check(act->kv, act->nkv, why, sizeof(why))) != E_OK)
		return req_error(r, e, "%s", why);
	for (tries = 0;; tries++) {
		req_op(r, "ami connect");
		e = pool_get(r->pool, r->tenant, &be_ami, r,
		    net_deadline(r->conf->backend_ms), &c, &reused, why,
		    sizeof(why));
		if (e != E_OK)
			return req_error(r, e, "%s", why);
		req_op(r, arena_printf(r->arena, "ami %s", act->action));
		e = ami_action(c, r->arena, act,
		    net_deadline(r->conf->backend_ms), out, why, sizeof(why));
		if (e == E_OK && !out->timed_out)
			return E_OK;
		pool_drop(r->pool, r->tenant, &be_ami);
		if (e == E_OK)
			return E_OK;
		/* Only a kept connection that said nothing is tried again. */
		if (!reused || out->got > 0 || tries > 0 || e != E_BACKEND)
			return req_error(r, e, "%s", why);
		log_info("ami: kept connection lost (%s), reconnecting", why);
	}
}

/* ---- ARI ---- */

static enum err
ari_connect(void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct req *r = ctx;
	struct ari *c;

	(void)r;
	(void)deadline;
	if ((c = ari_new()) == NULL) {
		snprintf(why, whylen,
		    "ARI request failed (cURL error: out of memory)");
		return E_BACKEND;
	}
	*conn = c;
	return E_OK;
}

static const struct backend be_ari = {
	.name = "ari",
	.open = ari_connect,
	.close = ari_close,
};

/*
 * The tenant's kept ARI handle and where it points.  Returns E_OK.  With
 * gate, a tenant without ARI_ENABLED is refused (the elastix-api's rule;
 * the ARI dialect has chosen its backend already).
 */
static enum err
ari_begin(
    struct req *r, void **c, struct ari_conf *cf, struct ari_err *e, int gate)
{
	const struct tenant *t = r->tenant;
	const char *port;
	enum err rc;

	e->len = 0;
	if (gate && !tenant_getbool(t, "ARI_ENABLED")) {
		e->len = (size_t)snprintf(e->msg, sizeof(e->msg),
		    "ARI is disabled. Set ARI_ENABLED=true in your .env");
		return E_BACKEND;
	}
	rc = pool_get(
	    r->pool, t, &be_ari, r->arena, 0, c, NULL, e->msg, sizeof(e->msg));
	if (rc != E_OK) {
		e->len = strlen(e->msg);
		return rc;
	}
	port = tenant_get(t, "ARI_PORT");
	cf->base = arena_printf(r->arena, "%s://%s:%lld/ari",
	    tenant_get(t, "ARI_SCHEME"), tenant_get(t, "ARI_HOST"),
	    (long long)php_intval(port, strlen(port)));
	cf->user = tenant_get(t, "ARI_USERNAME");
	cf->secret = tenant_get(t, "ARI_SECRET");
	cf->timeout_ms = r->conf->backend_ms;
	return E_OK;
}

enum err
ast_ari(struct req *r, const struct ari_call *call, struct ari_reply *out,
    struct ari_err *e)
{
	struct ari_conf cf;
	void *c;
	enum err rc;

	if ((rc = ari_begin(r, &c, &cf, e, 1)) != E_OK)
		return rc;
	req_op(r, "ari");
	rc = ari_request(c, r->arena, &cf, call, out, e);
	req_op(r, NULL);
	if (rc != E_OK && out->status == 0)
		pool_drop(r->pool, r->tenant, &be_ari);
	return rc;
}

enum err
ast_ari_forward(struct req *r, const struct ari_call *call, struct ari_raw *out,
    struct ari_err *e)
{
	struct ari_conf cf;
	void *c;
	enum err rc;

	if ((rc = ari_begin(r, &c, &cf, e, 0)) != E_OK)
		return rc;
	req_op(r, "ari");
	rc = ari_forward(c, r->arena, &cf, call, out, e);
	req_op(r, NULL);
	if (rc != E_OK)
		pool_drop(r->pool, r->tenant, &be_ari);
	return rc;
}

/* ---- MySQL ---- */

/*
 * DB_HOST "localhost" is the unix socket DB_SOCKET, as in PDO's DSN;
 * anything else is TCP to DB_PORT.
 */
static enum err
sql_connect(struct req *r, uint64_t deadline, const char *dbname, void **conn,
    char *why, size_t whylen)
{
	const struct tenant *t = r->tenant;
	struct db_settings s;
	struct sql_conf cf;
	struct sql *c;
	enum err e;

	pbx_db_settings(r->arena, t, &s);
	cf.host = s.host;
	cf.port = s.port;
	cf.socket = tenant_get(t, "DB_SOCKET");
	if (*cf.socket == '\0')
		cf.socket = DB_SOCKET_DEFAULT;
	cf.user = s.user;
	cf.password = s.password;
	cf.charset = s.charset;
	cf.dbname = dbname;
	cf.timeout_ms = net_left(deadline);
	if ((e = sql_open(&cf, &c, why, whylen)) == E_OK)
		*conn = c;
	return e;
}

static enum err
cdrdb_connect(
    void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct req *r = ctx;
	return sql_connect(r, deadline, "asteriskcdrdb", conn, why, whylen);
}

static enum err
db_connect(void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct req *r = ctx;
	return sql_connect(r, deadline, "asterisk", conn, why, whylen);
}

static int
sql_usable(void *c)
{
	return !sql_broken(c);
}

static const struct backend be_db[] = {
	[AST_CDRDB] = { .name = "mysql asteriskcdrdb",
	    .open = cdrdb_connect,
	    .usable = sql_usable,
	    .close = sql_close },
	[AST_DB] = { .name = "mysql asterisk",
	    .open = db_connect,
	    .usable = sql_usable,
	    .close = sql_close },
};

/* Returns the pooled connection to db, set up for the request. */
static enum err
sql_get(struct req *r, const struct backend *b, void **c, int *reused)
{
	char why[LIM_ERRMSG];
	enum err e;

	req_op(r, "mysql connect");
	e = pool_get(r->pool, r->tenant, b, r,
	    net_deadline(r->conf->backend_ms), c, reused, why, sizeof(why));
	if (e != E_OK)
		return req_error(r, e, "%s", why);
	return E_OK;
}

enum err
ast_sql_open(struct req *r, enum ast_db db)
{
	void *c;

	return sql_get(r, &be_db[db], &c, NULL);
}

/* One statement: either exec (fn NULL) or a query into fn. */
struct sqlop {
	const struct sql_stmt *st;
	uint64_t *affected;
	sql_row_fn fn;
	void *ctx;
};

static enum err
sql_once(struct sql *c, struct arena *a, const struct sqlop *op, char *why,
    size_t whylen)
{
	if (op->fn == NULL)
		return sql_exec(c, a, op->st, op->affected, why, whylen);
	return sql_query(c, a, op->st, op->fn, op->ctx, why, whylen);
}

/*
 * Runs op, once more on a new connection if a kept one turned out dead
 * at the prepare (the statement did not run) and that failure came at
 * once: a stalled server is not retried, that would double the wait.
 */
static enum err
sql_run(struct req *r, enum ast_db db, const struct sqlop *op)
{
	const struct backend *b = &be_db[db];
	uint64_t t0 = now_us();
	char why[LIM_ERRMSG];
	int reused, retry, tries;
	void *c;
	enum err e;

	for (tries = 0;; tries++) {
		if ((e = sql_get(r, b, &c, &reused)) != E_OK)
			return e;
		req_op(r, b->name);
		why[0] = '\0';
		e = sql_once(c, r->arena, op, why, sizeof(why));
		if (e == E_OK)
			return E_OK;
		retry = sql_retryable(c);
		if (sql_broken(c))
			pool_drop(r->pool, r->tenant, b); /* c is gone */
		if (why[0] == '\0')
			return e; /* the row callback's error */
		if (!reused || tries > 0 || !retry ||
		    now_us() - t0 > (uint64_t)r->conf->backend_ms * 500)
			return req_error(r, e, "%s", why);
		log_info("%s: kept connection lost, reconnecting", b->name);
	}
}

enum err
ast_sql_exec(struct req *r, enum ast_db db, const struct sql_stmt *st,
    uint64_t *affected)
{
	struct sqlop op = { .st = st, .affected = affected };

	return sql_run(r, db, &op);
}

enum err
ast_sql_query(struct req *r, enum ast_db db, const struct sql_stmt *st,
    sql_row_fn fn, void *ctx)
{
	struct sqlop op = { .st = st, .fn = fn, .ctx = ctx };

	return sql_run(r, db, &op);
}

static enum err
json_row(
    void *ctx, const struct sql_col *cols, const struct sql_val *vals, size_t n)
{
	sql_row_json(ctx, cols, vals, n);
	return E_OK;
}

enum err
ast_sql_json(
    struct req *r, enum ast_db db, const struct sql_stmt *st, struct jw *w)
{
	enum err e;

	jw_arr_open(w);
	e = ast_sql_query(r, db, st, json_row, w);
	jw_arr_close(w);
	return e;
}

static enum err
found_row(
    void *ctx, const struct sql_col *cols, const struct sql_val *vals, size_t n)
{
	(void)cols;
	(void)vals;
	(void)n;
	*(int *)ctx = 1;
	return E_OK;
}

enum err
ast_sql_exists(
    struct req *r, enum ast_db db, const struct sql_stmt *st, int *found)
{
	*found = 0;
	return ast_sql_query(r, db, st, found_row, found);
}

/* ---- readiness ---- */

int
ast_probe_wants(const struct tenant *t, const char *kind)
{
	if (strcmp(kind, "ami") == 0)
		return tenant_has_prefix(t, "AMI_") ||
		    (strcmp(t->name, "default") == 0 &&
			!tenant_has_prefix(t, "FUSIONPBX_") &&
			!tenant_has_prefix(t, "RECORDING_DB_"));
	if (strcmp(kind, "ari") == 0)
		return tenant_getbool(t, "ARI_ENABLED");
	if (strcmp(kind, be_db[AST_CDRDB].name) == 0 ||
	    strcmp(kind, be_db[AST_DB].name) == 0)
		return tenant_has_prefix(t, "DB_");
	return 0;
}

/* ARI: a TCP connection to the server (the handle connects nothing). */
static enum err
ari_reach(struct req *r, uint64_t deadline, char *why, size_t whylen)
{
	const struct tenant *t = r->tenant;
	const char *port = tenant_get(t, "ARI_PORT");
	int fd;

	fd = net_connect(tenant_get(t, "ARI_HOST"),
	    arena_printf(
		r->arena, "%lld", (long long)php_intval(port, strlen(port))),
	    deadline, why, whylen);
	if (fd == -1)
		return errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;
	close(fd);
	return E_OK;
}

enum err
ast_probe(struct req *r, const char *kind, uint64_t deadline, char *why,
    size_t whylen)
{
	const struct backend *b = NULL;
	void *c;
	size_t i;

	if (strcmp(kind, "ari") == 0)
		return ari_reach(r, deadline, why, whylen);
	if (strcmp(kind, be_ami.name) == 0)
		b = &be_ami;
	for (i = 0; i < sizeof(be_db) / sizeof(be_db[0]); i++)
		if (strcmp(kind, be_db[i].name) == 0)
			b = &be_db[i];
	if (b == NULL)
		return E_NOTFOUND;
	return pool_get(
	    r->pool, r->tenant, b, r, deadline, &c, NULL, why, whylen);
}
