/*
 * PostgreSQL driver (see pgsql.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "arena.h"
#include "json.h"
#include "netio.h"
#include "pgsql.h"

/* Type oids of pg_type.h (stable across versions). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_OID	 26

struct pg {
	PGconn *conn;
	int broken;
	const struct pg_stmt *prepared[PG_STMTS_MAX];
	size_t nprepared;
	char sqlstate[6];
};

struct pg_res {
	PGresult *res;
};

int
pg_broken(const struct pg *c)
{
	return c->broken;
}

const char *
pg_sqlstate(const struct pg *c)
{
	return c->sqlstate;
}

void
pg_close(void *p)
{
	struct pg *c = p;

	if (c == NULL)
		return;
	if (c->conn != NULL)
		PQfinish(c->conn);
	free(c);
}

/* Copies libpq's first line of message into errbuf. */
static void
first_line(const char *msg, char *errbuf, size_t errlen)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	snprintf(errbuf, errlen, "%.*s", (int)n, msg ? msg : "");
}

/*
 * Waits for events on the connection's socket.  Returns E_OK, E_TIMEOUT
 * or E_BACKEND.
 */
static enum err
wait_sock(PGconn *conn, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = PQsocket(conn), .events = events };
	long left;
	int n;

	if (pfd.fd < 0)
		return E_BACKEND;
	for (;;) {
		if ((left = net_left(deadline)) == 0)
			return E_TIMEOUT;
		n = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return E_OK;
		if (n == -1 && errno != EINTR)
			return E_BACKEND;
	}
}

static const char *
kv_or_null(const char *v)
{
	return v != NULL && *v != '\0' ? v : NULL;
}

/* Starts the connection with the settings that are given. */
#define CUSTOM_PLANS " -c plan_cache_mode=force_custom_plan"

static PGconn *
start(const struct pg_conninfo *ci, char *opts, size_t optlen)
{
	const char *keys[9], *vals[9];
	const char *given[] = { ci->host, ci->port, ci->dbname, ci->user,
		ci->password, ci->sslmode };
	const char *names[] = { "host", "port", "dbname", "user", "password",
		"sslmode" };
	size_t i, n = 0;

	for (i = 0; i < sizeof(given) / sizeof(given[0]); i++)
		if (kv_or_null(given[i]) != NULL) {
			keys[n] = names[i];
			vals[n++] = given[i];
		}
	keys[n] = "application_name";
	vals[n++] = "pbxapi";
	/* Each option only where it applies (0 would lift a role's limit). */
	opts[0] = '\0';
	if (ci->stmt_timeout_ms > 0)
		snprintf(opts, optlen, "-c statement_timeout=%ld%s",
		    ci->stmt_timeout_ms, ci->custom_plans ? CUSTOM_PLANS : "");
	else if (ci->custom_plans)
		snprintf(opts, optlen, "%s", CUSTOM_PLANS + 1);
	if (opts[0] != '\0') {
		keys[n] = "options";
		vals[n++] = opts;
	}
	keys[n] = NULL;
	vals[n] = NULL;
	return PQconnectStartParams(keys, vals, 0);
}

enum err
pg_open(const struct pg_conninfo *ci, uint64_t deadline, struct pg **out,
    char *errbuf, size_t errlen)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	char opts[128];
	struct pg *c;
	enum err e = E_OK;

	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->conn = start(ci, opts, sizeof(opts))) == NULL)
		abort();
	while (e == E_OK && st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			e = E_BACKEND;
			break;
		}
		e = wait_sock(c->conn,
		    st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
		if (e == E_OK)
			st = PQconnectPoll(c->conn);
	}
	if (e == E_OK && PQsetnonblocking(c->conn, 1) != 0)
		e = E_BACKEND;
	if (e != E_OK) {
		if (e == E_TIMEOUT)
			snprintf(errbuf, errlen, "connect timed out");
		else
			first_line(PQerrorMessage(c->conn), errbuf, errlen);
		pg_close(c);
		return e;
	}
	*out = c;
	return E_OK;
}

