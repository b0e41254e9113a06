/*
 * The MySQL/MariaDB driver (libmariadb).  See mysql.h for the contract.
 *
 * The worker's CONN_MYSQL slot of a tenant holds a pool with one handle
 * per database.  A handle is connected on first use and kept; any client
 * error (connection lost, timeout) closes it, and the next use connects
 * again.  When a handle kept from an earlier request turns out dead while
 * a statement is being prepared (so it did not run), the driver
 * reconnects and tries once more.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mariadb/errmsg.h>
#include <mariadb/mysql.h>

#include "arena.h"
#include "conf.h"
#include "json.h"
#include "log.h"
#include "mysql.h"
#include "netio.h"
#include "pbx.h"
#include "pbxconf.h"
#include "req.h"
#include "worker.h"

#define DB_SOCKET_DEFAULT  "/run/mysqld/mysqld.sock"
#define COLBUF_MIN	   64	 /* numbers and dates as text */
#define COLBUF_MAX	   65536 /* larger values are fetched in a 2nd step */
#define BACKEND_MS_DEFAULT 5000	 /* without a configuration (tests) */

static const char *const dbnames[SQL_DB__MAX] = {
	[SQL_CDR] = "asteriskcdrdb",
	[SQL_ASTERISK] = "asterisk",
};

struct mysql_conn {
	struct sql_conn base; /* first: handlers see this */
	MYSQL *h;	      /* NULL: not connected */
	enum sql_db db;
};

struct mysql_pool {
	struct mysql_conn conn[SQL_DB__MAX];
};

/* A statement or result the arena closes if the code path did not. */
struct holder {
	MYSQL_STMT *stmt;
	MYSQL_RES *meta;
};

/*
 * Output buffers of a result set: a fixed buffer per column that the
 * binding writes into, and a larger one for a value that did not fit.
 */
struct result {
	size_t n;
	MYSQL_FIELD *fields;
	MYSQL_BIND *bind;
	struct sql_col *cols;
	struct sql_val *vals;
	unsigned long *len;
	my_bool *null, *trunc;
	char **fix;
	char **big; /* malloc'd */
	size_t *bigcap;
};

static void
conn_drop(struct mysql_conn *c)
{
	if (c->h != NULL) {
		mysql_close(c->h);
		c->h = NULL;
	}
}

static void
pool_close(void *arg)
{
	struct mysql_pool *p = arg;
	size_t i;

	for (i = 0; i < SQL_DB__MAX; i++)
		conn_drop(&p->conn[i]);
	free(p);
}

static void
holder_close(void *arg)
{
	struct holder *hd = arg;

	if (hd->meta != NULL)
		mysql_free_result(hd->meta);
	if (hd->stmt != NULL)
		mysql_stmt_close(hd->stmt);
	hd->meta = NULL;
	hd->stmt = NULL;
}

/* The tenant's pool; without a worker (tests) it lives for the request. */
static struct mysql_pool *
pool_get(struct req *r)
{
	struct mysql_pool *p = NULL;
	size_t i;

	if (r->worker != NULL)
		p = worker_conn(r->worker, r->tenant->index, CONN_MYSQL);
	if (p != NULL)
		return p;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		fatal("calloc");
	for (i = 0; i < SQL_DB__MAX; i++) {
		p->conn[i].base.drv = &mysql_driver;
		p->conn[i].db = i;
	}
	if (r->worker != NULL)
		worker_set_conn(
		    r->worker, r->tenant->index, CONN_MYSQL, p, pool_close);
	else
		arena_cleanup(r->arena, pool_close, p);
	return p;
}

/* The per-operation deadline (backend_timeout) in milliseconds. */
static long
backend_ms(const struct req *r)
{
	return r->conf != NULL ? r->conf->backend_ms : BACKEND_MS_DEFAULT;
}

/* backend_timeout in whole seconds (libmariadb's unit), at least 1. */
static unsigned int
timeout_secs(const struct req *r)
{
	long s = (backend_ms(r) + 999) / 1000;

	return s < 1 ? 1 : (unsigned int)s;
}

