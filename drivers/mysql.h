/*
 * SQL databases of the ?cmd= dialect: MySQL/MariaDB through libmariadb.
 *
 * One connection per worker, tenant and database (asteriskcdrdb for CDRs,
 * asterisk for the rest; the names are fixed, elastix-api.md §2.1),
 * opened lazily and kept across requests, dropped on any connection
 * error.  DB_HOST=localhost means the unix socket DB_SOCKET (default
 * /run/mysqld/mysqld.sock); connect, read and write run under the
 * backend_timeout.  Statements are always prepared and take bound
 * parameters; rows are fetched one at a time (nothing buffers the result
 * set) and handed to a callback or straight into a JSON writer, typed as
 * PHP >= 8.1 pdo_mysql types them (§1.4).
 *
 * Errors are E_BACKEND with PDO's exception text as the request's public
 * message (the reference puts it in its 503 bodies, the golden corpus
 * checks it); the same text goes to the log.
 */
#ifndef PBXAPI_MYSQL_H
#define PBXAPI_MYSQL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct jw;
struct req;

/* The databases, by role. */
enum sql_db {
	SQL_CDR,      /* asteriskcdrdb */
	SQL_ASTERISK, /* asterisk */
	SQL_DB__MAX
};

enum sql_ptype { SQLP_NULL, SQLP_STR, SQLP_INT };

/* A bound parameter. */
struct sql_param {
	enum sql_ptype type;
	const char *s; /* SQLP_STR: len bytes, not NUL-terminated */
	size_t len;
	int64_t i; /* SQLP_INT */
};

/* A statement and its parameters (one per '?', in order). */
struct sql_stmt {
	const char *text;
	const struct sql_param *params;
	size_t nparams;
};

/* How a column prints in JSON (elastix-api.md §1.4). */
enum sql_kind {
	SQLK_STR,    /* string: char, text, datetime, decimal, ... */
	SQLK_INT,    /* number: tinyint ... bigint, year */
	SQLK_DOUBLE, /* number: float, double */
};

struct sql_col {
	const char *name;
	size_t namelen;
	enum sql_kind kind;
};

/* A value of the current row; s is NUL-terminated, valid until the next. */
struct sql_val {
	const char *s;
	size_t len;
	int null;
};

/*
 * Called for each row.  Returns E_OK to go on, or the error to stop the
 * query with (its public message set through req_error).
 */
typedef enum err (*sql_row_fn)(void *ctx, const struct sql_col *cols,
    const struct sql_val *vals, size_t ncols);

struct sql_driver;

/* An open database; drivers embed it first in their own handle. */
struct sql_conn {
	const struct sql_driver *drv;
};

/* A database backend.  A NULL slot is an operation it does not have. */
struct sql_driver {
	const char *name;
	/* Returns E_OK with *c usable until the request ends. */
	enum err (*open)(struct req *r, enum sql_db db, struct sql_conn **c);
	/* Runs a statement without a result set; *affected may be NULL. */
	enum err (*exec)(struct req *r, struct sql_conn *c,
	    const struct sql_stmt *st, uint64_t *affected);
	/* Runs a query, calling fn for every row. */
	enum err (*query)(struct req *r, struct sql_conn *c,
	    const struct sql_stmt *st, sql_row_fn fn, void *ctx);
};

extern const struct sql_driver mysql_driver;

/*
 * Opens (or reuses) the worker's connection to db for r's tenant.
 * Returns E_OK, E_NOTSUP if the driver has no such operation, or
 * E_BACKEND with PDO's message (connect errors read
 * "SQLSTATE[HY000] [<code>] <text>", as mysqlnd words them).
 */
static inline enum err
sql_open(const struct sql_driver *d, struct req *r, enum sql_db db,
    struct sql_conn **c)
{
	if (d->open == NULL)
		return E_NOTSUP;
	return d->open(r, db, c);
}

/*
 * Runs st on c.  Returns E_OK (with the affected row count in *affected
 * if not NULL), E_NOTSUP, or E_BACKEND with PDO's message
 * ("SQLSTATE[<state>]: <class text>: <code> <text>").
 */
static inline enum err
sql_exec(struct req *r, struct sql_conn *c, const struct sql_stmt *st,
    uint64_t *affected)
{
	if (c->drv->exec == NULL)
		return E_NOTSUP;
	return c->drv->exec(r, c, st, affected);
}

/*
 * Runs the query st on c and calls fn(ctx, ...) for each row as it
 * arrives.  Returns E_OK, E_NOTSUP, E_BACKEND as sql_exec, or the error
 * the callback stopped with.
 */
static inline enum err
sql_query(struct req *r, struct sql_conn *c, const struct sql_stmt *st,
    sql_row_fn fn, void *ctx)
{
	if (c->drv->query == NULL)
		return E_NOTSUP;
	return c->drv->query(r, c, st, fn, ctx);
}

/*
 * Runs the query st and writes its rows to w as a JSON array of objects
 * (column names as keys, in column order; integers as numbers, NULL as
 * null, everything else as strings).  Returns as sql_query.
 */
enum err sql_query_json(
    struct req *r, struct sql_conn *c, const struct sql_stmt *st, struct jw *w);

/*
 * Runs the query st on c and sets *found to whether it returned a row.
 * Returns as sql_query.
 */
enum err sql_exists(
    struct req *r, struct sql_conn *c, const struct sql_stmt *st, int *found);

/*
 * Returns the length in characters of the n UTF-8 bytes at s, as MySQL
 * measures a value against a utf8mb4 VARCHAR(n).
 */
size_t sql_chars(const char *s, size_t n);

/* Writes one row as a JSON object (the typing of sql_query_json). */
void sql_row_json(struct jw *w, const struct sql_col *cols,
    const struct sql_val *vals, size_t n);

/*
 * PDO's texts, for the driver and its tests.  pdo_sqlstate_text returns
 * the description PDO prints for an SQLSTATE ("Integrity constraint
 * violation"), or "<<Unknown error>>".
 */
const char *pdo_sqlstate_text(const char *state);

/*
 * Formats a connect failure as PDO with mysqlnd reports it into dst (size
 * bytes): "SQLSTATE[HY000] [<code>] <text>".  libmariadb's client errors
 * are reworded as mysqlnd words them ("[2002] Connection refused", "[2002]
 * No such file or directory", "[2002] php_network_getaddresses: ...").
 */
void pdo_connect_msg(char *dst, size_t size, unsigned code, const char *msg);

/*
 * Returns the number in the trailing "(N)" libmariadb appends to its
 * socket errors ("Can't connect to server on 'h' (111)"), or 0.
 */
int mysql_msg_errno(const char *msg);

/*
 * Formats a statement failure as PDO does into dst (size bytes):
 * "SQLSTATE[<state>]: <class text>: <code> <msg>".
 */
void pdo_stmt_msg(
    char *dst, size_t size, const char *state, unsigned code, const char *msg);

#endif
