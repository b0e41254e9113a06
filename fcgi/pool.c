/*
 * The connection pool (see pool.h).  Each tenant has a short list of
 * slots, one per backend kind it has used, searched by the kind's
 * address: a tenant uses a handful of kinds at most.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "req.h"

struct slot {
	const struct backend *b;
	const char *tenant; /* its name, for the metrics */
	enum bk kind;	    /* from b->name */
	int opened;	    /* a connection was opened before */
	void *conn;
	unsigned timeouts; /* connect timeouts in a row */
	uint64_t retry_at; /* monotonic ms: no connect before */
};

struct tslots {
	struct slot *s;
	size_t n, cap;
};

struct pool {
	struct tslots *t; /* one per tenant */
	size_t nt;
	uint64_t backoff_max; /* ms, 0: off */
	enum bk taken;	      /* kind of the last connection handed out */
	int taken_kept;	      /* it was a kept one */
};

struct pool *
pool_new(size_t ntenants, long backoff_ms)
{
	struct pool *p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->t = calloc(ntenants ? ntenants : 1, sizeof(*p->t))) == NULL)
		fatal("calloc");
	p->nt = ntenants;
	p->backoff_max = backoff_ms > 0 ? (uint64_t)backoff_ms : 0;
	return p;
}

static void slot_close(struct slot *s, int dropped);

void
pool_free(struct pool *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->nt; i++) {
		for (j = 0; j < p->t[i].n; j++)
			slot_close(&p->t[i].s[j], 0);
		free(p->t[i].s);
	}
	free(p->t);
	free(p);
}

/* Returns the slot of kind b for tenant t, adding it if needed. */
static struct slot *
slot(struct pool *p, const struct tenant *t, const struct backend *b)
{
	struct tslots *ts;
	struct slot *s;
	size_t i;

	if (t->index >= p->nt)
		fatalx("pool: tenant %zu of %zu", t->index, p->nt);
	ts = &p->t[t->index];
	for (i = 0; i < ts->n; i++)
		if (ts->s[i].b == b)
			return &ts->s[i];
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 4;
		if ((s = realloc(ts->s, ts->cap * sizeof(*s))) == NULL)
			fatal("realloc");
		ts->s = s;
	}
	s = &ts->s[ts->n++];
	memset(s, 0, sizeof(*s));
	s->b = b;
	s->tenant = t->name;
	s->kind = met_kind(b->name);
	return s;
}

/* Closes s's connection; dropped: after an error, or found closed. */
static void
slot_close(struct slot *s, int dropped)
{
	if (s->conn != NULL) {
		s->b->close(s->conn);
		met_pooled(s->tenant, s->kind, -1);
		if (dropped)
			met_dropped(s->tenant, s->kind);
	}
	s->conn = NULL;
}

/* Remembers the outcome of a connect for the back-off. */
static void
backoff(const struct pool *p, struct slot *s, enum err e)
{
	uint64_t ms = POOL_BACKOFF_MIN;
	unsigned i;

	if (e != E_TIMEOUT || p->backoff_max == 0) {
		s->timeouts = 0;
		s->retry_at = 0;
		return;
	}
	for (i = 0; i < s->timeouts && ms < p->backoff_max; i++)
		ms *= 2;
	if (ms > p->backoff_max)
		ms = p->backoff_max;
	s->timeouts++;
	s->retry_at = now_us() / 1000 + ms;
}

enum err
pool_get(struct pool *p, const struct tenant *t, const struct backend *b,
    void *ctx, uint64_t deadline, void **conn, int *reused, char *why,
    size_t whylen)
{
	struct slot *s = slot(p, t, b);
	enum err e;
	uint64_t now;

	if (reused != NULL)
		*reused = 0;
	p->taken = s->kind;
	p->taken_kept = 0;
	if (s->conn != NULL) {
		if (b->usable == NULL || b->usable(s->conn)) {
			p->taken_kept = 1;
			if (reused != NULL)
				*reused = 1;
			*conn = s->conn;
			return E_OK;
		}
		log_info("tenant '%s': kept %s connection closed by the server",
		    t->name, b->name);
		slot_close(s, 1);
	}
	now = now_us() / 1000;
	if (s->retry_at > now) {
		snprintf(why, whylen,
		    "%s: backing off for %llu ms after a connect timeout",
		    b->name, (unsigned long long)(s->retry_at - now));
		return E_TIMEOUT;
	}
	e = b->open(ctx, deadline, &s->conn, why, whylen);
	backoff(p, s, e);
	met_connect(t->name, s->kind, s->opened, e != E_OK);
	if (e != E_OK) {
		s->conn = NULL;
		return e;
	}
	s->opened = 1;
	met_pooled(t->name, s->kind, 1);
	*conn = s->conn;
	return E_OK;
}

void
pool_drop(struct pool *p, const struct tenant *t, const struct backend *b)
{
	slot_close(slot(p, t, b), 1);
}

enum bk
pool_kind_taken(struct pool *p, int *kept)
{
	enum bk k = p->taken;

	if (kept != NULL)
		*kept = p->taken_kept;
	p->taken = BK_NONE;
	p->taken_kept = 0;
	return k;
}

size_t
pool_count(const struct pool *p)
{
	size_t i, j, n = 0;

	for (i = 0; i < p->nt; i++)
		for (j = 0; j < p->t[i].n; j++)
			n += p->t[i].s[j].conn != NULL;
	return n;
}
