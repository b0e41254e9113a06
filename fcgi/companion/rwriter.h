/*
 * The Redis writer of the lease holder's companion (the redis setting;
 * docs/operations.md, "Scale-out"): one thread that writes the WCS
 * calls' statuses (shared.h's records) and the journal's events (the
 * tenant's stream) to Redis, fed by the sources through a bounded queue
 * so that a source never waits for Redis.  A full queue (cap writes, or
 * 8 MB of events) drops the newest write (counted); a write whose
 * connection fails waits at the head for the next connection (every
 * 500 ms), one Redis refuses is dropped (counted, logged at most every
 * 10 s).  Every write checks in its script that this companion's run
 * still holds the tenant's lease (its fence, lease.h), so that a host,
 * or a companion a SIGHUP retired, that lost it cannot overwrite its
 * successor; what was queued under a lease since lost is forgotten.
 */
#ifndef PBXAPI_RWRITER_H
#define PBXAPI_RWRITER_H

#include <stddef.h>
#include <stdint.h>

struct rwriter;
struct wcs_call;

struct rw_stats {
	uint64_t written; /* writes Redis took */
	uint64_t dropped; /* the queue was full */
	uint64_t failed;  /* Redis failed, or refused one */
	uint64_t fenced;  /* not written: the lease is another node's */
	uint64_t lookups; /* calls looked up by a source (rw_lookup) */
	size_t queued;
};

/*
 * Makes the writer for Redis at addr (every command within ms) fenced by
 * the leases' value fence (lease.h: node "\n" run), its queue cap
 * writes long, streams capped near journal_len events, finished calls
 * kept retain_ms.  NULL: no memory.
 */
struct rwriter *rw_new(const char *addr, long ms, const char *fence, size_t cap,
    size_t journal_len, long retain_ms);

/* Forgets tenant's queued writes (its lease was lost; w NULL: none). */
void rw_forget(struct rwriter *w, const char *tenant);

/* Starts its thread.  Returns 0, or -1 with why. */
int rw_start(struct rwriter *w, char *err, size_t len);

/*
 * Queue writes; they never block.  tenant must live as long as the
 * writer (the configuration's).  rw_call: call c's status fields (its
 * record must exist: a dropped call is not made again); rw_event: the
 * journal's event id with its JSON.
 */
void rw_call(struct rwriter *w, const char *tenant, const struct wcs_call *c);
void rw_event(struct rwriter *w, const char *tenant, uint64_t id,
    const char *json, size_t len);

/* Counts a source's lookup of a call in Redis. */
void rw_lookup(struct rwriter *w);

void rw_stats(struct rwriter *w, struct rw_stats *out);

#endif