/* Sets the options of a new handle. */
static void
conn_options(
    const struct req *r, MYSQL *h, const struct db_settings *s, int sock)
{
	unsigned int secs = timeout_secs(r), off = 0;
	unsigned int proto = sock ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	my_bool no = 0;

	mysql_optionsv(h, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	mysql_optionsv(h, MYSQL_OPT_READ_TIMEOUT, &secs);
	mysql_optionsv(h, MYSQL_OPT_WRITE_TIMEOUT, &secs);
	mysql_optionsv(h, MYSQL_OPT_PROTOCOL, &proto);
	mysql_optionsv(h, MYSQL_OPT_RECONNECT, &no);
	mysql_optionsv(h, MYSQL_OPT_LOCAL_INFILE, &off);
	if (s->charset != NULL && *s->charset != '\0')
		mysql_optionsv(h, MYSQL_SET_CHARSET_NAME, s->charset);
}

/*
 * The public text of a failed connect.  libmariadb connects TCP without
 * blocking and then reports EINPROGRESS, not why the connect failed; a
 * quick failure is probed once more with a plain connect to learn the
 * reason as mysqlnd would report it ("Connection refused").
 */
static void
connect_msg(const struct req *r, MYSQL *h, const struct db_settings *s,
    int sock, uint64_t t0, char *msg, size_t size)
{
	unsigned int code = mysql_errno(h);
	char port[24], why[256];
	int fd;

	if (sock ||
	    (code != CR_CONN_HOST_ERROR && code != CR_CONNECTION_ERROR) ||
	    mysql_msg_errno(mysql_error(h)) != EINPROGRESS) {
		pdo_connect_msg(msg, size, code, mysql_error(h));
		return;
	}
	if (now_us() - t0 > (uint64_t)backend_ms(r) * 500) {
		snprintf(
		    msg, size, "SQLSTATE[HY000] [2002] Connection timed out");
		return;
	}
	snprintf(port, sizeof(port), "%ld", s->port);
	fd = net_connect(
	    s->host, port, net_deadline(backend_ms(r)), why, sizeof(why));
	if (fd >= 0) {
		close(fd);
		pdo_connect_msg(msg, size, code, mysql_error(h));
		return;
	}
	snprintf(msg, size, "SQLSTATE[HY000] [2002] %s", why);
}

/*
 * Connects c.  DB_HOST "localhost" is the unix socket DB_SOCKET, as in
 * PDO's DSN; anything else is TCP to DB_PORT.
 */
static enum err
conn_open(struct req *r, struct mysql_conn *c)
{
	struct db_settings s;
	const char *sockpath, *dbname = dbnames[c->db];
	char msg[LIM_ERRMSG];
	uint64_t t0;
	int sock;
	MYSQL *h;

	pbx_db_settings(r->arena, r->tenant, &s);
	sock = strcmp(s.host, "localhost") == 0;
	sockpath = tenant_get(r->tenant, "DB_SOCKET");
	if (*sockpath == '\0')
		sockpath = DB_SOCKET_DEFAULT;
	if ((h = mysql_init(NULL)) == NULL)
		fatalx("mysql_init: out of memory");
	conn_options(r, h, &s, sock);
	req_op(r, "mysql connect");
	t0 = now_us();
	if (mysql_real_connect(h, s.host, s.user, s.password, dbname,
		sock ? 0 : (unsigned int)s.port, sock ? sockpath : NULL,
		0) == NULL) {
		connect_msg(r, h, &s, sock, t0, msg, sizeof(msg));
		log_warnx("mysql: cannot connect to '%s' as '%s' on '%s': %s",
		    dbname, s.user, sock ? sockpath : s.host, mysql_error(h));
		mysql_close(h);
		return req_error(r, E_BACKEND, "%s", msg);
	}
	c->h = h;
	return E_OK;
}

static enum err
drv_open(struct req *r, enum sql_db db, struct sql_conn **out)
{
	struct mysql_conn *c = &pool_get(r)->conn[db];
	enum err e;

	if (c->h == NULL && (e = conn_open(r, c)) != E_OK)
		return e;
	*out = &c->base;
	return E_OK;
}

/* Client errors that mean the connection is unusable. */
static int
conn_lost(unsigned int code)
{
	return code >= CR_MIN_ERROR && code <= CR_MAX_ERROR;
}

/* Errors of a connection the server closed. */
static int
conn_gone(unsigned int code)
{
	return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST ||
	    code == CR_SERVER_LOST_EXTENDED;
}

/*
 * Sets the request's error from a failed statement, logs it, and drops
 * the connection if the error was the connection's.
 */
static enum err
stmt_fail(struct req *r, struct mysql_conn *c, struct holder *hd)
{
	char msg[LIM_ERRMSG];
	unsigned int code = mysql_stmt_errno(hd->stmt);

	pdo_stmt_msg(msg, sizeof(msg), mysql_stmt_sqlstate(hd->stmt), code,
	    mysql_stmt_error(hd->stmt));
	log_warnx("mysql %s: %s", dbnames[c->db], msg);
	holder_close(hd);
	if (conn_lost(code))
		conn_drop(c);
	return req_error(r, E_BACKEND, "%s", msg);
}

/* Binds the statement's parameters. */
static enum err
bind_params(struct req *r, MYSQL_STMT *stmt, const struct sql_stmt *st)
{
	MYSQL_BIND *b;
	unsigned long *len;
	size_t i;

	if (mysql_stmt_param_count(stmt) != st->nparams) {
		log_warnx("mysql: '%s' has %lu placeholders, %zu given",
		    st->text, mysql_stmt_param_count(stmt), st->nparams);
		return req_error(r, E_INTERNAL, "statement parameters");
	}
	if (st->nparams == 0)
		return E_OK;
	b = arena_zalloc(r->arena, st->nparams * sizeof(*b));
	len = arena_zalloc(r->arena, st->nparams * sizeof(*len));
	for (i = 0; i < st->nparams; i++) {
		const struct sql_param *p = &st->params[i];

		switch (p->type) {
		case SQLP_STR:
			len[i] = p->len;
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = (void *)(uintptr_t)p->s;
			b[i].buffer_length = p->len;
			b[i].length = &len[i];
			break;
		case SQLP_INT:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = (void *)(uintptr_t)&p->i;
			break;
		default:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		}
	}
	if (mysql_stmt_bind_param(stmt, b) != 0)
		return E_BACKEND;
	return E_OK;
}

/* One try: prepare, bind, execute.  *retry is set if another may help. */
static enum err
run_once(struct req *r, struct mysql_conn *c, const struct sql_stmt *st,
    struct holder *hd, int *retry)
{
	enum err e;

	*retry = 0;
	if ((hd->stmt = mysql_stmt_init(c->h)) == NULL)
		fatalx("mysql_stmt_init: out of memory");
	req_op(r, "mysql prepare");
	if (mysql_stmt_prepare(hd->stmt, st->text, strlen(st->text)) != 0) {
		*retry = conn_gone(mysql_stmt_errno(hd->stmt));
		return stmt_fail(r, c, hd);
	}
	e = bind_params(r, hd->stmt, st);
	if (e == E_BACKEND)
		return stmt_fail(r, c, hd);
	if (e != E_OK)
		return e;
	req_op(r, "mysql execute");
	if (mysql_stmt_execute(hd->stmt) != 0)
		return stmt_fail(r, c, hd);
	return E_OK;
}

/*
 * Prepares and executes st on c, reconnecting once if a handle kept from
 * before turns out to be dead at the prepare (the statement did not run)
 * and that failure came at once (a closed socket, not a stall).  On E_OK
 * hd holds the executed statement.
 */
static enum err
run(struct req *r, struct mysql_conn *c, const struct sql_stmt *st,
    struct holder *hd)
{
	uint64_t t0 = now_us();
	int kept, retry;
	enum err e;

	arena_cleanup(r->arena, holder_close, hd);
	kept = c->h != NULL;
	if (!kept && (e = conn_open(r, c)) != E_OK)
		return e;
	e = run_once(r, c, st, hd, &retry);
	if (e == E_OK || !kept || !retry)
		return e;
	/* A stalled server is not retried: that would double the wait. */
	if (now_us() - t0 > (uint64_t)backend_ms(r) * 500)
		return e;
	log_info(
	    "mysql %s: kept connection lost, reconnecting", dbnames[c->db]);
	if ((e = conn_open(r, c)) != E_OK)
		return e;
	return run_once(r, c, st, hd, &retry);
}

static enum err
drv_exec(struct req *r, struct sql_conn *sc, const struct sql_stmt *st,
    uint64_t *affected)
{
	struct mysql_conn *c = (struct mysql_conn *)sc;
	struct holder *hd = arena_zalloc(r->arena, sizeof(*hd));
	enum err e;

	if ((e = run(r, c, st, hd)) != E_OK)
		return e;
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(hd->stmt);
	holder_close(hd);
	return E_OK;
}

/* How PHP >= 8.1 (mysqlnd, native types) prints a column. */
static enum sql_kind
field_kind(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return SQLK_INT;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return SQLK_DOUBLE;
	default:
		return SQLK_STR;
	}
}

