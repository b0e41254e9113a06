/*
 * The shared WCS reservations (see shared.h): a callId is the key
 * pbxapi:wcs:TENANT:call:ID, an Idempotency-Key the hash
 * pbxapi:wcs:TENANT:idem:KEY with its first answer's status (0 while
 * it runs); both expire after 24 h.  Each step is one script, atomic
 * across hosts.  Scripts go by EVAL (they are small).
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rconn.h"
#include "shared.h"
#include "wcs.h"

#define SH_PREFIX "pbxapi:wcs:"

/* KEYS: the callId[, the key]; ARGV: ttl (ms). */
static const char reserve_lua[] =
    "if #KEYS == 2 then "
    " local s = redis.call('HGET', KEYS[2], 'status') "
    " if s then return 'seen ' .. s end end "
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 'conflict' end "
    "redis.call('SET', KEYS[1], '0', 'PX', ARGV[1]) "
    "if #KEYS == 2 then "
    " redis.call('HSET', KEYS[2], 'status', '0') "
    " redis.call('PEXPIRE', KEYS[2], ARGV[1]) end "
    "return 'reserved'";

/* KEYS: the callId[, the key]; ARGV: the status. */
static const char done_lua[] =
    "if ARGV[1] ~= '200' then redis.call('DEL', KEYS[1]) end "
    "if #KEYS == 2 then "
    " if ARGV[1] == '0' then redis.call('DEL', KEYS[2]) "
    " elseif redis.call('EXISTS', KEYS[2]) == 1 then "
    "  redis.call('HSET', KEYS[2], 'status', ARGV[1]) end end "
    "return 'ok'";

struct shared {
	redisContext *rc;
	char *addr;
	long ms;
};

struct shared *
shared_new(const char *addr, long ms)
{
	struct shared *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->addr = strdup(addr)) == NULL) {
		free(h);
		return NULL;
	}
	h->ms = ms;
	return h;
}

/*
 * Runs script on tenant's callId id and key ("-": none) with arg.
 * Returns the status reply's text in out (0), or -1 with why.
 */
static int
run(struct shared *h, const char *script, const char *tenant, const char *id,
    const char *key, const char *arg, char *out, size_t len)
{
	char kc[2 * WCS_ID_MAX + 64], kk[2 * WCS_ID_MAX + 64];
	const char *argv[6];
	redisReply *rep;
	int n = 0, rc = -1;

	if (h->rc == NULL &&
	    (h->rc = rconn_open(h->addr, h->ms, out, len)) == NULL)
		return -1;
	snprintf(kc, sizeof(kc), SH_PREFIX "%s:call:%s", tenant, id);
	snprintf(kk, sizeof(kk), SH_PREFIX "%s:idem:%s", tenant, key);
	argv[n++] = "EVAL";
	argv[n++] = script;
	argv[n++] = strcmp(key, "-") == 0 ? "1" : "2";
	argv[n++] = kc;
	if (strcmp(key, "-") != 0)
		argv[n++] = kk;
	argv[n++] = arg;
	if ((rep = redisCommandArgv(h->rc, n, argv, NULL)) == NULL) {
		snprintf(out, len, "redis '%s': %s", h->addr, h->rc->errstr);
		redisFree(h->rc);
		h->rc = NULL;
		return -1;
	}
	if (rep->type == REDIS_REPLY_STRING ||
	    rep->type == REDIS_REPLY_STATUS) {
		snprintf(out, len, "%s", rep->str);
		rc = 0;
	} else
		snprintf(out, len, "redis '%s': %s", h->addr,
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "odd reply");
	freeReplyObject(rep);
	return rc;
}

int
shared_reserve(struct shared *h, const char *tenant, const char *id,
    const char *key, char *out, size_t len)
{
	char ttl[24];

	snprintf(ttl, sizeof(ttl), "%lld", WCS_KEY_TTL_MS);
	if (run(h, reserve_lua, tenant, id, key, ttl, out, len) == -1)
		return -1;
	return strcmp(out, "reserved") == 0;
}

int
shared_done(struct shared *h, const char *tenant, const char *id,
    const char *key, int status, char *out, size_t len)
{
	char st[16];

	snprintf(st, sizeof(st), "%d", status);
	return run(h, done_lua, tenant, id, key, st, out, len) == -1 ? -1 : 0;
}

