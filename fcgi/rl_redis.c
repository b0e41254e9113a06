/*
 * Rate limits in Redis (see ratelimit.h): one persistent connection per
 * worker, every command under redis.timeout, and each operation a Lua
 * script so that it is atomic across hosts.  A script is run by its SHA-1
 * (EVALSHA) once SCRIPT LOAD gave it, and by EVAL when Redis answers
 * NOSCRIPT (a restart or SCRIPT FLUSH).  Times are Redis's TIME: the
 * hosts' monotonic clocks cannot be compared.  After a failure the worker
 * leaves Redis alone for a second, so a dead Redis costs a request at
 * most one timeout per worker and second.
 */
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "log.h"
#include "ratelimit.h"
#include "rconn.h"
#include "req.h"
#include "util.h"

#define RL_PREFIX     "pbxapi:rl:"
#define RL_BACKOFF_US (1000ULL * 1000)
#define RL_LOG_US     (10ULL * 1000000)

/* Shared by the scripts: now, in microseconds of Redis's clock. */
#define NOW                                     \
	"local t = redis.call('TIME') "         \
	"local now = tonumber(t[1]) * 1000000 " \
	"+ tonumber(t[2]) "

/*
 * KEYS: the buckets; ARGV: each one's interval T (us) and burst.  Returns
 * {all ok, then per bucket: ok, remaining, retry_us, reset_us}; the TATs
 * move only if every bucket allows (rate.c's arithmetic).
 */
static const char take_lua[] =
    NOW "local out, tats = {1}, {} "
	"for i = 1, #KEYS do "
	" local T = tonumber(ARGV[2 * i - 1]) "
	" local cap = T * tonumber(ARGV[2 * i]) "
	" local tat = tonumber(redis.call('GET', KEYS[i])) or 0 "
	" local base = math.max(tat, now) "
	" local nxt = base + T "
	" if nxt - now > cap then "
	"  out[1] = 0 "
	"  for _, x in ipairs({0, 0, nxt - now - cap, base - now}) do "
	"   out[#out + 1] = x end "
	" else "
	"  tats[i] = nxt "
	"  for _, x in ipairs({1, math.floor((cap - (nxt - now)) / T), 0, "
	"   nxt - now}) do out[#out + 1] = x end "
	" end "
	"end "
	"if out[1] == 1 then "
	" for i = 1, #KEYS do "
	"  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', "
	"   math.ceil((tats[i] - now) / 1000) + 1000) "
	" end "
	"end "
	"return out";

/*
 * KEYS[1]: the tenant's calls (a sorted set, member -> expiry); ARGV: the
 * cap, this call's member, how long it may stay unfinished (us).  Returns
 * {1, busy} or {0, us until the first expiry}.
 */
static const char conc_take_lua[] =
    NOW "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', "
	" string.format('%.0f', now)) "
	"local busy = redis.call('ZCARD', KEYS[1]) "
	"if busy >= tonumber(ARGV[1]) then "
	" local f = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES') "
	" return {0, tonumber(f[2]) - now} "
	"end "
	"redis.call('ZADD', KEYS[1], string.format('%.0f', now + "
	" tonumber(ARGV[3])), ARGV[2]) "
	"local ms = math.ceil(tonumber(ARGV[3]) / 1000) + 1000 "
	"if redis.call('PTTL', KEYS[1]) < ms then "
	" redis.call('PEXPIRE', KEYS[1], ms) end "
	"return {1, busy}";

/* ARGV: the member and its hold (us; 0: gone).  Returns 1. */
static const char conc_set_lua[] =
    NOW "if tonumber(ARGV[2]) == 0 then "
	" redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end "
	"redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', now + "
	" tonumber(ARGV[2])), ARGV[1]) "
	"local ms = math.ceil(tonumber(ARGV[2]) / 1000) + 1000 "
	"if redis.call('PTTL', KEYS[1]) < ms then "
	" redis.call('PEXPIRE', KEYS[1], ms) end "
	"return 1";

/* Drops the call that would expire first.  Returns 1. */
static const char conc_pop_lua[] =
    NOW "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', "
	" string.format('%.0f', now)) "
	"redis.call('ZPOPMIN', KEYS[1]) "
	"return 1";

enum script { SC_TAKE, SC_CONC_TAKE, SC_CONC_SET, SC_CONC_POP, SC__MAX };

/* A worker is one thread: its scripts' SHA-1s are its own. */
static struct rscript scripts[SC__MAX] = {
	[SC_TAKE] = { take_lua, "" },
	[SC_CONC_TAKE] = { conc_take_lua, "" },
	[SC_CONC_SET] = { conc_set_lua, "" },
	[SC_CONC_POP] = { conc_pop_lua, "" },
};

/* The worker's connection and what it is to. */
static redisContext *rc;
static char *rc_addr;
static uint64_t down_until, logged;

/* Logs a failure of the store, at most once per RL_LOG_US. */
static void
rc_log(const char *why)
{
	uint64_t now = now_us();

	if (logged == 0 || now - logged >= RL_LOG_US) {
		logged = now;
		log_warnx(
		    "rate limit store '%s': %s", rc_addr ? rc_addr : "-", why);
	}
}

