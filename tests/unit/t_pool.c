/*
 * The connection pool (fcgi/pool.c): lazy open, reuse, the health check
 * before reuse, drop, keys by tenant and kind, and the back-off after
 * connect timeouts.  The backend kinds here count what the pool asks of
 * them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "pool.h"
#include "tap.h"

struct fake {
	int opens, closes, fail; /* fail: the error the next open gives */
	int healthy;
	int conns[8]; /* what open hands out */
};

static struct fake F;

static enum err
fake_open(void *ctx, uint64_t deadline, void **conn, char *why, size_t n)
{
	(void)deadline;
	if (ctx != &F)
		return E_INTERNAL;
	if (F.fail != E_OK) {
		snprintf(why, n, "refused");
		return F.fail;
	}
	*conn = &F.conns[F.opens++ % 8];
	return E_OK;
}

static int
fake_usable(void *conn)
{
	(void)conn;
	return F.healthy;
}

static void
fake_close(void *conn)
{
	(void)conn;
	F.closes++;
}

static const struct backend kind_a = { "a", fake_open, fake_usable,
	fake_close };
static const struct backend kind_b = { "b", fake_open, NULL, fake_close };

static enum err
get(struct pool *p, const struct tenant *t, const struct backend *b, void **c,
    int *reused, char *why)
{
	return pool_get(p, t, b, &F, 0, c, reused, why, 128);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
reuse(void)
{
	struct tenant t[2] = { { .name = "t0", .index = 0 },
		{ .name = "t1", .index = 1 } };
	struct pool *p = pool_new(2, 0);
	void *c1, *c2, *c3;
	char why[128];
	int reused;

	memset(&F, 0, sizeof(F));
	F.healthy = 1;
	ok(pool_count(p) == 0, "a new pool holds nothing");
	ok(get(p, &t[0], &kind_a, &c1, &reused, why) == E_OK && !reused &&
		F.opens == 1,
	    "first use opens");
	ok(get(p, &t[0], &kind_a, &c2, &reused, why) == E_OK && reused &&
		c2 == c1 && F.opens == 1,
	    "second use reuses the kept connection");
	ok(get(p, &t[1], &kind_a, &c3, &reused, why) == E_OK && !reused &&
		c3 != c1 && F.opens == 2,
	    "another tenant has its own connection");
	ok(get(p, &t[0], &kind_b, &c3, &reused, why) == E_OK && !reused &&
		c3 != c1 && F.opens == 3,
	    "another kind has its own connection");
	is_int((long long)pool_count(p), 3, "three connections kept");
	F.healthy = 0;
	ok(get(p, &t[0], &kind_a, &c2, &reused, why) == E_OK && !reused &&
		c2 != c1 && F.closes == 1 && F.opens == 4,
	    "an unusable kept connection is closed and replaced");
	pool_drop(p, &t[0], &kind_a);
	ok(F.closes == 2 && pool_count(p) == 2, "drop closes it");
	pool_drop(p, &t[0], &kind_a);
	ok(F.closes == 2, "a second drop closes nothing");
	ok(get(p, &t[0], &kind_b, &c2, &reused, why) == E_OK && reused,
	    "a kind without a health check is always reused");
	F.fail = E_BACKEND;
	ok(get(p, &t[0], &kind_a, &c2, &reused, why) == E_BACKEND,
	    "a failed open gives its error");
	is_str(why, "refused", "and its reason");
	ok(get(p, &t[0], &kind_a, &c2, &reused, why) == E_BACKEND &&
		F.opens == 4,
	    "a refused connect is tried again at once (no back-off)");
	pool_free(p);
	ok(F.closes == 4, "pool_free closes what is left (%d)", F.closes);
}

static void
backoff(void)
{
	struct tenant t = { .name = "t0", .index = 0 };
	struct pool *off = pool_new(1, 0), *p = pool_new(1, 1000);
	char why[128];
	void *c;
	int calls;

	memset(&F, 0, sizeof(F));
	F.healthy = 1;
	F.fail = E_TIMEOUT;
	(void)get(off, &t, &kind_a, &c, NULL, why);
	calls = F.opens;
	F.fail = E_OK;
	ok(get(off, &t, &kind_a, &c, NULL, why) == E_OK,
	    "without back-off the next request connects after a timeout");
	F.fail = E_TIMEOUT;
	ok(get(p, &t, &kind_a, &c, NULL, why) == E_TIMEOUT,
	    "a connect timeout is reported");
	F.fail = E_OK;
	calls = F.opens;
	ok(get(p, &t, &kind_a, &c, NULL, why) == E_TIMEOUT &&
		F.opens == calls && strstr(why, "backing off") != NULL,
	    "within the back-off no connect is tried: %s", why);
	sleep_ms(POOL_BACKOFF_MIN + 50);
	ok(get(p, &t, &kind_a, &c, NULL, why) == E_OK && F.opens == calls + 1,
	    "after the back-off the next request connects");
	pool_drop(p, &t, &kind_a);
	F.fail = E_TIMEOUT;
	(void)get(p, &t, &kind_a, &c, NULL, why);
	ok(strstr(why, "backing off") == NULL,
	    "a success resets the back-off: the next timeout is tried");
	pool_free(off);
	pool_free(p);
}

int
main(void)
{
	reuse();
	backoff();
	return done_testing();
}
