/*
 * Rate limits: the rate setting's parser, the GCRA arithmetic of rate.c
 * (refill, burst, Retry-After rounding, a clock that goes back), and the
 * per-host tables of ratelimit.c through ratelimit_check(): token and
 * tenant buckets all or none, the concurrency cap and its release, and
 * exact counts with forked workers taking from one bucket at once.
 */
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "rate.h"
#include "ratelimit.h"
#include "req.h"
#include "tap.h"
#include "testlib.h"

#define S 1000000ULL /* a second in microseconds */

static void
rate_ok(const char *s, long n, long per_ms, long burst)
{
	struct rate r = { -1, -1, -1 };

	ok(parse_rate(s, &r) == 0 && r.n == n && r.per_ms == per_ms &&
		r.burst == burst,
	    "'%s' is %ld/%ldms burst %ld (got %ld/%ldms burst %ld)", s, n,
	    per_ms, burst, r.n, r.per_ms, r.burst);
}

static void
test_parse(void)
{
	static const char *const bad[] = { "", "5", "5/", "0/s", "-1/s", "5/x",
		"5/s burst", "5/s burst 0", "5/s bogus", "5/s burst 3 x",
		"1000001/s", "5/s burst 1000001", "5/0s", "x/s" };
	struct rate r;
	size_t i;

	rate_ok("20/s burst 40", 20, 1000, 40);
	rate_ok("2/s", 2, 1000, 2);
	rate_ok("1/60s burst 3", 1, 60000, 3);
	rate_ok("100/m", 100, 60000, 100);
	rate_ok("5/500ms burst 9", 5, 500, 9);
	rate_ok("1/h", 1, 3600000, 1);
	rate_ok("off", 0, 0, 0);
	for (i = 0; i < nitems(bad); i++)
		ok(parse_rate(bad[i], &r) == -1, "'%s' is not a rate", bad[i]);
}

static void
test_arith(void)
{
	struct rate slow = { .n = 1, .per_ms = 60000, .burst = 3 };
	struct rate fast = { .n = 20, .per_ms = 1000, .burst = 40 };
	struct rate fine = { .n = 1000000, .per_ms = 1, .burst = 1 };
	struct rate_verdict v;
	uint64_t now = 1000 * S, tat = 0;
	int i, n;

	is_int((long long)rate_interval_us(&slow), 60 * (long long)S, "T 60 s");
	is_int((long long)rate_interval_us(&fast), 50000, "T 50 ms");
	is_int((long long)rate_interval_us(&fine), 1, "T at least 1 us");
	for (i = 0; i < 3; i++) {
		rate_take(&slow, tat, now, &v);
		ok(v.ok && v.remaining == 2 - i && v.limit == 3,
		    "burst: take %d allowed, %ld left", i + 1, v.remaining);
		tat = v.tat;
	}
	is_int(rate_secs(v.reset_us), 180, "full again in 3 intervals");
	rate_take(&slow, tat, now, &v);
	ok(!v.ok && v.tat == tat && v.remaining == 0, "4th refused, TAT kept");
	is_int((long long)v.retry_us, 60 * (long long)S, "retry in T");
	is_int(rate_secs(v.retry_us), 60, "Retry-After 60");
	rate_take(&slow, tat, now + 30 * S, &v);
	is_int(rate_secs(v.retry_us), 30, "30 s later: 30");
	rate_take(&slow, tat, now + 30 * S + 1, &v);
	is_int(rate_secs(v.retry_us), 30, "1 us later still 30 (rounded up)");
	rate_take(&slow, tat, now + 29 * S + S / 2, &v);
	is_int(rate_secs(v.retry_us), 31, "30.5 s rounds up to 31");
	rate_take(&slow, tat, now + 60 * S - 1, &v);
	ok(!v.ok && rate_secs(v.retry_us) == 1, "1 us short: refused, 1 s");
	rate_take(&slow, tat, now + 60 * S, &v);
	ok(v.ok && v.remaining == 0, "refilled one after T");
	rate_take(&slow, tat, now + 10 * 60 * S, &v);
	ok(v.ok && v.remaining == 2, "refill stops at the burst");
	/* A clock that went back: no refill, no wrap, a longer wait. */
	rate_take(&slow, tat, now - 10 * S, &v);
	ok(!v.ok && v.retry_us == 70 * S && v.reset_us == 190 * S,
	    "earlier now: refused, waits measured from it");
	for (n = 0, tat = 0; n < 100; n++) {
		rate_take(&fast, tat, now, &v);
		if (!v.ok)
			break;
		tat = v.tat;
	}
	is_int(n, 40, "20/s burst 40: 40 at once");
	is_int((long long)v.retry_us, 50000, "then 50 ms");
	is_int(rate_secs(v.retry_us), 1, "Retry-After rounds 50 ms to 1");
	rate_take(&fast, tat, now + S, &v);
	ok(v.ok && v.remaining == 19, "a second later: 20 back");
}

