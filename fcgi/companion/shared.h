/*
 * The WCS call registry, the Idempotency-Keys and the journal shared by
 * the hosts through Redis (the redis setting; docs/operations.md,
 * "Scale-out"): a callId and an Idempotency-Key reserved through one
 * host are seen by every other, so a duplicate callId is 409 and a
 * retried key answers as the first request wherever it lands; a call's
 * record holds its meta and status, which the lease holder's companion
 * keeps up to date (rwriter.h), so that any host finds it; the lease
 * holder's events are in a capped stream that any host reads.  A struct
 * shared is one connection: one thread's (the local interface's, a
 * source's).  Every command is under the redis.timeout given.
 */
#ifndef PBXAPI_SHARED_H
#define PBXAPI_SHARED_H

#include <stddef.h>
#include <stdint.h>

struct shared;

/*
 * addr and ms: the redis and redis.timeout settings; pending_ms: longer
 * than any startup runs (a reservation or running key lasts that long
 * until its outcome makes it 24 h).  NULL: out of memory; no connection
 * is made yet.
 */
struct shared *shared_new(const char *addr, long ms, long pending_ms);

/*
 * Reserves tenant's callId id and key ("-": none) for 24 h, the call
 * PENDING with meta's callee, caller, visible, has_audio, has_video.  Returns 1
 * (reserved), 0 with "seen STATUS" or "conflict" in out, -1 with why in
 * out (Redis failed).
 */
struct wcs_call;
int shared_reserve(struct shared *h, const char *tenant, const char *id,
    const char *key, const struct wcs_call *meta, char *out, size_t len);

/*
 * The outcome of the startup that reserved id (and key): 200 keeps the
 * callId and records the key's status; another status frees the callId
 * and records it; 0 frees both (the reservation is undone).  Returns 0,
 * or -1 with why in out.
 */
int shared_done(struct shared *h, const char *tenant, const char *id,
    const char *key, int status, char *out, size_t len);

/*
 * Idempotency-Key outcomes of other dialects' requests (ARI originate;
 * the verbs idem.* of wcs.h, same answers) in the same Redis hashes.
 * Each returns 1 (OK) or 0 (ERR) with the answer in out; Redis failing
 * is an ERR.
 */
struct buf;
int shared_idem_claim(
    struct shared *h, const char *tenant, const char *key, struct buf *out);
int shared_idem_put(struct shared *h, const char *tenant, const char *key,
    const char *chunk, struct buf *out);
int shared_idem_done(struct shared *h, const char *tenant, const char *key,
    int status, struct buf *out);

/*
 * Calls fn with tenant's call id (NULL: every call) as its record says
 * (the call's meta and status; not held: no call).  Returns 0, or -1
 * with why (Redis failed).
 */
typedef void (*shared_call_fn)(void *ctx, const struct wcs_call *c);
int shared_calls(struct shared *h, const char *tenant, const char *id,
    shared_call_fn fn, void *ctx, char *why, size_t len);

/*
 * The wcs.find verb on the shared registry: as wcs_find (wcs.h), with
 * age on the first line.  Returns 1, or 0 with why in out.
 */
int shared_find(struct shared *h, const char *tenant, const char *filter,
    double age, struct buf *out);

/*
 * The journal verb on the shared journal: st's head (its local state),
 * "first", "last", "gap" and the events after since, at most max.
 * Returns 1, or 0 with why in out.
 */
struct st_tenant;
int shared_journal(struct shared *h, struct st_tenant *st, uint64_t since,
    size_t max, struct buf *out);

/* The last id of tenant's shared journal (0: none).  0, or -1 (why). */
int shared_journal_top(
    struct shared *h, const char *tenant, uint64_t *top, char *why, size_t len);

#endif