int
pg_usable(struct pg *c, int idle)
{
	struct pollfd pfd;

	if (c->broken || PQstatus(c->conn) != CONNECTION_OK ||
	    (idle && PQtransactionStatus(c->conn) != PQTRANS_IDLE))
		return 0;
	pfd.fd = PQsocket(c->conn);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) <= 0)
		return 1;
	/* An idle server speaks only to say it is going away. */
	if (!PQconsumeInput(c->conn) || PQstatus(c->conn) != CONNECTION_OK)
		return 0;
	return 1;
}

/* Sends what libpq buffered and waits until a result is complete. */
static enum err
drive(struct pg *c, uint64_t deadline)
{
	enum err e;
	int f;

	while ((f = PQflush(c->conn)) == 1) {
		if ((e = wait_sock(c->conn, POLLIN | POLLOUT, deadline)) !=
		    E_OK)
			return e;
		if (!PQconsumeInput(c->conn))
			return E_BACKEND;
	}
	if (f == -1)
		return E_BACKEND;
	while (PQisBusy(c->conn)) {
		if ((e = wait_sock(c->conn, POLLIN, deadline)) != E_OK)
			return e;
		if (!PQconsumeInput(c->conn))
			return E_BACKEND;
	}
	return E_OK;
}

/*
 * Collects the results of the command sent last; keeps the first error,
 * else the last result.  Returns E_OK, E_BADREQ, E_BACKEND or E_TIMEOUT.
 */
static enum err
collect(struct pg *c, uint64_t deadline, PGresult **out, char *errbuf,
    size_t errlen)
{
	PGresult *res, *keep = NULL;
	enum err e;

	for (;;) {
		if ((e = drive(c, deadline)) != E_OK)
			break;
		if ((res = PQgetResult(c->conn)) == NULL)
			break;
		if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(res);
			continue;
		}
		PQclear(keep);
		keep = res;
	}
	if (e == E_OK && PQstatus(c->conn) != CONNECTION_OK)
		e = E_BACKEND;
	if (e == E_OK &&
	    (keep == NULL || PQresultStatus(keep) == PGRES_FATAL_ERROR ||
		PQresultStatus(keep) == PGRES_BAD_RESPONSE))
		e = E_BADREQ;
	if (e != E_OK) {
		first_line(
		    keep ? PQresultErrorMessage(keep) : PQerrorMessage(c->conn),
		    errbuf, errlen);
		if (e == E_BADREQ && keep != NULL)
			snprintf(c->sqlstate, sizeof(c->sqlstate), "%s",
			    PQresultErrorField(keep, PG_DIAG_SQLSTATE)
				? PQresultErrorField(keep, PG_DIAG_SQLSTATE)
				: "");
		PQclear(keep);
		keep = NULL;
	}
	*out = keep;
	return e;
}

/* Prepares st on this connection unless it already is. */
static enum err
prepare(struct pg *c, const struct pg_stmt *st, uint64_t deadline, char *errbuf,
    size_t errlen)
{
	PGresult *res;
	enum err e;
	size_t i;

	for (i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == st)
			return E_OK;
	if (c->nprepared == PG_STMTS_MAX) {
		snprintf(
		    errbuf, errlen, "more than %d statements", PG_STMTS_MAX);
		return E_BADREQ;
	}
	if (!PQsendPrepare(c->conn, st->name, st->sql, st->nparams, NULL))
		return E_BACKEND;
	if ((e = collect(c, deadline, &res, errbuf, errlen)) != E_OK)
		return e;
	PQclear(res);
	c->prepared[c->nprepared++] = st;
	return E_OK;
}

static void
res_free(void *p)
{
	PQclear(p);
}

/* Sends one prepared run of st and collects its result. */
static enum err
run(struct pg *c, const struct pg_stmt *st, const char *const *vals,
    uint64_t deadline, PGresult **res, char *errbuf, size_t errlen)
{
	enum err e;
	int sent;

	c->sqlstate[0] = '\0';
	if (st->name == NULL)
		sent = PQsendQueryParams(
		    c->conn, st->sql, st->nparams, NULL, vals, NULL, NULL, 0);
	else {
		if ((e = prepare(c, st, deadline, errbuf, errlen)) != E_OK)
			return e;
		sent = PQsendQueryPrepared(
		    c->conn, st->name, st->nparams, vals, NULL, NULL, 0);
	}
	if (!sent) {
		first_line(PQerrorMessage(c->conn), errbuf, errlen);
		return E_BACKEND;
	}
	return collect(c, deadline, res, errbuf, errlen);
}

