/*
 * PostgreSQL driver (libpq): one connection, statements prepared once per
 * connection and run with text parameters, every round trip under the
 * caller's deadline (non-blocking libpq and poll), results freed by the
 * request arena.  Column values reach JSON the way PHP's PDO pgsql hands
 * them to json_encode (fusionpbx.md §1.5): booleans stay booleans,
 * int2/int4/int8/oid are numbers, everything else is a string, NULL is
 * null.
 *
 * After E_BACKEND or E_TIMEOUT the connection is unusable and the owner
 * closes it (pg_broken() says so); after E_BADREQ (the server rejected
 * the statement) it stays usable.
 */
#ifndef PBXAPI_PGSQL_H
#define PBXAPI_PGSQL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct arena;
struct jw;
struct pg;
struct pg_res;

#define PG_STMTS_MAX 64 /* prepared statements per connection */

/*
 * A statement: a unique name, its SQL with $1..$n, n.  A statement
 * without a name is not prepared: its SQL is parsed, planned with the
 * values and run in one round trip (SQL built per request from the
 * program's own fragments, e.g. a search with a varying set of filters).
 */
struct pg_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

/* Connection settings; NULL or "" leaves libpq's default. */
struct pg_conninfo {
	const char *host; /* name, address, or a socket directory */
	const char *port;
	const char *dbname;
	const char *user;
	const char *password;
	const char *sslmode;
	long stmt_timeout_ms; /* server-side statement_timeout, 0: none */
	/*
	 * Plan every prepared statement with its values (plan_cache_mode
	 * force_custom_plan): for statements whose best plan depends on
	 * them, never PostgreSQL's generic plan after the fifth run.
	 */
	int custom_plans;
};

enum pg_kind { PGK_STR, PGK_BOOL, PGK_INT };

/*
 * Connects.  Returns E_OK with *out set, E_BACKEND if the server refuses
 * (errbuf has libpq's first line), or E_TIMEOUT past the deadline.
 */
enum err pg_open(const struct pg_conninfo *ci, uint64_t deadline,
    struct pg **out, char *errbuf, size_t errlen);

/* Closes the connection (NULL is ignored). */
void pg_close(void *c);

/* Returns nonzero once the connection must not be used any more. */
int pg_broken(const struct pg *c);

/*
 * Checks a connection before use: notices a server that closed it
 * (restart, pg_terminate_backend) and, with idle set, a transaction left
 * open.  Returns 1 if it is usable.
 */
int pg_usable(struct pg *c, int idle);

/*
 * Runs st with the values vals[0..nparams-1] (NULL is SQL NULL),
 * preparing it first on this connection.  Returns E_OK with *out (freed
 * with the arena), E_BADREQ if the server rejected it (SQLSTATE and
 * message in errbuf), E_BACKEND if the connection failed, or E_TIMEOUT.
 */
enum err pg_exec(struct pg *c, const struct pg_stmt *st,
    const char *const *vals, uint64_t deadline, struct arena *a,
    struct pg_res **out, char *errbuf, size_t errlen);

/* Returns the SQLSTATE of the last E_BADREQ ("" if none). */
const char *pg_sqlstate(const struct pg *c);

/* Result accessors; row and col are in range. */
size_t pg_nrows(const struct pg_res *r);
size_t pg_ncols(const struct pg_res *r);
const char *pg_name(const struct pg_res *r, size_t col);
enum pg_kind pg_kind(const struct pg_res *r, size_t col);
int pg_isnull(const struct pg_res *r, size_t row, size_t col);
const char *pg_value(const struct pg_res *r, size_t row, size_t col);
size_t pg_len(const struct pg_res *r, size_t row, size_t col);

/* The value, or NULL for SQL NULL. */
const char *pg_get(const struct pg_res *r, size_t row, size_t col);

/* Rows an INSERT, UPDATE or DELETE touched. */
long pg_affected(const struct pg_res *r);

/* Writes one value the PDO way (§1.5). */
void pg_write_value(
    struct jw *w, const struct pg_res *r, size_t row, size_t col);

/* Writes a row as an object, columns in result order. */
void pg_write_row(struct jw *w, const struct pg_res *r, size_t row);

#endif