/* KEYS: the key; ARGV: ttl (ms).  {status, body} if seen, else "new". */
static const char claim_lua[] =
    "local v = redis.call('HMGET', KEYS[1], 'status', 'body') "
    "if v[1] then return {v[1], v[2] or ''} end "
    "redis.call('HSET', KEYS[1], 'status', '0', 'body', '') "
    "redis.call('PEXPIRE', KEYS[1], ARGV[1]) "
    "return 'new'";

/* KEYS: the key; ARGV: the chunk, the body's limit.  1, or 0: refused. */
static const char put_lua[] =
    "local v = redis.call('HMGET', KEYS[1], 'status', 'body') "
    "if v[1] ~= '0' then return 0 end "
    "local b = (v[2] or '') .. ARGV[1] "
    "if #b > tonumber(ARGV[2]) then return 0 end "
    "redis.call('HSET', KEYS[1], 'body', b) "
    "return 1";

/* KEYS: the key; ARGV: the status (0: forget). */
static const char idone_lua[] =
    "if ARGV[1] == '0' then redis.call('DEL', KEYS[1]) "
    "elseif redis.call('EXISTS', KEYS[1]) == 1 then "
    " redis.call('HSET', KEYS[1], 'status', ARGV[1]) end "
    "return 1";

/* Runs script on tenant's key with the n args; the reply, or NULL. */
static redisReply *
run_idem(struct shared *h, const char *script, const char *tenant,
    const char *key, const char **args, int n, struct buf *out)
{
	char k[2 * WCS_ID_MAX + 64], why[256];
	const char *argv[6];
	redisReply *rep;
	int i;

	buf_clear(out);
	if (strlen(key) > WCS_ID_MAX) {
		buf_adds(out, "key too long");
		return NULL;
	}
	if (h->rc == NULL &&
	    (h->rc = rconn_open(h->addr, h->ms, why, sizeof(why))) == NULL) {
		buf_adds(out, why);
		return NULL;
	}
	snprintf(k, sizeof(k), SH_PREFIX "%s:idem:%s", tenant, key);
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "1";
	argv[3] = k;
	for (i = 0; i < n && i < 2; i++)
		argv[4 + i] = args[i];
	if ((rep = redisCommandArgv(h->rc, 4 + i, argv, NULL)) == NULL) {
		buf_printf(out, "redis '%s': %s", h->addr, h->rc->errstr);
		redisFree(h->rc);
		h->rc = NULL;
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		buf_printf(out, "redis '%s': %s", h->addr, rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

int
shared_idem_claim(
    struct shared *h, const char *tenant, const char *key, struct buf *out)
{
	char ttl[24];
	const char *args[1] = { ttl };
	redisReply *rep;
	int ok = 1;

	snprintf(ttl, sizeof(ttl), "%lld", WCS_KEY_TTL_MS);
	if ((rep = run_idem(h, claim_lua, tenant, key, args, 1, out)) == NULL)
		return 0;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[1]->type == REDIS_REPLY_STRING) {
		buf_printf(out, "seen %d\n", atoi(rep->element[0]->str));
		if (atoi(rep->element[0]->str) != 0)
			buf_add(
			    out, rep->element[1]->str, rep->element[1]->len);
	} else if (rep->type == REDIS_REPLY_STRING ||
	    rep->type == REDIS_REPLY_STATUS)
		buf_adds(out, "new");
	else {
		buf_adds(out, "odd reply from redis");
		ok = 0;
	}
	freeReplyObject(rep);
	return ok;
}

int
shared_idem_put(struct shared *h, const char *tenant, const char *key,
    const char *chunk, struct buf *out)
{
	char dec[WCS_ID_MAX * 2 + 1], max[24];
	const char *args[2] = { dec, max };
	redisReply *rep;
	int ok;

	if (wcs_pct_decode(dec, sizeof(dec), chunk, strlen(chunk)) == -1) {
		buf_clear(out);
		buf_adds(out, "bad chunk");
		return 0;
	}
	snprintf(max, sizeof(max), "%d", WCS_BODY_MAX);
	if ((rep = run_idem(h, put_lua, tenant, key, args, 2, out)) == NULL)
		return 0;
	ok = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	buf_adds(
	    out, ok ? "ok" : "no such running key, or its body is too large");
	freeReplyObject(rep);
	return ok;
}

int
shared_idem_done(struct shared *h, const char *tenant, const char *key,
    int status, struct buf *out)
{
	char st[16];
	const char *args[1] = { st };
	redisReply *rep;

	snprintf(st, sizeof(st), "%d", status);
	if ((rep = run_idem(h, idone_lua, tenant, key, args, 1, out)) == NULL)
		return 0;
	freeReplyObject(rep);
	buf_adds(out, "ok");
	return 1;
}
