/*
 * The connection pool: every persistent backend connection of a worker,
 * keyed by tenant and backend kind.  One mechanism for all of them (AMI,
 * ARI, MySQL, PostgreSQL, ESL and whatever a new dialect adds): a
 * connection is opened on first use, kept across requests, checked
 * before it is used again, dropped by its user after an error, and not
 * opened again at once after a connect that timed out (the back-off, if
 * configured), so that a backend that swallows packets costs one
 * deadline, not one per request.
 *
 * A backend kind is a const struct backend: how to open a connection
 * from a tenant's settings, how to tell a kept one still works, how to
 * close it.  The kinds live with the code that knows the settings
 * (handlers/<dialect>/); the drivers they open know nothing of tenants or
 * requests.  A kind may also hold per-tenant state that is not a socket
 * (a cache of verified secrets): then open never fails.
 *
 * A worker serves one request at a time, so nothing here is shared
 * between threads; per-request state never goes into a pooled object.
 * The pool counts, per tenant and backend kind (metrics.h), connects,
 * reconnects, failed connects and the connections it keeps.
 */
#ifndef PBXAPI_POOL_H
#define PBXAPI_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "metrics.h"

struct pool;
struct tenant;

#define POOL_BACKOFF_MIN 500 /* ms after the first connect timeout */

struct backend {
	const char *name; /* "ami", "mysql asterisk": logs and /status */
	/*
	 * Opens a connection before deadline; ctx is what the caller of
	 * pool_get() passed (the request: its tenant's settings).  Returns
	 * E_OK with *conn, or E_BACKEND, E_TIMEOUT or E_PROTO with the
	 * reason in why.
	 */
	enum err (*open)(void *ctx, uint64_t deadline, void **conn, char *why,
	    size_t whylen);
	/*
	 * Returns 1 if a connection kept from an earlier request may be
	 * used again; must not wait.  NULL: always.
	 */
	int (*usable)(void *conn);
	void (*close)(void *conn);
};

/*
 * Returns an empty pool for ntenants tenants (aborts without memory).
 * After a connect timeout, no connect is tried for POOL_BACKOFF_MIN ms,
 * doubling with each timeout in a row up to backoff_ms; 0 turns the
 * back-off off.
 */
struct pool *pool_new(size_t ntenants, long backoff_ms);

/* Closes every connection and frees the pool (NULL is ignored). */
void pool_free(struct pool *p);

/*
 * Returns tenant t's connection of kind b: the kept one if b->usable
 * says it still works (*reused set to 1, may be NULL), else a new one
 * (*reused 0).  Returns E_OK with *conn, the error of b->open with why,
 * or E_TIMEOUT at once ("backing off ...") while the back-off after a
 * connect timeout runs.
 */
enum err pool_get(struct pool *p, const struct tenant *t,
    const struct backend *b, void *ctx, uint64_t deadline, void **conn,
    int *reused, char *why, size_t whylen);

/* Closes and forgets tenant t's connection of kind b, if any. */
void pool_drop(struct pool *p, const struct tenant *t, const struct backend *b);

/*
 * Returns the kind (the first word of its name) of the backend whose
 * connection pool_get() handed out last, with *kept (may be NULL) 1 if
 * it was a kept one, and forgets both: BK_NONE if none since the last
 * call.  req_op() names and counts its operations' backends so.
 */
enum bk pool_kind_taken(struct pool *p, int *kept);

/* Returns the number of open connections (for /status and tests). */
size_t pool_count(const struct pool *p);

#endif
