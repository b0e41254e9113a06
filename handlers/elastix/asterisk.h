/*
 * The tenant's Asterisk as the ?cmd= dialect reaches it: AMI, ARI and the
 * two MySQL databases (asteriskcdrdb for CDRs, asterisk for the rest;
 * elastix-api.md §2.1) as kinds of the connection pool, with their
 * settings from the tenant's .env keys and the PBX's own files
 * (handlers/host/pbxconf.c), and one call per operation that takes the
 * pooled connection, retries once on a fresh one when a kept connection
 * turns out dead before the operation ran, drops a connection after an
 * error, and sets the request's public message to the driver's text (the
 * reference's, which the golden corpus checks).
 */
#ifndef PBXAPI_ASTERISK_H
#define PBXAPI_ASTERISK_H

#include <stddef.h>
#include <stdint.h>

#include "ami.h"
#include "ari.h"
#include "err.h"
#include "mysql.h"

struct jw;
struct req;
struct tenant;

/* The databases, by role. */
enum ast_db {
	AST_CDRDB, /* asteriskcdrdb */
	AST_DB,	   /* asterisk */
};

/*
 * Runs an AMI action for r's tenant.  Returns as ami_action(), with the
 * driver's text as the public message.
 */
enum err ast_ami(
    struct req *r, const struct ami_action *act, struct ami_reply *out);

/*
 * Runs an ARI request for r's tenant.  Returns as ari_request(); with
 * ARI_ENABLED off, E_BACKEND with "ARI is disabled. ..." in *e.
 */
enum err ast_ari(struct req *r, const struct ari_call *call,
    struct ari_reply *out, struct ari_err *e);

/* Like ast_ari(), but returns the reply as it came (ari_forward()). */
enum err ast_ari_forward(struct req *r, const struct ari_call *call,
    struct ari_raw *out, struct ari_err *e);

/*
 * Connects to the tenant's database db now, or finds the kept connection
 * usable: the reference connected (PDO's constructor) before it looked
 * at its input, so a database that is down answers first.  Returns as
 * ast_sql_exec.
 */
enum err ast_sql_open(struct req *r, enum ast_db db);

/*
 * Runs a statement on the tenant's database db.  Return E_OK or
 * E_BACKEND with PDO's text as the public message (connect errors read
 * "SQLSTATE[HY000] [<code>] <text>"); ast_sql_query also returns what
 * the callback stopped with.  ast_sql_json writes the rows to w as a
 * JSON array of objects (sql_row_json); ast_sql_exists sets *found.
 */
enum err ast_sql_exec(struct req *r, enum ast_db db, const struct sql_stmt *st,
    uint64_t *affected);
enum err ast_sql_query(struct req *r, enum ast_db db, const struct sql_stmt *st,
    sql_row_fn fn, void *ctx);
enum err ast_sql_json(
    struct req *r, enum ast_db db, const struct sql_stmt *st, struct jw *w);
enum err ast_sql_exists(
    struct req *r, enum ast_db db, const struct sql_stmt *st, int *found);

/*
 * Readiness (/readyz): kind is a pool kind's name ("ami", "ari", "mysql
 * asteriskcdrdb", "mysql asterisk").  ast_probe_wants returns 1 if
 * tenant t is configured for it: "ami" if t sets an AMI_* key, or t is
 * the default tenant and sets no FUSIONPBX_* or RECORDING_DB_* key (the
 * elastix defaults reach the local Asterisk); "ari" with ARI_ENABLED;
 * the two databases if t sets a DB_* key.  ast_probe takes r->tenant's
 * pooled connection of that kind (a kept one if still usable) before
 * deadline; for ARI, whose handle opens nothing, it connects to
 * ARI_HOST:ARI_PORT.  Returns E_OK, E_NOTFOUND for another kind, or
 * E_BACKEND, E_TIMEOUT or E_PROTO with the reason in why.
 */
int ast_probe_wants(const struct tenant *t, const char *kind);
enum err ast_probe(struct req *r, const char *kind, uint64_t deadline,
    char *why, size_t whylen);

#endif