static struct conf *conf;
static char errbuf[512];

/* The configuration text must load. */
static void
good_conf(const char *text)
{
	struct conf *c;

	c = conf_load(
	    tl_put("good.conf", text), NULL, 0, errbuf, sizeof(errbuf));
	ok(c != NULL, "loads: %.*s%s", (int)strcspn(text, "\n"), text,
	    c ? "" : errbuf);
	conf_free(c);
}

/* The configuration text must fail with a message containing want. */
static void
bad_conf(const char *text, const char *want)
{
	struct conf *c;

	c = conf_load(
	    tl_put("bad.conf", text), NULL, 0, errbuf, sizeof(errbuf));
	ok(c == NULL && strstr(errbuf, want) != NULL, "refused: %s", errbuf);
	conf_free(c);
}

/* A request of tenant t, token id, for command c. */
static void
req_of(struct req *r, const char *t, const char *id, const struct cmd *c)
{
	memset(r, 0, sizeof(*r));
	r->arena = arena_new();
	r->conf = conf;
	r->tenant = conf_tenant(conf, t);
	r->token_id = id;
	r->cmd = c;
	snprintf(r->id, sizeof(r->id), "t");
}

static enum err
check(const char *t, const char *id, const struct cmd *c, char *msg)
{
	struct req r;
	enum err e;

	req_of(&r, t, id, c);
	e = ratelimit_check(&r);
	if (msg != NULL)
		snprintf(msg, LIM_ERRMSG, "%s", r.errmsg);
	arena_free(r.arena);
	return e;
}

static const struct cmd readc = { .name = "read" };
static const struct cmd orig = { .name = "orig", .flags = C_ORIGINATE };
static const struct cmd hang = { .name = "hang", .flags = C_HANGUP };

static void
test_buckets(void)
{
	char msg[LIM_ERRMSG];
	int i, n;

	for (i = 0; i < 2; i++)
		is_int(check("a", "tok1", &readc, NULL), E_OK, "token 1 ok");
	is_int(check("a", "tok1", &readc, msg), E_TOOMANY, "token 1 refused");
	ok(strstr(msg, "token rate limit") != NULL, "by its token: %s", msg);
	is_int(check("a", "tok2", &readc, NULL), E_OK, "token 2 ok");
	is_int(check("a", "tok2", &readc, msg), E_TOOMANY, "tenant full");
	ok(strstr(msg, "tenant rate limit") != NULL, "by the tenant: %s", msg);
	for (n = 0; n < 50 && check("b", "tok3", &readc, NULL) == E_OK; n++)
		;
	is_int(n, 50, "tenant b overrides: no limit");
	is_int(check("c", "tok4", &readc, NULL), E_OK, "tenant c: its own");
}