/* Drops the connection after a failure and leaves Redis alone a while. */
static void
rc_drop(const char *why)
{
	uint64_t now = now_us();

	rc_log(why);
	if (rc != NULL)
		redisFree(rc);
	rc = NULL;
	down_until = now + RL_BACKOFF_US;
}

/* Returns the worker's connection to the configured Redis, or NULL. */
static redisContext *
rc_get(const struct conf *c)
{
	char why[256];
	size_t i;

	if (rc != NULL && strcmp(rc_addr, c->redis) == 0)
		return rc;
	if (rc != NULL)
		redisFree(rc);
	rc = NULL;
	free(rc_addr);
	rc_addr = strdup(c->redis);
	if (rc_addr == NULL)
		fatal("strdup");
	if (now_us() < down_until)
		return NULL;
	if ((rc = rconn_open(c->redis, c->redis_ms, why, sizeof(why))) ==
	    NULL) {
		rc_drop(why);
		return NULL;
	}
	for (i = 0; i < SC__MAX; i++)
		scripts[i].sha[0] = '\0';
	return rc;
}

/*
 * Runs script s on the n strings of args (KEYS first, nkeys of them).
 * Returns its reply (an array), or NULL: Redis failed.
 */
static redisReply *
rc_run(const struct req *r, enum script s, int nkeys, const char **args, int n)
{
	const char *argv[1 + 2 * RL__MAX + RL__MAX];
	char nk[16];
	redisReply *rep;
	int i;

	if (rc_get(r->conf) == NULL)
		return NULL;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = nk;
	for (i = 0; i < n && i < (int)nitems(argv) - 1; i++)
		argv[1 + i] = args[i];
	if ((rep = rconn_eval(rc, &scripts[s], 1 + i, argv)) == NULL) {
		rc_drop(rc->errstr);
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ARRAY || rep->type == REDIS_REPLY_INTEGER)
		return rep;
	rc_log(rep->type == REDIS_REPLY_ERROR ? rep->str : "odd reply");
	freeReplyObject(rep);
	return NULL;
}

/* Returns element i of an array reply as an integer (0 if not one). */
static long long
rep_int(const redisReply *rep, size_t i)
{
	if (rep->type != REDIS_REPLY_ARRAY || i >= rep->elements ||
	    rep->element[i]->type != REDIS_REPLY_INTEGER)
		return 0;
	return rep->element[i]->integer;
}

static const char *
rkey(const struct req *r, const char *key)
{
	return arena_printf(r->arena, RL_PREFIX "%s", key);
}

static const char *
rnum(const struct req *r, unsigned long long v)
{
	return arena_printf(r->arena, "%llu", v);
}

int
rl_redis_take(const struct req *r, const char *const *keys,
    const struct rate *const *rates, int n, struct rate_verdict *v)
{
	const char *args[3 * RL__MAX];
	redisReply *rep;
	long long x;
	int i;

	for (i = 0; i < n; i++) {
		args[i] = rkey(r, keys[i]);
		args[n + 2 * i] = rnum(r, rate_interval_us(rates[i]));
		args[n + 2 * i + 1] =
		    rnum(r, (unsigned long long)rates[i]->burst);
	}
	if ((rep = rc_run(r, SC_TAKE, n, args, 3 * n)) == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 1 + 4 * (size_t)n) {
		freeReplyObject(rep);
		rc_drop("odd reply to the take script");
		return -1;
	}
	for (i = 0; i < n; i++) {
		v[i].limit = rates[i]->burst;
		v[i].ok = rep_int(rep, 1 + 4 * (size_t)i) == 1;
		v[i].remaining = (long)rep_int(rep, 2 + 4 * (size_t)i);
		x = rep_int(rep, 3 + 4 * (size_t)i);
		v[i].retry_us = x > 0 ? (uint64_t)x : 0;
		x = rep_int(rep, 4 + 4 * (size_t)i);
		v[i].reset_us = x > 0 ? (uint64_t)x : 0;
	}
	freeReplyObject(rep);
	return 0;
}

int
rl_redis_conc_take(const struct req *r, const char *key, long cap,
    const char *member, uint64_t stale_us, struct rate_verdict *v)
{
	const char *args[4];
	redisReply *rep;
	long long x;

	args[0] = rkey(r, key);
	args[1] = rnum(r, (unsigned long long)cap);
	args[2] = member;
	args[3] = rnum(r, stale_us);
	if ((rep = rc_run(r, SC_CONC_TAKE, 1, args, 4)) == NULL)
		return -1;
	v->ok = rep_int(rep, 0) == 1;
	x = rep_int(rep, 1);
	if (v->ok)
		v->remaining = cap - (long)x - 1;
	else {
		v->remaining = 0;
		v->retry_us = v->reset_us = x > 0 ? (uint64_t)x : 1;
	}
	freeReplyObject(rep);
	return 0;
}

int
rl_redis_conc_set(
    const struct req *r, const char *key, const char *member, uint64_t hold_us)
{
	const char *args[3] = { rkey(r, key), member, rnum(r, hold_us) };
	redisReply *rep;

	if ((rep = rc_run(r, SC_CONC_SET, 1, args, 3)) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

int
rl_redis_conc_pop(const struct req *r, const char *key)
{
	const char *args[1] = { rkey(r, key) };
	redisReply *rep;

	if ((rep = rc_run(r, SC_CONC_POP, 1, args, 1)) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}
