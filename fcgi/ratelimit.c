/*
 * Rate limits (see ratelimit.h).  Per host, the buckets are a bounded
 * open-addressing table in a shared anonymous mapping: an entry is
 * claimed once (compare-and-swap of its state) and never freed, and a
 * take is a compare-and-swap of the bucket's TAT, so no lock is ever
 * held and a worker killed at any point leaves nothing locked.  The
 * origination cap is a tenant's array of expiry times, one per call
 * that may be in flight; a slot is taken by a compare-and-swap from an
 * expired value, so there are never more calls than slots.
 */
#include <sys/mman.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "dispatch.h"
#include "limits.h"
#include "log.h"
#include "ratelimit.h"
#include "reply.h"
#include "req.h"

/* A worker killed mid-origination frees its slot after this and the hold. */
#define RL_STALE_US (600ULL * 1000000)
/* Spins while another worker writes a key it just claimed. */
#define RL_SPIN	    1000000
/* A failure of the store or a full table is logged at most this often. */
#define RL_LOG_US   (10ULL * 1000000)

struct rl_head {
	_Atomic uint32_t state; /* 0 free, 1 being claimed, 2 in use */
	uint32_t hash;
	char key[LIM_RL_KEY];
};

struct rl_bucket {
	struct rl_head h;
	_Atomic uint64_t tat;
};

struct rl_conc {
	struct rl_head h;
	_Atomic uint64_t until[LIM_ORIG_CONC]; /* 0: free */
};

struct rl_shm {
	struct rl_bucket b[LIM_RL_KEYS];
	struct rl_conc c[LIM_TENANTS];
};

static struct rl_shm *shm;

