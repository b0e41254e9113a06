/*
 * The {"action": ...} dialect at /app/rest_api/rest.php: the twin of the
 * PHP FusionPBX REST API app (fusionpbx.md), over the tenant's FusionPBX
 * PostgreSQL database and the FreeSWITCH event socket.  Its command
 * families (read.c, create.c, call.c) share
 * the backend, reply and validation helpers declared here.
 */
#ifndef PBXAPI_FUSIONPBX_H
#define PBXAPI_FUSIONPBX_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"

struct arena;
struct buf;
struct esl;
struct jw;
struct pg_res;
struct pg_stmt;
struct reply;
struct req;
struct tenant;

extern const struct dialect fusionpbx_dialect;

/* Its command families, one file each (fusionpbx_dialect lists them). */
extern const struct family fusionpbx_read_family;
extern const struct family fusionpbx_create_family;
extern const struct family fusionpbx_call_family;

#define FPX_UUID_LEN 36 /* canonical text form */

/* The reference's error shapes (fpx_error). */
enum fpx_shape {
	FPX_SHAPE_PLAIN,   /* {"error":"<message>"} and its kin */
	FPX_SHAPE_MISSING, /* nested, the missing parameter in r->errmsg */
	FPX_SHAPE_NOAPP,   /* nested "unknown app" */
};

/* The dialect's per-request state (r->dctx), made by the key check. */
struct fpx_req {
	char key_domain[FPX_UUID_LEN + 1]; /* "" for a key of any domain */
	enum fpx_shape shape;
};

/* App uuids FusionPBX files rows under (fusionpbx.md §3). */
#define FPX_APP_REST_API    "2bfe71d9-e112-4b8b-bcff-75aeb0e06302"
#define FPX_APP_INBOUND	    "c03b422e-13a8-bd1b-e42b-b6b9b4d27ce4"
#define FPX_APP_RING_GROUPS "1d61fb65-1eec-bc73-a6ee-a6203b4fe6f2"

/* ---- backend (backend.c) ---- */

/* Cache-delete methods (fusionpbx.md §4). */
enum fpx_cache { FPX_CACHE_OFF, FPX_CACHE_FILE, FPX_CACHE_MEMCACHE };

/*
 * Returns 1 if tenant t serves this dialect: it sets a FUSIONPBX_* key,
 * or it is "default" and no tenant sets one.
 */
int fpx_tenant_enabled(const struct req *r, const struct tenant *t);

/* Returns 1 if t sets a FUSIONPBX_* key of its own. */
int fpx_tenant_has_keys(const struct tenant *t);

/*
 * Readiness (/readyz), as ast_probe (asterisk.h): kinds "pgsql
 * fusionpbx" (t sets a FUSIONPBX_* key) and "esl" (t sets an ESL_* or a
 * FUSIONPBX_* key).  fpx_probe takes r->tenant's pooled connection of
 * that kind before deadline.  Returns E_OK, E_NOTFOUND for another kind,
 * or E_BACKEND, E_TIMEOUT or E_PROTO with the reason in why.
 */
int fpx_probe_wants(const struct tenant *t, const char *kind);
enum err fpx_probe(struct req *r, const char *kind, uint64_t deadline,
    char *why, size_t whylen);

/*
 * Looks up the key id (canonical uuid) in tenant t's database and checks
 * the secret.  Returns E_OK (the key holds: r->tenant, r->scopes and the
 * key's domain are set), E_NOTFOUND (no such key in this tenant),
 * E_UNAUTH (wrong secret), or a backend error with r->errmsg set.
 */
enum err fpx_key_check(struct req *r, const struct tenant *t,
    const char *key_uuid, const char *secret, size_t slen);

/*
 * Runs a statement on the request tenant's database, connecting first
 * if needed (a statement without a name runs unprepared).  Returns E_OK,
 * E_BADREQ if the server rejected it (the reference's "select returned
 * false"), or E_BACKEND / E_TIMEOUT with the public message in
 * r->errmsg.
 */
enum err fpx_db(struct req *r, const struct pg_stmt *st,
    const char *const *vals, struct pg_res **out);

/*
 * Returns E_OK if the request's key may touch domain_uuid (a key with no
 * domain may touch any), else E_FORBIDDEN.
 */
enum err fpx_domain_allowed(struct req *r, const char *domain_uuid);

/* Returns the key's domain (canonical uuid), or NULL for an open key. */
const char *fpx_key_domain(struct req *r);

/*
 * Returns the tenant's event-socket connection, opening and
 * authenticating it if needed (deadline backend_timeout).  Returns E_OK
 * with *out, or E_BACKEND / E_TIMEOUT / E_PROTO with a log line.
 */
enum err fpx_esl(struct req *r, struct esl **out);

/* Drops the tenant's event-socket connection (after an error). */
void fpx_esl_drop(struct req *r);

/* The originate wait (ESL_TIMEOUT, default 45 s), in milliseconds. */
long fpx_originate_ms(struct req *r);

