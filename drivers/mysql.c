/*
 * The MySQL/MariaDB driver (libmariadb).  See mysql.h for the contract.
 *
 * A connection whose client library reported a connection error (lost,
 * timed out) is marked broken; its owner closes it and opens another.
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
#include "json.h"
#include "log.h"
#include "mysql.h"
#include "netio.h"

#define COLBUF_MIN 64	 /* numbers and dates as text */
#define COLBUF_MAX 65536 /* larger values are fetched in a 2nd step */

struct sql {
	MYSQL *h; /* NULL: broken */
	char db[64];
	int retry; /* the last failure: server gone before the statement */
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
conn_drop(struct sql *c)
{
	if (c->h != NULL) {
		mysql_close(c->h);
		c->h = NULL;
	}
}

void
sql_close(void *arg)
{
	struct sql *c = arg;

	if (c == NULL)
		return;
	conn_drop(c);
	free(c);
}

int
sql_broken(const struct sql *c)
{
	return c->h == NULL;
}

int
sql_retryable(const struct sql *c)
{
	return c->retry;
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

/* cf->timeout_ms in whole seconds (libmariadb's unit), at least 1. */
static unsigned int
timeout_secs(const struct sql_conf *cf)
{
	long s = (cf->timeout_ms + 999) / 1000;

	return s < 1 ? 1 : (unsigned int)s;
}

/* Sets the options of a new handle. */
static void
conn_options(MYSQL *h, const struct sql_conf *s, int sock)
{
	unsigned int secs = timeout_secs(s), off = 0;
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
connect_msg(MYSQL *h, const struct sql_conf *s, int sock, uint64_t t0,
    char *msg, size_t size)
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
	if (net_deadline(0) - t0 > (uint64_t)s->timeout_ms / 2) {
		snprintf(
		    msg, size, "SQLSTATE[HY000] [2002] Connection timed out");
		return;
	}
	snprintf(port, sizeof(port), "%ld", s->port);
	fd = net_connect(
	    s->host, port, net_deadline(s->timeout_ms), why, sizeof(why));
	if (fd >= 0) {
		close(fd);
		pdo_connect_msg(msg, size, code, mysql_error(h));
		return;
	}
	snprintf(msg, size, "SQLSTATE[HY000] [2002] %s", why);
}

enum err
sql_open(const struct sql_conf *cf, struct sql **out, char *why, size_t whylen)
{
	int sock = strcmp(cf->host, "localhost") == 0;
	uint64_t t0;
	struct sql *c;
	MYSQL *h;

	if ((h = mysql_init(NULL)) == NULL)
		fatalx("mysql_init: out of memory");
	conn_options(h, cf, sock);
	t0 = net_deadline(0);
	if (mysql_real_connect(h, cf->host, cf->user, cf->password, cf->dbname,
		sock ? 0 : (unsigned int)cf->port, sock ? cf->socket : NULL,
		0) == NULL) {
		connect_msg(h, cf, sock, t0, why, whylen);
		log_warnx("mysql: cannot connect to '%s' as '%s' on '%s': %s",
		    cf->dbname, cf->user, sock ? cf->socket : cf->host,
		    mysql_error(h));
		mysql_close(h);
		return E_BACKEND;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->h = h;
	snprintf(c->db, sizeof(c->db), "%s", cf->dbname);
	*out = c;
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
 * Writes the PDO text of a failed statement to why, logs it, and drops
 * the connection if the error was the connection's.
 */
static enum err
stmt_fail(struct sql *c, struct holder *hd, char *why, size_t whylen)
{
	unsigned int code = mysql_stmt_errno(hd->stmt);

	pdo_stmt_msg(why, whylen, mysql_stmt_sqlstate(hd->stmt), code,
	    mysql_stmt_error(hd->stmt));
	log_warnx("mysql %s: %s", c->db, why);
	holder_close(hd);
	if (conn_lost(code))
		conn_drop(c);
	return E_BACKEND;
}

/* Binds the statement's parameters. */
static enum err
bind_params(struct arena *a, MYSQL_STMT *stmt, const struct sql_stmt *st,
    char *why, size_t whylen)
{
	MYSQL_BIND *b;
	unsigned long *len;
	size_t i;

	if (mysql_stmt_param_count(stmt) != st->nparams) {
		log_warnx("mysql: '%s' has %lu placeholders, %zu given",
		    st->text, mysql_stmt_param_count(stmt), st->nparams);
		snprintf(why, whylen, "statement parameters");
		return E_INTERNAL;
	}
	if (st->nparams == 0)
		return E_OK;
	b = arena_zalloc(a, st->nparams * sizeof(*b));
	len = arena_zalloc(a, st->nparams * sizeof(*len));
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

/*
 * Prepares and executes st on c; on E_OK hd holds the executed
 * statement.  A server gone at the prepare (the statement did not run)
 * marks the failure retryable.
 */
static enum err
run(struct sql *c, struct arena *a, const struct sql_stmt *st,
    struct holder *hd, char *why, size_t whylen)
{
	enum err e;

	c->retry = 0;
	if (c->h == NULL) {
		snprintf(why, whylen,
		    "SQLSTATE[HY000]: General error: connection lost");
		return E_BACKEND;
	}
	arena_cleanup(a, holder_close, hd);
	if ((hd->stmt = mysql_stmt_init(c->h)) == NULL)
		fatalx("mysql_stmt_init: out of memory");
	if (mysql_stmt_prepare(hd->stmt, st->text, strlen(st->text)) != 0) {
		c->retry = conn_gone(mysql_stmt_errno(hd->stmt));
		return stmt_fail(c, hd, why, whylen);
	}
	e = bind_params(a, hd->stmt, st, why, whylen);
	if (e == E_BACKEND)
		return stmt_fail(c, hd, why, whylen);
	if (e != E_OK)
		return e;
	if (mysql_stmt_execute(hd->stmt) != 0)
		return stmt_fail(c, hd, why, whylen);
	return E_OK;
}

enum err
sql_exec(struct sql *c, struct arena *a, const struct sql_stmt *st,
    uint64_t *affected, char *why, size_t whylen)
{
	struct holder *hd = arena_zalloc(a, sizeof(*hd));
	enum err e;

	if ((e = run(c, a, st, hd, why, whylen)) != E_OK)
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
result_init(struct arena *a, MYSQL_RES *meta, struct result *res)
{
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
fetch_rows(struct sql *c, struct arena *a, struct holder *hd, sql_row_fn fn,
    void *ctx, char *why, size_t whylen)
{
	struct result *res = arena_zalloc(a, sizeof(*res));
	enum err e = E_OK;
	int rc;

	result_init(a, hd->meta, res);
	arena_cleanup(a, result_free, res);
	if (mysql_stmt_bind_result(hd->stmt, res->bind) != 0)
		return stmt_fail(c, hd, why, whylen);
	while (e == E_OK) {
		rc = mysql_stmt_fetch(hd->stmt);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1 || row_values(hd->stmt, res) != 0)
			return stmt_fail(c, hd, why, whylen);
		e = fn(ctx, res->cols, res->vals, res->n);
	}
	holder_close(hd);
	return e;
}

enum err
sql_query(struct sql *c, struct arena *a, const struct sql_stmt *st,
    sql_row_fn fn, void *ctx, char *why, size_t whylen)
{
	struct holder *hd = arena_zalloc(a, sizeof(*hd));
	enum err e;

	if ((e = run(c, a, st, hd, why, whylen)) != E_OK)
		return e;
	hd->meta = mysql_stmt_result_metadata(hd->stmt);
	if (hd->meta == NULL) {
		if (mysql_stmt_errno(hd->stmt) != 0)
			return stmt_fail(c, hd, why, whylen);
		holder_close(hd);
		return E_OK;
	}
	return fetch_rows(c, a, hd, fn, ctx, why, whylen);
}

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

size_t
sql_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}