static void
test_calls(void)
{
	struct req r, held;

	req_of(&held, "c", "x", &orig);
	is_int(ratelimit_check(&held), E_OK, "call 1");
	req_of(&r, "c", "x", &orig);
	is_int(ratelimit_check(&r), E_OK, "call 2");
	ratelimit_done(&r, E_OK, 200);
	arena_free(r.arena);
	is_int(check("c", "x", &orig, NULL), E_TOOMANY, "call 3 over the cap");
	is_int(check("c", "x", &readc, NULL), E_OK, "reads go on");
	/* A call refused by the backend's client error placed nothing. */
	ratelimit_done(&held, E_BADREQ, 200);
	arena_free(held.arena);
	req_of(&r, "c", "x", &orig);
	is_int(ratelimit_check(&r), E_OK, "a failed call frees its slot");
	ratelimit_done(&r, E_OK, 200);
	arena_free(r.arena);
	is_int(check("c", "x", &orig, NULL), E_TOOMANY, "held again");
	req_of(&r, "c", "x", &hang);
	is_int(ratelimit_check(&r), E_OK, "hangup");
	ratelimit_done(&r, E_OK, 200);
	arena_free(r.arena);
	is_int(check("c", "x", &orig, NULL), E_OK, "a hangup frees one");
	/* A bucket's refusal gives the call back: all or none. */
	req_of(&r, "e", "e1", &orig);
	is_int(ratelimit_check(&r), E_OK, "e1 calls");
	ratelimit_done(&r, E_UNPROC, 200);
	arena_free(r.arena);
	is_int(check("e", "e1", &orig, NULL), E_TOOMANY, "e1: token empty");
	is_int(check("e", "e2", &orig, NULL), E_OK,
	    "e2 calls: the refused call gave its slot back");
	is_int(check("e", "e3", &orig, NULL), E_TOOMANY, "e3: the cap of 1");
}

/* Runs a request of tenant h for c that ends E_OK with status. */
static enum err
run_h(const struct cmd *c, int status)
{
	struct req r;
	enum err e;

	req_of(&r, "h", "x", c);
	if ((e = ratelimit_check(&r)) == E_OK)
		ratelimit_done(&r, E_OK, status);
	arena_free(r.arena);
	return e;
}

/* The reply's status decides when the handler passed one through. */
static void
test_status(void)
{
	is_int(run_h(&orig, 400), E_OK, "h: a call answered 400");
	is_int(run_h(&orig, 200), E_OK, "h: ... placed nothing, the next goes");
	is_int(run_h(&orig, 200), E_TOOMANY, "h: then the cap of 1");
	is_int(run_h(&hang, 404), E_OK, "h: a hangup answered 404");
	is_int(run_h(&orig, 200), E_TOOMANY, "h: ... released nothing");
	is_int(run_h(&hang, 204), E_OK, "h: a hangup answered 204");
	is_int(run_h(&orig, 200), E_OK, "h: ... released the call");
}

/* Remaining counts every busy slot, also those after the one taken. */
static void
test_remaining(void)
{
	struct req a, b, c;

	req_of(&a, "g", "x", &orig);
	req_of(&b, "g", "x", &orig);
	ok(ratelimit_check(&a) == E_OK && a.rl != NULL &&
		a.rl->v.remaining == 2,
	    "g call 1: 2 of 3 left");
	ok(ratelimit_check(&b) == E_OK && b.rl->v.remaining == 1,
	    "g call 2: 1 left");
	ratelimit_done(&b, E_OK, 200);
	ratelimit_done(&a, E_BADREQ, 200);
	req_of(&c, "g", "x", &orig);
	ok(ratelimit_check(&c) == E_OK && c.rl->v.remaining == 1 &&
		c.rl->v.limit == 3,
	    "g call 3 (the first slot again): 1 left, not 2");
	ratelimit_done(&c, E_OK, 200);
	arena_free(a.arena);
	arena_free(b.arena);
	arena_free(c.arena);
}

