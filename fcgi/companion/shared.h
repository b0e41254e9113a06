/*
 * WCS startup reservations shared by the hosts through Redis (the redis
 * setting; docs/operations.md, "Scale-out"): a callId and an
 * Idempotency-Key reserved through one host are seen by every other, so
 * a duplicate callId is 409 and a retried key answers as the first
 * request wherever it lands.  The companion's own registry (wcs.h) still
 * keeps the calls' statuses.  Used by the local interface's thread only.
 */
#ifndef PBXAPI_SHARED_H
#define PBXAPI_SHARED_H

#include <stddef.h>

struct shared;

/* NULL: out of memory; no connection is made yet. */
struct shared *shared_new(const char *addr, long ms);

/*
 * Reserves tenant's callId id and key ("-": none) for 24 h.  Returns 1
 * (reserved), 0 with "seen STATUS" or "conflict" in out, -1 with why in
 * out (Redis failed).
 */
int shared_reserve(struct shared *h, const char *tenant, const char *id,
    const char *key, char *out, size_t len);

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

#endif