/*
 * After a schema change (FusionPBX's upgrade adds columns) a prepared
 * "SELECT *" fails with "cached plan must not change result type": drop
 * the statement so that the next run prepares it again.  Returns 1 if
 * the run may be retried.
 */
static int
replan(struct pg *c, const struct pg_stmt *st, uint64_t deadline)
{
	char sql[128], why[64];
	PGresult *res;
	size_t i;

	if (st->name == NULL || strcmp(c->sqlstate, "0A000") != 0 ||
	    PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		return 0;
	for (i = 0; i < c->nprepared && c->prepared[i] != st; i++)
		;
	if (i == c->nprepared)
		return 0;
	c->prepared[i] = c->prepared[--c->nprepared];
	/* The name is one of the program's own, never input. */
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
	if (!PQsendQueryParams(c->conn, sql, 0, NULL, NULL, NULL, NULL, 0) ||
	    collect(c, deadline, &res, why, sizeof(why)) != E_OK)
		return 0;
	PQclear(res);
	return 1;
}

enum err
pg_exec(struct pg *c, const struct pg_stmt *st, const char *const *vals,
    uint64_t deadline, struct arena *a, struct pg_res **out, char *errbuf,
    size_t errlen)
{
	PGresult *res = NULL;
	enum err e;

	if (c->broken) {
		snprintf(errbuf, errlen, "connection is broken");
		return E_BACKEND;
	}
	e = run(c, st, vals, deadline, &res, errbuf, errlen);
	if (e == E_BADREQ && replan(c, st, deadline))
		e = run(c, st, vals, deadline, &res, errbuf, errlen);
	if (e == E_BACKEND || e == E_TIMEOUT) {
		c->broken = 1;
		return e;
	}
	if (e != E_OK)
		return e;
	arena_cleanup(a, res_free, res);
	*out = arena_alloc(a, sizeof(**out));
	(*out)->res = res;
	return E_OK;
}

size_t
pg_nrows(const struct pg_res *r)
{
	return (size_t)PQntuples(r->res);
}

size_t
pg_ncols(const struct pg_res *r)
{
	return (size_t)PQnfields(r->res);
}

const char *
pg_name(const struct pg_res *r, size_t col)
{
	return PQfname(r->res, (int)col);
}

enum pg_kind
pg_kind(const struct pg_res *r, size_t col)
{
	switch (PQftype(r->res, (int)col)) {
	case OID_BOOL:
		return PGK_BOOL;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return PGK_INT;
	default:
		return PGK_STR;
	}
}

int
pg_isnull(const struct pg_res *r, size_t row, size_t col)
{
	return PQgetisnull(r->res, (int)row, (int)col);
}

const char *
pg_value(const struct pg_res *r, size_t row, size_t col)
{
	return PQgetvalue(r->res, (int)row, (int)col);
}

const char *
pg_get(const struct pg_res *r, size_t row, size_t col)
{
	return pg_isnull(r, row, col) ? NULL : pg_value(r, row, col);
}

size_t
pg_len(const struct pg_res *r, size_t row, size_t col)
{
	return (size_t)PQgetlength(r->res, (int)row, (int)col);
}

long
pg_affected(const struct pg_res *r)
{
	return strtol(PQcmdTuples(r->res), NULL, 10);
}

void
pg_write_value(struct jw *w, const struct pg_res *r, size_t row, size_t col)
{
	const char *v;

	if (pg_isnull(r, row, col)) {
		jw_null(w);
		return;
	}
	v = pg_value(r, row, col);
	switch (pg_kind(r, col)) {
	case PGK_BOOL:
		jw_bool(w, v[0] == 't');
		break;
	case PGK_INT:
		jw_number(w, v, pg_len(r, row, col));
		break;
	default:
		jw_str(w, v, pg_len(r, row, col));
		break;
	}
}

void
pg_write_row(struct jw *w, const struct pg_res *r, size_t row)
{
	size_t col, n = pg_ncols(r);

	jw_obj_open(w);
	for (col = 0; col < n; col++) {
		jw_keyz(w, pg_name(r, col));
		pg_write_value(w, r, row, col);
	}
	jw_obj_close(w);
}