/* Sets up the result buffers: every column is fetched as text. */
static void
result_init(struct req *r, MYSQL_RES *meta, struct result *res)
{
	struct arena *a = r->arena;
	size_t i, n;

	n = res->n = mysql_num_fields(meta);
	res->fields = mysql_fetch_fields(meta);
	res->bind = arena_zalloc(a, (n + 1) * sizeof(*res->bind));
	res->cols = arena_zalloc(a, (n + 1) * sizeof(*res->cols));
	res->vals = arena_zalloc(a, (n + 1) * sizeof(*res->vals));
	res->len = arena_zalloc(a, (n + 1) * sizeof(*res->len));
	res->null = arena_zalloc(a, (n + 1) * sizeof(*res->null));
	res->trunc = arena_zalloc(a, (n + 1) * sizeof(*res->trunc));
	res->fix = arena_zalloc(a, (n + 1) * sizeof(*res->fix));
	res->big = arena_zalloc(a, (n + 1) * sizeof(*res->big));
	res->bigcap = arena_zalloc(a, (n + 1) * sizeof(*res->bigcap));
	for (i = 0; i < n; i++) {
		size_t cap = (size_t)res->fields[i].length;

		if (cap < COLBUF_MIN)
			cap = COLBUF_MIN;
		if (cap > COLBUF_MAX)
			cap = COLBUF_MAX;
		res->cols[i].name = res->fields[i].name;
		res->cols[i].namelen = res->fields[i].name_length;
		res->cols[i].kind = field_kind(&res->fields[i]);
		res->fix[i] = arena_alloc(a, cap + 1); /* + the NUL */
		res->bind[i].buffer_type = MYSQL_TYPE_STRING;
		res->bind[i].buffer = res->fix[i];
		res->bind[i].buffer_length = cap;
		res->bind[i].length = &res->len[i];
		res->bind[i].is_null = &res->null[i];
		res->bind[i].error = &res->trunc[i];
	}
}

