/*
 * Rate limits, quotas and the origination cap (docs/operations.md, "Rate
 * limits").  After a request authenticated and named its command,
 * dispatch asks ratelimit_check() whether it may run: the token's
 * bucket, the tenant's bucket and, for a command that places a call
 * (C_ORIGINATE), the tenant's origination bucket and concurrency cap.
 * The buckets live in a shared mapping the master makes before it forks
 * (per host) or in Redis when the `redis` setting names one (shared by
 * every host); the arithmetic is fcgi/rate.h's either way.
 */
#ifndef PBXAPI_RATELIMIT_H
#define PBXAPI_RATELIMIT_H

#include <stdint.h>

#include "err.h"
#include "rate.h"

struct req;
struct reply;
struct tenant;
struct limit_conf;

/* Bucket kinds; a bucket's key is its kind, the tenant and the token. */
enum rl_kind { RL_TOKEN, RL_TENANT, RL_ORIGINATE, RL__MAX };

/* What the request met, for its headers and its end. */
struct rl_note {
	int limited;	       /* some bucket applied: send headers */
	int open;	       /* the store failed open: no limit */
	struct rate_verdict v; /* the tightest (or the refusing) one */
	int orig_slot;	       /* per host: its concurrency slot, or -1 */
	char orig_member[24];  /* Redis: its member, "" if none */
};

/* Master, before forking: maps the per-host tables.  Returns 0 or -1. */
int ratelimit_init(void);

/*
 * Returns E_OK if r may run its command (r->cmd, r->tenant, r->token_id
 * set), E_TOOMANY with the public message set if a limit refuses it, or
 * E_BACKEND if Redis is unreachable and redis.fail is closed.  Sets
 * r->rl when a limit applies.
 */
enum err ratelimit_check(struct req *r);

/*
 * After the command ran with result e and (if E_OK) reply status: an
 * origination that failed with a client error (4xx) frees its
 * concurrency slot, any other holds it for limit.originate_hold; a
 * hangup answered 2xx frees the tenant's slot that would expire first.
 */
void ratelimit_done(struct req *r, enum err e, int status);

/* Adds RateLimit-Limit/-Remaining/-Reset (and Retry-After) to rp. */
void ratelimit_headers(const struct req *r, struct reply *rp);

/*
 * The shared store (fcgi/rl_redis.c).  rl_redis_take() takes one request
 * from each of the n buckets keys[i] of rates rates[i], all or none,
 * into v[i]; rl_redis_conc_*() keep a tenant's in-flight originations.
 * Each returns 0, or -1 when Redis cannot answer within redis.timeout.
 */
int rl_redis_take(const struct req *r, const char *const *keys,
    const struct rate *const *rates, int n, struct rate_verdict *v);
int rl_redis_conc_take(const struct req *r, const char *key, long cap,
    const char *member, uint64_t stale_us, struct rate_verdict *v);
int rl_redis_conc_set(
    const struct req *r, const char *key, const char *member, uint64_t hold_us);
int rl_redis_conc_pop(const struct req *r, const char *key);

#endif
