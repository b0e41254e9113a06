/*
 * Token bucket arithmetic (see rate.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "limits.h"
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

int
parse_rate(const char *s, struct rate *r)
{
	char unit[32], *end;
	long n, burst;
	size_t u;

	if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0) {
		memset(r, 0, sizeof(*r));
		return 0;
	}
	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s || errno != 0 || n < 1 || n > LIM_RATE_MAX || *end != '/')
		return -1;
	s = end + 1;
	u = strcspn(s, " \t");
	/* "N/s" is "N/1s". */
	if (u == 0 || u + 2 > sizeof(unit))
		return -1;
	snprintf(unit, sizeof(unit), "%s%.*s",
	    isdigit((unsigned char)*s) ? "" : "1", (int)u, s);
	if (parse_duration(unit, &r->per_ms) == -1 || r->per_ms < 1)
		return -1;
	s += u;
	s += strspn(s, " \t");
	burst = n;
	if (strncmp(s, "burst", 5) == 0 && (s[5] == ' ' || s[5] == '\t')) {
		errno = 0;
		burst = strtol(s + 6, &end, 10);
		if (end == s + 6 || errno != 0 || burst < 1 ||
		    burst > LIM_RATE_MAX)
			return -1;
		s = end + strspn(end, " \t");
	}
	if (*s != '\0')
		return -1;
	r->n = n;
	r->burst = burst;
	return 0;
}