/* The cache-delete method and directory of the request's tenant. */
enum fpx_cache fpx_cache_method(struct req *r, const char **dir);

/*
 * The domain a writing action targets (create.c): checks that
 * the key may touch it and reads its domain_name.  Returns E_OK with
 * *name, notfound with "domain not found" when there is no such domain
 * or the uuid is malformed (the reference's status differs per action),
 * E_FORBIDDEN, or a backend error.
 */
enum err fpx_target_domain(struct req *r, const char *domain_uuid,
    enum err notfound, const char **name);

/* ---- FusionPBX's save() (save.c) ---- */

/* A table the creates write: its JSON name, columns and INSERT. */
struct fpx_table {
	const char *name; /* "extensions", as in FusionPBX's arrays */
	const char *const *cols;
	size_t ncols;
	const struct pg_stmt *insert; /* all cols as $1..$n */
};

extern const struct fpx_table fpx_t_ext, fpx_t_vm, fpx_t_dest, fpx_t_dp,
    fpx_t_dpd, fpx_t_rg, fpx_t_rgd;

/* One row to insert: a value per column (NULL is SQL NULL). */
struct fpx_row {
	const struct fpx_table *t;
	const char **vals;
	int parent; /* index of the row it belongs to, -1 for none */
};

/*
 * Begins a transaction and takes the advisory lock named lock for it.
 * Returns as fpx_db.
 */
enum err fpx_tx_begin(struct req *r, const char *lock);

/*
 * Inserts the n rows in order, then the v_database_transactions row.
 * Returns as fpx_db; the caller aborts on failure.
 */
enum err fpx_tx_save(struct req *r, const struct fpx_row *rows, size_t n);

/* Commits (E_BADREQ: rolled back).  Returns as fpx_db. */
enum err fpx_tx_commit(struct req *r);

/* Rolls back, keeping r's error message. */
void fpx_tx_abort(struct req *r);

/* Appends the n bytes of compact JSON at s as JSON_PRETTY_PRINT would. */
void fpx_json_pretty(struct buf *out, const char *s, size_t n);

/* ---- dialect helpers (fusionpbx.c) ---- */

/* Starts a JSON reply (PHP json_encode rules) with status. */
struct jw *fpx_json(struct reply *rp, int status);

/* The reference's answer to a failed select: 200 with the body false. */
enum err fpx_false(struct reply *rp);

/* Returns the validated argument i as a C string, or NULL if absent. */
const char *fpx_arg(const struct req *r, size_t i);

/* Returns 1 if argument i is PHP-truthy. */
int fpx_truthy(const struct req *r, size_t i);

/* ---- pure helpers (util.c) ---- */

/*
 * Parses a uuid the way PostgreSQL's uuid_in does (32 hex digits, an
 * optional '-' after any group of four, optional braces) into canonical
 * lower-case text (FPX_UUID_LEN + 1 bytes).  Returns 0 or -1.
 */
int fpx_uuid_parse(const char *s, size_t n, char out[FPX_UUID_LEN + 1]);

/* Writes a new random (version 4) uuid. */
void fpx_uuid_new(char out[FPX_UUID_LEN + 1]);

/*
 * FusionPBX's generate_password(len, strength): strength 1 digits, 2
 * adds lower-case (no 'l'), 3 upper-case (no 'O'), 4 "!^$%*?.".
 * Writes len characters and a NUL.
 */
void fpx_password(char *out, size_t len, int strength);

/*
 * PHP's base64_decode() in its default, non-strict mode: characters
 * outside the alphabet are skipped, '=' ends nothing.  Returns an arena
 * buffer (NUL-terminated) with its length in *outlen.
 */
char *fpx_base64_decode(
    struct arena *a, const char *s, size_t n, size_t *outlen);

/* Appends the n bytes at s to b with & < > " ' as entities. */
void fpx_xml_escape(struct buf *b, const char *s, size_t n);

/* Appends s to b with the PCRE metacharacters backslash-escaped. */
void fpx_regex_escape(struct buf *b, const char *s);

/*
 * Re-encodes the JSON text at s the way json_encode(json_decode(s))
 * does in PHP (objects stay objects, "\/", \uXXXX, numbers as PHP
 * prints them).  Returns 1 and appends to b if the decoded value is
 * truthy, 0 if it is falsy, -1 if PHP could not decode it.
 */
int fpx_json_php(struct buf *b, const char *s, size_t n);

/* Validators (0 = acceptable), see fusionpbx.md §5. */
int fpx_v_number(const char *s, size_t n);   /* DID: \+?[0-9]{1,32} */
int fpx_v_exten(const char *s, size_t n);    /* [A-Za-z0-9_.-]{1,32} */
int fpx_v_target(const char *s, size_t n);   /* dial token, 1-32 */
int fpx_v_rgexten(const char *s, size_t n);  /* [A-Za-z0-9_#-]{1,32} */
int fpx_v_text(const char *s, size_t n);     /* no control bytes */
int fpx_v_strategy(const char *s, size_t n); /* the five strategies */

#endif
