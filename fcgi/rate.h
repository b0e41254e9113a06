/*
 * Token bucket arithmetic, as GCRA (the generic cell rate algorithm): a
 * bucket is one number, its theoretical arrival time (TAT), the time at
 * which it will be full again, so a take is a compare-and-swap of one
 * word in shared memory or one GET/SET in Redis.  A bucket of rate n per
 * per_ms holds burst requests; each request moves the TAT on by one
 * interval T = per_ms / n, and a request is allowed while the TAT stays
 * within burst intervals of now.  Times are microseconds on one clock
 * (the monotonic one per host, Redis's TIME when shared).
 */
#ifndef PBXAPI_RATE_H
#define PBXAPI_RATE_H

#include <stdint.h>

struct rate;

struct rate_verdict {
	int ok;		   /* the request may go */
	uint64_t tat;	   /* the bucket's TAT once the request took */
	long limit;	   /* the burst: what a full bucket holds */
	long remaining;	   /* requests left now, after this one */
	uint64_t retry_us; /* not ok: until one request fits again */
	uint64_t reset_us; /* until the bucket is full again */
};

/* Returns the interval T of r in microseconds (at least 1). */
uint64_t rate_interval_us(const struct rate *r);

/*
 * Takes one request from the bucket of rate r whose TAT is tat (0: a full
 * bucket) at time now, into v.  A now before an earlier one (a clock that
 * went back) refills nothing and only makes the waits longer: nothing
 * wraps.  Never fails.
 */
void rate_take(
    const struct rate *r, uint64_t tat, uint64_t now, struct rate_verdict *v);

/* Returns us in whole seconds rounded up (Retry-After, RateLimit-Reset). */
long rate_secs(uint64_t us);

#endif