int
ratelimit_init(void)
{
	void *p;

	if (shm != NULL)
		return 0;
	/* Untouched pages cost nothing: only used entries are backed. */
	p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	shm = p;
	return 0;
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Logs msg unless it was logged less than RL_LOG_US ago (per worker). */
static void
log_rarely(uint64_t *last, const char *what, const char *key)
{
	uint64_t now = now_us();

	if (*last != 0 && now - *last < RL_LOG_US)
		return;
	*last = now;
	log_warnx("rate limit: %s ('%s')", what, key);
}

/*
 * Returns the entry of key among the n entries of stride bytes at base,
 * claiming a free one if key has none, or NULL if the table is full.
 */
static struct rl_head *
rl_find(char *base, size_t stride, size_t n, const char *key)
{
	uint32_t h = fnv1a(key), st;
	struct rl_head *e;
	size_t j;
	long spin;

	for (j = 0; j < n; j++) {
		e = (struct rl_head *)(void *)(base + (h + j) % n * stride);
		st = atomic_load(&e->state);
		if (st == 0) {
			if (atomic_compare_exchange_strong(&e->state, &st, 1)) {
				e->hash = h;
				snprintf(e->key, sizeof(e->key), "%s", key);
				atomic_store(&e->state, 2);
				return e;
			}
		}
		for (spin = 0; st == 1 && spin < RL_SPIN; spin++)
			st = atomic_load(&e->state);
		if (st == 2 && e->hash == h && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

static struct rl_bucket *
bucket(const char *key)
{
	static uint64_t logged;
	struct rl_head *e;

	e = rl_find((char *)shm->b, sizeof(shm->b[0]), LIM_RL_KEYS, key);
	if (e == NULL)
		log_rarely(&logged, "bucket table full, not limited", key);
	return (struct rl_bucket *)e;
}

/* Takes one request from bucket b, all or nothing. */
static void
host_take1(struct rl_bucket *b, const struct rate *rt, uint64_t now,
    struct rate_verdict *v)
{
	uint64_t old = atomic_load(&b->tat);

	do
		rate_take(rt, old, now, v);
	while (v->ok && !atomic_compare_exchange_weak(&b->tat, &old, v->tat));
}

/* Per host: rl_redis_take()'s contract on the shared mapping. */
static void
host_take(const char *const *keys, const struct rate *const *rates, int n,
    struct rate_verdict *v)
{
	struct rl_bucket *b[RL__MAX];
	uint64_t now = now_us();
	int i, j;

	for (i = 0; i < n; i++) {
		b[i] = bucket(keys[i]);
		if (b[i] == NULL) {
			rate_take(rates[i], 0, now, &v[i]);
			continue;
		}
		host_take1(b[i], rates[i], now, &v[i]);
		if (v[i].ok)
			continue;
		/* Give back what the others took: all or none. */
		for (j = 0; j < i; j++)
			if (b[j] != NULL)
				atomic_fetch_sub(
				    &b[j]->tat, rate_interval_us(rates[j]));
		return;
	}
}

/* Returns how many of c's slots from..to-1 hold a call at now. */
static long
count_busy(struct rl_conc *c, long from, long to, uint64_t now)
{
	long n = 0;

	for (; from < to; from++)
		n += atomic_load(&c->until[from]) > now;
	return n;
}

/* Per host: takes a concurrency slot of tenant key, or refuses (v). */
static void
host_conc_take(
    struct rl_note *note, const char *key, long cap, struct rate_verdict *v)
{
	static uint64_t logged;
	uint64_t now = now_us(), u, first = UINT64_MAX;
	struct rl_conc *c;
	long i, busy = 0;
	int tries;

	c = (struct rl_conc *)rl_find(
	    (char *)shm->c, sizeof(shm->c[0]), LIM_TENANTS, key);
	if (c == NULL) {
		log_rarely(&logged, "concurrency table full, not limited", key);
		return;
	}
	for (tries = 0; tries < 8; tries++) {
		busy = 0;
		for (i = 0; i < cap; i++) {
			u = atomic_load(&c->until[i]);
			if (u > now) {
				busy++;
				first = u < first ? u : first;
			} else if (atomic_compare_exchange_strong(
				       &c->until[i], &u, now + RL_STALE_US)) {
				note->orig_slot = (int)i;
				v->remaining = cap - 1 - busy -
				    count_busy(c, i + 1, cap, now);
				return;
			}
		}
		if (busy == cap)
			break;
	}
	v->ok = 0;
	v->remaining = 0;
	v->retry_us = first != UINT64_MAX ? first - now : 1000000;
	v->reset_us = v->retry_us;
}

/* Per host: frees slot (hold 0) or keeps it hold_us from now. */
static void
host_conc_set(const char *key, int slot, uint64_t hold_us)
{
	struct rl_conc *c;

	c = (struct rl_conc *)rl_find(
	    (char *)shm->c, sizeof(shm->c[0]), LIM_TENANTS, key);
	if (c != NULL)
		atomic_store(&c->until[slot], hold_us ? now_us() + hold_us : 0);
}

/* Per host: frees the tenant's busy slot that would expire first. */
static void
host_conc_pop(const char *key, long cap)
{
	uint64_t now = now_us(), u, best = UINT64_MAX;
	struct rl_conc *c;
	long i, at = -1;

	c = (struct rl_conc *)rl_find(
	    (char *)shm->c, sizeof(shm->c[0]), LIM_TENANTS, key);
	if (c == NULL)
		return;
	for (i = 0; i < cap; i++) {
		u = atomic_load(&c->until[i]);
		if (u > now && u < best) {
			best = u;
			at = i;
		}
	}
	if (at >= 0)
		atomic_compare_exchange_strong(&c->until[at], &best, 0);
}

static const char *const kind_names[RL__MAX] = {
	[RL_TOKEN] = "token",
	[RL_TENANT] = "tenant",
	[RL_ORIGINATE] = "originate",
};

/* Writes the key of a bucket of kind k for r ("tok:TENANT/ID" ...). */
static char *
rl_key(struct req *r, enum rl_kind k)
{
	static const char *const prefix[RL__MAX] = { "tok", "ten", "org" };

	/* 4 + 63 + 1 + 40 bytes: within LIM_RL_KEY, never truncated. */
	if (k == RL_TOKEN)
		return arena_printf(r->arena, "%s:%s/%.40s", prefix[k],
		    r->tenant->name, r->token_id);
	return arena_printf(r->arena, "%s:%s", prefix[k], r->tenant->name);
}

/* The Redis key of the tenant's calls in flight (a sorted set). */
static char *
calls_key(struct req *r)
{
	return arena_printf(r->arena, "calls:%s", r->tenant->name);
}

/* Returns 1 if v is tighter than w: fewer left, or longer to wait. */
static int
tighter(const struct rate_verdict *v, const struct rate_verdict *w)
{
	if (v->remaining != w->remaining)
		return v->remaining < w->remaining;
	return v->reset_us > w->reset_us;
}

/* The store failed: E_OK and no limit (redis.fail open) or E_BACKEND. */
static enum err
store_down(struct req *r, struct rl_note *note)
{
	if (r->conf->redis_fail == 0) {
		note->open = 1;
		return E_OK;
	}
	return req_error(r, E_BACKEND, "rate limit store unavailable");
}

/* Takes from the request's buckets; E_TOOMANY if one refuses. */
static enum err
take_buckets(struct req *r, struct rl_note *note)
{
	const struct limit_conf *lc = &r->tenant->limit;
	const struct rate *rates[RL__MAX];
	const char *keys[RL__MAX];
	struct rate_verdict v[RL__MAX];
	enum rl_kind kinds[RL__MAX];
	int n = 0, i;

	if (lc->token.n > 0 && r->token_id != NULL)
		kinds[n++] = RL_TOKEN;
	if (lc->tenant.n > 0)
		kinds[n++] = RL_TENANT;
	if (lc->originate.n > 0 && (r->cmd->flags & C_ORIGINATE))
		kinds[n++] = RL_ORIGINATE;
	if (n == 0)
		return E_OK;
	for (i = 0; i < n; i++) {
		rates[i] = kinds[i] == RL_TOKEN ? &lc->token
		    : kinds[i] == RL_TENANT	? &lc->tenant
						: &lc->originate;
		keys[i] = rl_key(r, kinds[i]);
		memset(&v[i], 0, sizeof(v[i]));
	}
	if (r->conf->redis[0] == '\0')
		host_take(keys, rates, n, v);
	else if (rl_redis_take(r, keys, rates, n, v) == -1)
		return store_down(r, note);
	for (i = 0; i < n; i++) {
		if (!v[i].ok) {
			note->limited = 1;
			note->v = v[i];
			return req_error(r, E_TOOMANY,
			    "%s rate limit exceeded: retry in %ld s",
			    kind_names[kinds[i]], rate_secs(v[i].retry_us));
		}
		if (!note->limited || tighter(&v[i], &note->v)) {
			note->limited = 1;
			note->v = v[i];
		}
	}
	return E_OK;
}

/* Takes one of the tenant's concurrent originations. */
static enum err
take_call(struct req *r, struct rl_note *note)
{
	long cap = r->tenant->limit.originate_concurrent;
	struct rate_verdict v = { .ok = 1, .limit = cap, .remaining = cap };
	uint8_t id[8];
	size_t i;

	if (r->conf->redis[0] == '\0')
		host_conc_take(note, r->tenant->name, cap, &v);
	else {
		/* A member no other host's request can have. */
		random_bytes(id, sizeof(id));
		for (i = 0; i < sizeof(id); i++)
			snprintf(note->orig_member + 2 * i, 3, "%02x", id[i]);
		if (rl_redis_conc_take(r, calls_key(r), cap, note->orig_member,
			RL_STALE_US, &v) == -1)
			return store_down(r, note);
		if (!v.ok)
			note->orig_member[0] = '\0';
	}
	if (!v.ok) {
		note->limited = 1;
		note->v = v;
		return req_error(r, E_TOOMANY,
		    "more than %ld calls in progress: retry in %ld s", cap,
		    rate_secs(v.retry_us));
	}
	if (!note->limited || tighter(&v, &note->v)) {
		note->limited = 1;
		note->v = v;
	}
	return E_OK;
}

/* Frees the request's call (hold 0) or keeps it hold_us from now. */
static void
call_set(struct req *r, struct rl_note *note, uint64_t hold_us)
{
	if (note->orig_slot >= 0)
		host_conc_set(r->tenant->name, note->orig_slot, hold_us);
	else if (note->orig_member[0] != '\0')
		(void)rl_redis_conc_set(
		    r, calls_key(r), note->orig_member, hold_us);
	note->orig_slot = -1;
	note->orig_member[0] = '\0';
}

enum err
ratelimit_check(struct req *r)
{
	const struct limit_conf *lc;
	struct rl_note *note;
	enum err e;

	if (r->tenant == NULL || r->cmd == NULL || shm == NULL)
		return E_OK;
	lc = &r->tenant->limit;
	if (lc->token.n == 0 && lc->tenant.n == 0 && lc->originate.n == 0 &&
	    lc->originate_concurrent == 0)
		return E_OK;
	note = arena_zalloc(r->arena, sizeof(*note));
	note->orig_slot = -1;
	e = E_OK;
	/* The call first: it can be given back if a bucket refuses. */
	if (lc->originate_concurrent > 0 && (r->cmd->flags & C_ORIGINATE))
		e = take_call(r, note);
	if (e == E_OK && !note->open && (e = take_buckets(r, note)) != E_OK)
		call_set(r, note, 0);
	r->rl = note->open ? NULL : note;
	return e;
}

void
ratelimit_done(struct req *r, enum err e, int status)
{
	const struct tenant *t = r->tenant;
	struct rl_note *note = r->rl;
	uint64_t hold;

	if (t == NULL || r->cmd == NULL || shm == NULL)
		return;
	if (e != E_OK)
		status = err_status(e);
	/* A client error placed no call; anything else may have. */
	hold =
	    status / 100 == 4 ? 0 : (uint64_t)t->limit.originate_hold_ms * 1000;
	if (note != NULL)
		call_set(r, note, hold);
	if (status / 100 != 2 || !(r->cmd->flags & C_HANGUP) ||
	    t->limit.originate_concurrent == 0)
		return;
	if (r->conf->redis[0] == '\0')
		host_conc_pop(t->name, t->limit.originate_concurrent);
	else
		(void)rl_redis_conc_pop(r, calls_key(r));
}

void
ratelimit_headers(const struct req *r, struct reply *rp)
{
	const struct rl_note *note = r->rl;
	char buf[32];
	long s;

	if (note == NULL || !note->limited)
		return;
	snprintf(buf, sizeof(buf), "%ld", note->v.limit);
	reply_header(rp, "RateLimit-Limit", buf);
	snprintf(buf, sizeof(buf), "%ld", note->v.remaining);
	reply_header(rp, "RateLimit-Remaining", buf);
	snprintf(buf, sizeof(buf), "%ld", rate_secs(note->v.reset_us));
	reply_header(rp, "RateLimit-Reset", buf);
	if (note->v.ok)
		return;
	s = rate_secs(note->v.retry_us);
	snprintf(buf, sizeof(buf), "%ld", s > 0 ? s : 1);
	reply_header(rp, "Retry-After", buf);
}
