/*
 * The MySQL/MariaDB driver (libmariadb): a client of one database.
 *
 * A connection (struct sql) is opened with sql_open() and kept by its
 * owner (the connection pool) across requests.  Connect, read and write
 * run under the timeout of the settings.  Statements are always prepared
 * and take bound parameters; rows are fetched one at a time (nothing
 * buffers the result set) and handed to a callback or straight into a
 * JSON writer, typed as PHP >= 8.1 pdo_mysql types them (elastix-api.md
 * §1.4).
 *
 * Errors are a status and PDO's exception text in the caller's buffer
 * (the elastix dialect shows it in its 503 bodies, as the reference did
 * and the golden corpus checks).  After an error sql_broken() says
 * whether the connection is still usable, and sql_retryable() whether
 * the statement never ran because the server had gone (a kept
 * connection the server closed), so that the owner may try once more on
 * a new connection.
 */
#ifndef PBXAPI_MYSQL_H
#define PBXAPI_MYSQL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct arena;
struct jw;
struct sql;

/* Where and as whom to connect. */
struct sql_conf {
	const char *host; /* "localhost": the unix socket, port unused */
	long port;
	const char *socket; /* the unix socket path */
	const char *user;
	const char *password;
	const char *charset; /* "" or NULL: the server's */
	const char *dbname;
	long timeout_ms; /* connect, read and write (whole seconds) */
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
 * query with (the callback keeps its own message in ctx).
 */
typedef enum err (*sql_row_fn)(void *ctx, const struct sql_col *cols,
    const struct sql_val *vals, size_t ncols);

/*
 * Connects.  Returns E_OK with *out, or E_BACKEND with PDO's message in
 * why ("SQLSTATE[HY000] [<code>] <text>", as mysqlnd words it).
 */
enum err sql_open(
    const struct sql_conf *cf, struct sql **out, char *why, size_t whylen);

/* Closes the connection (NULL is ignored). */
void sql_close(void *c);

/* Returns 1 once the connection must not be used any more. */
int sql_broken(const struct sql *c);

/*
 * Returns 1 if the last failure came before the statement ran, from a
 * server that had closed the connection: a retry on a new one is safe.
 */
int sql_retryable(const struct sql *c);

/*
 * Runs st.  Returns E_OK (with the affected row count in *affected if
 * not NULL), or E_BACKEND with PDO's message in why ("SQLSTATE[<state>]:
 * <class text>: <code> <text>").
 */
enum err sql_exec(struct sql *c, struct arena *a, const struct sql_stmt *st,
    uint64_t *affected, char *why, size_t whylen);

/*
 * Runs the query st and calls fn(ctx, ...) for each row as it arrives.
 * Returns E_OK, E_BACKEND as sql_exec, or the error the callback stopped
 * with (why untouched).
 */
enum err sql_query(struct sql *c, struct arena *a, const struct sql_stmt *st,
    sql_row_fn fn, void *ctx, char *why, size_t whylen);

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