static void
result_free(void *arg)
{
	struct result *res = arg;
	size_t i;

	for (i = 0; i < res->n; i++)
		free(res->big[i]);
}

/* Fetches a value that did not fit column i's buffer.  Returns it. */
static char *
fetch_long(MYSQL_STMT *stmt, struct result *res, size_t i)
{
	size_t need = (size_t)res->len[i] + 1;
	unsigned long got;
	MYSQL_BIND b;
	char *p;

	if (need > res->bigcap[i]) {
		if ((p = realloc(res->big[i], need)) == NULL)
			fatal("realloc");
		res->big[i] = p;
		res->bigcap[i] = need;
	}
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_STRING;
	b.buffer = res->big[i];
	b.buffer_length = res->len[i];
	b.length = &got;
	if (mysql_stmt_fetch_column(stmt, &b, (unsigned int)i, 0) != 0)
		return NULL;
	return res->big[i];
}

/* Turns the fetched buffers into vals; fetches truncated values. */
static int
row_values(MYSQL_STMT *stmt, struct result *res)
{
	struct sql_val *v;
	char *s;
	size_t i;

	for (i = 0; i < res->n; i++) {
		v = &res->vals[i];
		v->null = res->null[i] != 0;
		v->s = NULL;
		v->len = 0;
		if (v->null)
			continue;
		s = res->fix[i];
		if (res->trunc[i] && (s = fetch_long(stmt, res, i)) == NULL)
			return -1;
		s[res->len[i]] = '\0';
		v->s = s;
		v->len = res->len[i];
	}
	return 0;
}