/* Four workers at once take exactly the burst of one bucket. */
static void
test_workers(void)
{
	int fd[2], i, n, total = 0, status;
	pid_t pid;

	if (pipe(fd) == -1) {
		ok(0, "pipe");
		return;
	}
	for (i = 0; i < 4; i++) {
		if ((pid = fork()) == 0) {
			for (n = 0; check("d", "w", &readc, NULL) == E_OK &&
			     n < 10000;)
				n++;
			if (write(fd[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
		ok(pid > 0, "worker %d forked", i);
	}
	close(fd[1]);
	for (i = 0; i < 4; i++)
		if (read(fd[0], &n, sizeof(n)) == sizeof(n))
			total += n;
	close(fd[0]);
	for (i = 0; i < 4; i++)
		ok(wait(&status) > 0 && WIFEXITED(status) &&
			WEXITSTATUS(status) == 0,
		    "worker %d exited", i);
	is_int(total, 1000, "exactly the burst (1000) across 4 workers");
}

int
main(void)
{
	tl_tmpdir("t_rate");
	test_parse();
	test_arith();
	conf = conf_load(tl_put("pbxapi.conf",
			     "limit.token = 1/1h burst 2\n"
			     "limit.tenant = 1/1h burst 3\n"
			     "[tenant a]\nAMI_HOST = x\n"
			     "[tenant b]\nlimit.tenant = off\n"
			     "limit.token = off\n"
			     "[tenant c]\nlimit.token = off\n"
			     "limit.tenant = off\n"
			     "limit.originate_concurrent = 2\n"
			     "limit.originate_hold = 1h\n"
			     "[tenant e]\nlimit.token = 1/1h burst 1\n"
			     "limit.tenant = off\n"
			     "limit.originate_concurrent = 1\n"
			     "[tenant h]\nlimit.token = off\n"
			     "limit.tenant = off\n"
			     "limit.originate_concurrent = 1\n"
			     "limit.originate_hold = 1h\n"
			     "[tenant g]\nlimit.token = off\n"
			     "limit.tenant = off\n"
			     "limit.originate_concurrent = 3\n"
			     "limit.originate_hold = 1h\n"
			     "[tenant d]\nlimit.token = off\n"
			     "limit.tenant = 1/1h burst 1000\n"),
	    NULL, 0, errbuf, sizeof(errbuf));
	if (!ok(conf != NULL, "configuration loads: %s", errbuf))
		return done_testing();
	ok(conf_load(tl_put("bad.conf", "limit.token = 5/parsec\n"), NULL, 0,
	       errbuf, sizeof(errbuf)) == NULL &&
		strstr(errbuf, "is not a rate") != NULL,
	    "a bad rate: %s", errbuf);
	bad_conf("redis.fail = maybe\n", "unknown value 'maybe'");
	bad_conf("redis = localhost\n", "is not unix:/path or host:port");
	bad_conf("redis = unix:relative\n", "is not unix:/path or host:port");
	bad_conf("redis = 10.0.0.1:0\n", "is not unix:/path or host:port");
	bad_conf("redis = :6379\n", "is not unix:/path or host:port");
	good_conf("redis = 127.0.0.1:6379\n");
	good_conf("redis = [::1]:6379\nredis.fail = closed\n");
	good_conf("redis = unix:/run/redis/redis.sock\n");
	bad_conf("redis.timeout = 1m\n", "out of range");
	bad_conf("limit.originate_concurrent = 257\n", "out of range");
	bad_conf(
	    "[tenant x]\nlimit.bogus = 1\n", "unknown setting 'limit.bogus'");
	bad_conf("[tenant x]\nlimit.tenant = 1/s burst\n", "is not a rate");
	ok(conf->limit.token.n == 1 && conf->limit.token.burst == 2 &&
		conf->redis[0] == '\0' && conf->redis_ms == 50 &&
		conf->redis_fail == 0 && conf->limit.originate_hold_ms == 30000,
	    "global limits and the Redis defaults");
	ok(conf_tenant(conf, "c")->limit.originate_hold_ms == 3600000 &&
		conf_tenant(conf, "c")->limit.token.n == 0 &&
		conf_tenant(conf, "a")->limit.tenant.burst == 3,
	    "tenants: their own limit.*, else the global ones");
	ok(ratelimit_init() == 0, "tables mapped");
	test_buckets();
	test_calls();
	test_remaining();
	test_status();
	test_workers();
	conf_free(conf);
	tl_rmtmp();
	return done_testing();
}
