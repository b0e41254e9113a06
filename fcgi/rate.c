/*
 * Token bucket arithmetic (see rate.h).
 */
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "rate.h"

uint64_t
rate_interval_us(const struct rate *r)
{
	uint64_t t;

	if (r->n <= 0)
		return 1;
	t = (uint64_t)r->per_ms * 1000 / (uint64_t)r->n;
	return t > 0 ? t : 1;
}

void
rate_take(
    const struct rate *r, uint64_t tat, uint64_t now, struct rate_verdict *v)
{
	uint64_t t = rate_interval_us(r), cap, base, next;

	/* burst <= LIM_RATE_MAX, t <= 100 days: cap fits in 64 bits. */
	cap = (uint64_t)r->burst * t;
	base = tat > now ? tat : now;
	next = base + t;
	v->limit = r->burst;
	if (next - now > cap) {
		v->ok = 0;
		v->tat = tat;
		v->remaining = 0;
		v->retry_us = next - now - cap;
		v->reset_us = base - now;
		return;
	}
	v->ok = 1;
	v->tat = next;
	v->remaining = (long)((cap - (next - now)) / t);
	v->retry_us = 0;
	v->reset_us = next - now;
}

long
rate_secs(uint64_t us)
{
	return (long)((us + 999999) / 1000000);
}