/* Fetches every row of the executed statement into fn. */
static enum err
fetch_rows(struct req *r, struct mysql_conn *c, struct holder *hd,
    sql_row_fn fn, void *ctx)
{
	struct result *res = arena_zalloc(r->arena, sizeof(*res));
	enum err e = E_OK;
	int rc;

	result_init(r, hd->meta, res);
	arena_cleanup(r->arena, result_free, res);
	if (mysql_stmt_bind_result(hd->stmt, res->bind) != 0)
		return stmt_fail(r, c, hd);
	req_op(r, "mysql fetch");
	while (e == E_OK) {
		rc = mysql_stmt_fetch(hd->stmt);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1 || row_values(hd->stmt, res) != 0)
			return stmt_fail(r, c, hd);
		e = fn(ctx, res->cols, res->vals, res->n);
	}
	holder_close(hd);
	return e;
}

static enum err
drv_query(struct req *r, struct sql_conn *sc, const struct sql_stmt *st,
    sql_row_fn fn, void *ctx)
{
	struct mysql_conn *c = (struct mysql_conn *)sc;
	struct holder *hd = arena_zalloc(r->arena, sizeof(*hd));
	enum err e;

	if ((e = run(r, c, st, hd)) != E_OK)
		return e;
	hd->meta = mysql_stmt_result_metadata(hd->stmt);
	if (hd->meta == NULL) {
		if (mysql_stmt_errno(hd->stmt) != 0)
			return stmt_fail(r, c, hd);
		holder_close(hd);
		return E_OK;
	}
	return fetch_rows(r, c, hd, fn, ctx);
}

const struct sql_driver mysql_driver = {
	.name = "mysql",
	.open = drv_open,
	.exec = drv_exec,
	.query = drv_query,
};

/* Returns 1 if the n digits at s (optional '-') fit an int64. */
static int
fits_int64(const char *s, size_t n)
{
	const char *max = "9223372036854775807";
	size_t digits = n;

	if (n > 0 && s[0] == '-') {
		s++;
		digits--;
		max = "9223372036854775808";
	}
	if (digits == 0 || digits > 19)
		return 0;
	return digits < 19 || memcmp(s, max, 19) <= 0;
}

void
sql_row_json(struct jw *w, const struct sql_col *cols,
    const struct sql_val *vals, size_t n)
{
	size_t i;

	jw_obj_open(w);
	for (i = 0; i < n; i++) {
		jw_key(w, cols[i].name, cols[i].namelen);
		if (vals[i].null)
			jw_null(w);
		else if (cols[i].kind == SQLK_INT &&
		    fits_int64(vals[i].s, vals[i].len))
			jw_number(w, vals[i].s, vals[i].len);
		else if (cols[i].kind == SQLK_DOUBLE)
			jw_double(w, strtod(vals[i].s, NULL));
		else
			jw_str(w, vals[i].s, vals[i].len);
	}
	jw_obj_close(w);
}

static enum err
json_row(
    void *ctx, const struct sql_col *cols, const struct sql_val *vals, size_t n)
{
	sql_row_json(ctx, cols, vals, n);
	return E_OK;
}

enum err
sql_query_json(
    struct req *r, struct sql_conn *c, const struct sql_stmt *st, struct jw *w)
{
	enum err e;

	jw_arr_open(w);
	e = sql_query(r, c, st, json_row, w);
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
sql_exists(
    struct req *r, struct sql_conn *c, const struct sql_stmt *st, int *found)
{
	*found = 0;
	return sql_query(r, c, st, found_row, found);
}

size_t
sql_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}
