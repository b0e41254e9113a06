/*
 * The shared WCS registry and journal (see shared.h).  A call is the
 * hash pbxapi:wcs:TENANT:call:ID (its reservation, meta and status
 * fields), listed in the sorted set pbxapi:wcs:TENANT:calls by start
 * time; an Idempotency-Key is the hash pbxapi:wcs:TENANT:idem:KEY with
 * its first answer's status (0 while it runs) and body.  Calls and keys
 * expire after 24 h, a finished call after wcs.retain (rwriter.c sets
 * it); the index is pruned of expired calls by the scripts that read it.
 * The journal is the stream pbxapi:journal:TENANT (entries "ID-0", the
 * event's JSON in field e) and its last id pbxapi:journal:TENANT:seq.
 * Each step is one script, atomic across hosts, run by EVALSHA.
 */
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rconn.h"
#include "shared.h"
#include "state.h"
#include "util.h"
#include "wcs.h"

#define SH_PREFIX "pbxapi:wcs:"
#define SH_KEY	  (2 * WCS_ID_MAX + 64)

/* A call's fields, in this order in every script's HMGET. */
#define SH_FIELDS                                                          \
	"'res','start','callee','caller','name','audio','video','status'," \
	"'sip','answered','evd','hcause','ended'"
enum {
	F_RES,
	F_START,
	F_CALLEE,
	F_CALLER,
	F_NAME,
	F_AUDIO,
	F_VIDEO,
	F_STATUS,
	F_SIP,
	F_ANSWERED,
	F_EVD,
	F_HCAUSE,
	F_ENDED,
	F__MAX
};

/*
 * KEYS: the call, the index[, the key].  ARGV: ttl (ms), now (ms), the
 * most calls, the calls' prefix, the callId, callee, caller, name,
 * audio, video, the pending ttl (ms): the call and the key last that
 * long until the startup's outcome (done_lua).  A full index is pruned
 * of expired calls first.
 */
static const char reserve_lua[] =
    "if #KEYS == 3 then "
    " local s = redis.call('HGET', KEYS[3], 'status') "
    " if s then return 'seen ' .. s end end "
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 'conflict' end "
    "if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then "
    " for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do "
    "  if redis.call('EXISTS', ARGV[4] .. id) == 0 then "
    "   redis.call('ZREM', KEYS[2], id) end end "
    " if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then "
    "  return 'full' end end "
    "redis.call('HSET', KEYS[1], 'res', '0', 'start', ARGV[2], "
    " 'callee', ARGV[6], 'caller', ARGV[7], 'name', ARGV[8], "
    " 'audio', ARGV[9], 'video', ARGV[10], 'status', 'PENDING', "
    " 'sip', '-1', 'answered', '0', 'evd', '0', 'hcause', '-1', "
    " 'ended', '0') "
    "redis.call('PEXPIRE', KEYS[1], ARGV[11]) "
    "redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5]) "
    "redis.call('PEXPIRE', KEYS[2], ARGV[1]) "
    "if #KEYS == 3 then "
    " redis.call('HSET', KEYS[3], 'status', '0') "
    " redis.call('PEXPIRE', KEYS[3], ARGV[11]) end "
    "return 'reserved'";

/*
 * KEYS: the call, the index[, the key]; ARGV: the status, the callId,
 * ttl (ms).  200 keeps the call (TRYING if no event said more yet; for
 * ttl unless an event ended it meanwhile), another status drops it; 0
 * drops the key too, another keeps it for ttl.
 */
static const char done_lua[] =
    "if ARGV[1] ~= '200' then redis.call('DEL', KEYS[1]) "
    " redis.call('ZREM', KEYS[2], ARGV[2]) "
    "elseif redis.call('EXISTS', KEYS[1]) == 1 then "
    " redis.call('HSET', KEYS[1], 'res', '200') "
    " if redis.call('HGET', KEYS[1], 'status') == 'PENDING' then "
    "  redis.call('HSET', KEYS[1], 'status', 'TRYING', 'sip', '100') "
    " end "
    " if redis.call('HGET', KEYS[1], 'ended') ~= '1' then "
    "  redis.call('PEXPIRE', KEYS[1], ARGV[3]) end end "
    "if #KEYS == 3 then "
    " if ARGV[1] == '0' then redis.call('DEL', KEYS[3]) "
    " elseif redis.call('EXISTS', KEYS[3]) == 1 then "
    "  redis.call('HSET', KEYS[3], 'status', ARGV[1]) "
    "  redis.call('PEXPIRE', KEYS[3], ARGV[3]) end end "
    "return 'ok'";

/*
 * KEYS: the index; ARGV: the calls' prefix, a callId ("": every call).
 * Returns the calls flat: the id, then the fields.  Ids whose call
 * expired leave the index.
 */
static const char calls_lua[] =
    "local ids = {ARGV[2]} "
    "if ARGV[2] == '' then ids = redis.call('ZRANGE', KEYS[1], 0, -1) end "
    "local out = {} "
    "for _, id in ipairs(ids) do "
    " local v = redis.call('HMGET', ARGV[1] .. id, " SH_FIELDS ") "
    " if v[1] then out[#out + 1] = id "
    "  for i = 1, #v do out[#out + 1] = v[i] end "
    " elseif ARGV[2] == '' then redis.call('ZREM', KEYS[1], id) end end "
    "return out";

/*
 * KEYS: the stream, its last id; ARGV: the first id wanted, how many.
 * Returns the oldest entry's id ("0": none), the last id, the events.
 */
static const char journal_lua[] =
    "local f = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1) "
    "local out = {f[1] and f[1][1] or '0', "
    " redis.call('GET', KEYS[2]) or '0'} "
    "for _, e in ipairs(redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', "
    " '+', 'COUNT', ARGV[2])) do out[#out + 1] = e[2][2] end "
    "return out";

/*
 * KEYS: the key; ARGV: the pending ttl (ms).  {status, body} if seen,
 * else "new" (running for that long at most, idone_lua).
 */
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

/* KEYS: the key; ARGV: the status (0: forget), ttl (ms). */
static const char idone_lua[] =
    "if ARGV[1] == '0' then redis.call('DEL', KEYS[1]) "
    "elseif redis.call('EXISTS', KEYS[1]) == 1 then "
    " redis.call('HSET', KEYS[1], 'status', ARGV[1]) "
    " redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return 1";

#define SH_RETRY_MS 1000 /* after a failed connection or command */
#define SH_DOWN	    "redis unavailable (the companion's log says why)"

enum { S_RESERVE, S_DONE, S_CALLS, S_JOURNAL, S_CLAIM, S_PUT, S_IDONE, S__MAX };

struct shared {
	redisContext *rc;
	char *addr;
	long ms;
	uint64_t retry; /* no connection tried before (mono_ms) */
	long pending_ms;
	struct rscript sc[S__MAX];
};

struct shared *
shared_new(const char *addr, long ms, long pending_ms)
{
	static const char *const text[S__MAX] = { reserve_lua, done_lua,
		calls_lua, journal_lua, claim_lua, put_lua, idone_lua };
	struct shared *h;
	size_t i;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->addr = strdup(addr)) == NULL) {
		free(h);
		return NULL;
	}
	for (i = 0; i < S__MAX; i++)
		h->sc[i].text = text[i];
	h->ms = ms;
	h->pending_ms = pending_ms;
	return h;
}

/*
 * A failure of Redis: the detail (its address, its words) goes to the
 * log; what the caller gets, which reaches HTTP clients as a WCS or ARI
 * error, says only that Redis failed.  Returns -1.
 */
static int sh_fail(struct shared *h, char *out, size_t len, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
sh_fail(struct shared *h, char *out, size_t len, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	log_warnx("companion: redis '%s': %s", h->addr, detail);
	snprintf(out, len, "%s", SH_DOWN);
	return -1;
}

/*
 * The connection, opened if need be.  After a failure none is tried for
 * SH_RETRY_MS: the companion's socket thread, which asks here, must not
 * spend redis.timeout on every request while Redis is away (the rate
 * limiter waits the same way, rl_redis.c).  Returns 0, or -1 with why.
 */
static int
connected(struct shared *h, char *why, size_t len)
{
	if (h->rc != NULL)
		return 0;
	if (mono_ms() < h->retry) {
		snprintf(why, len, "%s", SH_DOWN);
		return -1;
	}
	if ((h->rc = rconn_open(h->addr, h->ms, why, len)) == NULL) {
		h->retry = mono_ms() + SH_RETRY_MS;
		return sh_fail(h, why, len, "%s", why);
	}
	return 0;
}

/* Drops a connection a command failed on, and waits before the next. */
static void
broken(struct shared *h)
{
	redisFree(h->rc);
	h->rc = NULL;
	h->retry = mono_ms() + SH_RETRY_MS;
}

/*
 * Runs script s with argv (the number of keys, keys, arguments).
 * Returns the reply, or NULL with why in out (the connection is
 * dropped when it failed).
 */
static redisReply *
eval(
    struct shared *h, int s, int argc, const char **argv, char *out, size_t len)
{
	redisReply *rep;

	if (connected(h, out, len) == -1)
		return NULL;
	if ((rep = rconn_eval(h->rc, &h->sc[s], argc, argv)) == NULL) {
		sh_fail(h, out, len, "%s", h->rc->errstr);
		broken(h);
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		sh_fail(h, out, len, "%s", rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* The status reply's text of script s into out (0), or -1 with why. */
static int
run_text(
    struct shared *h, int s, int argc, const char **argv, char *out, size_t len)
{
	redisReply *rep = eval(h, s, argc, argv, out, len);

	if (rep == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_STRING &&
	    rep->type != REDIS_REPLY_STATUS) {
		sh_fail(h, out, len, "odd reply");
		freeReplyObject(rep);
		return -1;
	}
	snprintf(out, len, "%s", rep->str);
	freeReplyObject(rep);
	return 0;
}

static int64_t
wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int
shared_reserve(struct shared *h, const char *tenant, const char *id,
    const char *key, const struct wcs_call *meta, char *out, size_t len)
{
	char kc[SH_KEY], ki[SH_KEY], kk[SH_KEY], pre[SH_KEY], ttl[24], now[24],
	    max[16], pend[24];
	const char *argv[15] = { "2", kc, ki };
	int n = 3;

	snprintf(kc, sizeof(kc), SH_PREFIX "%s:call:%s", tenant, id);
	snprintf(ki, sizeof(ki), SH_PREFIX "%s:calls", tenant);
	snprintf(pre, sizeof(pre), SH_PREFIX "%s:call:", tenant);
	if (strcmp(key, "-") != 0) {
		snprintf(kk, sizeof(kk), SH_PREFIX "%s:idem:%s", tenant, key);
		argv[0] = "3";
		argv[n++] = kk;
	}
	snprintf(ttl, sizeof(ttl), "%lld", WCS_KEY_TTL_MS);
	snprintf(now, sizeof(now), "%" PRId64, wall_ms());
	snprintf(max, sizeof(max), "%d", WCS_CALLS_MAX);
	argv[n++] = ttl;
	argv[n++] = now;
	argv[n++] = max;
	argv[n++] = pre;
	argv[n++] = id;
	argv[n++] = meta->callee;
	argv[n++] = meta->caller;
	argv[n++] = meta->visible;
	argv[n++] = meta->has_audio ? "1" : "0";
	argv[n++] = meta->has_video ? "1" : "0";
	snprintf(pend, sizeof(pend), "%ld", h->pending_ms);
	argv[n++] = pend;
	if (run_text(h, S_RESERVE, n, argv, out, len) == -1)
		return -1;
	return strcmp(out, "reserved") == 0;
}

int
shared_done(struct shared *h, const char *tenant, const char *id,
    const char *key, int status, char *out, size_t len)
{
	char kc[SH_KEY], ki[SH_KEY], kk[SH_KEY], st[16], ttl[24];
	const char *argv[7] = { "2", kc, ki };
	int n = 3;

	snprintf(kc, sizeof(kc), SH_PREFIX "%s:call:%s", tenant, id);
	snprintf(ki, sizeof(ki), SH_PREFIX "%s:calls", tenant);
	if (strcmp(key, "-") != 0) {
		snprintf(kk, sizeof(kk), SH_PREFIX "%s:idem:%s", tenant, key);
		argv[0] = "3";
		argv[n++] = kk;
	}
	snprintf(st, sizeof(st), "%d", status);
	snprintf(ttl, sizeof(ttl), "%lld", WCS_KEY_TTL_MS);
	argv[n++] = st;
	argv[n++] = id;
	argv[n++] = ttl;
	return run_text(h, S_DONE, n, argv, out, len) == -1 ? -1 : 0;
}

/* Field f of a record (element i of the reply), "" if nil. */
static const char *
field(const redisReply *rep, size_t i, int f)
{
	const redisReply *e = rep->element[i + 1 + (size_t)f];

	return e->type == REDIS_REPLY_STRING ? e->str : "";
}

/* The call whose record starts at element i of rep into c. */
static void
rec_call(const redisReply *rep, size_t i, struct wcs_call *c)
{
	const char *st = wcs_status(field(rep, i, F_STATUS));

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", rep->element[i]->str);
	snprintf(c->callee, sizeof(c->callee), "%s", field(rep, i, F_CALLEE));
	snprintf(c->caller, sizeof(c->caller), "%s", field(rep, i, F_CALLER));
	snprintf(c->visible, sizeof(c->visible), "%s", field(rep, i, F_NAME));
	c->has_audio = atoi(field(rep, i, F_AUDIO));
	c->has_video = atoi(field(rep, i, F_VIDEO));
	c->status = st != NULL ? st : "PENDING";
	c->sip = *field(rep, i, F_SIP) ? atoi(field(rep, i, F_SIP)) : -1;
	c->answered = atoi(field(rep, i, F_ANSWERED));
	c->evd = atoi(field(rep, i, F_EVD));
	c->hcause =
	    *field(rep, i, F_HCAUSE) ? atoi(field(rep, i, F_HCAUSE)) : -1;
	c->ended = atoi(field(rep, i, F_ENDED));
}

int
shared_calls(struct shared *h, const char *tenant, const char *id,
    shared_call_fn fn, void *ctx, char *why, size_t len)
{
	char ki[SH_KEY], pre[SH_KEY];
	const char *argv[4] = { "1", ki, pre, id ? id : "" };
	struct wcs_call c;
	redisReply *rep;
	size_t i;

	snprintf(ki, sizeof(ki), SH_PREFIX "%s:calls", tenant);
	snprintf(pre, sizeof(pre), SH_PREFIX "%s:call:", tenant);
	if ((rep = eval(h, S_CALLS, 4, argv, why, len)) == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % (F__MAX + 1)) {
		sh_fail(h, why, len, "odd reply");
		freeReplyObject(rep);
		return -1;
	}
	for (i = 0; i < rep->elements; i += F__MAX + 1)
		if (rep->element[i]->type == REDIS_REPLY_STRING) {
			rec_call(rep, i, &c);
			fn(ctx, &c);
		}
	freeReplyObject(rep);
	return 0;
}

struct find_ctx {
	const char *filter;
	struct jw *w;
};

static void
find_one(void *ctx, const struct wcs_call *c)
{
	struct find_ctx *f = ctx;

	if (wcs_match(c, f->filter))
		wcs_call_json(c, f->w);
}

int
shared_find(struct shared *h, const char *tenant, const char *filter,
    double age, struct buf *out)
{
	char id[WCS_ID_MAX * 2 + 1], why[256];
	struct find_ctx f;
	struct jw w;
	const char *p;

	if (strcmp(filter, "-") == 0)
		filter = "";
	/* A callId filter reads that one call, not the index. */
	id[0] = '\0';
	if (strncmp(filter, "callId=", 7) == 0) {
		p = filter + 7;
		if (wcs_pct_decode(id, sizeof(id), p, strcspn(p, "&")) == -1)
			id[0] = '\0';
	}
	buf_clear(out);
	buf_printf(out, "%.3f\n", age);
	jw_init(&w, out, JW_UTF8);
	jw_arr_open(&w);
	f.filter = filter;
	f.w = &w;
	if (shared_calls(h, tenant, id[0] ? id : NULL, find_one, &f, why,
		sizeof(why)) == -1) {
		buf_clear(out);
		buf_printf(out, "the shared WCS registry: %s", why);
		return 0;
	}
	jw_arr_close(&w);
	return 1;
}

/* The number before the '-' of a stream id ("17-0"). */
static uint64_t
stream_id(const redisReply *e)
{
	return e->type == REDIS_REPLY_STRING ? strtoull(e->str, NULL, 10) : 0;
}

int
shared_journal(struct shared *h, struct st_tenant *st, uint64_t since,
    size_t max, struct buf *out)
{
	char ks[SH_KEY], kq[SH_KEY], from[24], count[24], why[256];
	const char *argv[5] = { "2", ks, kq, from, count };
	uint64_t first, last;
	redisReply *rep;
	struct jw w;
	size_t i;

	snprintf(ks, sizeof(ks), "pbxapi:journal:%s", st_name(st));
	snprintf(kq, sizeof(kq), "pbxapi:journal:%s:seq", st_name(st));
	snprintf(from, sizeof(from), "%" PRIu64, since + 1);
	snprintf(count, sizeof(count), "%zu", max);
	buf_clear(out);
	if ((rep = eval(h, S_JOURNAL, 5, argv, why, sizeof(why))) == NULL ||
	    rep->type != REDIS_REPLY_ARRAY || rep->elements < 2) {
		buf_printf(out, "the shared journal: %s",
		    rep == NULL ? why : "odd reply from redis");
		if (rep != NULL)
			freeReplyObject(rep);
		return 0;
	}
	first = stream_id(rep->element[0]);
	last = stream_id(rep->element[1]);
	jw_init(&w, out, JW_UTF8);
	jw_obj_open(&w);
	st_head_json(st, &w);
	jw_keyz(&w, "first");
	jw_int(&w, (int64_t)first);
	jw_keyz(&w, "last");
	jw_int(&w, (int64_t)last);
	jw_keyz(&w, "gap");
	jw_bool(&w, first != 0 && since + 1 < first);
	jw_keyz(&w, "events");
	jw_arr_open(&w);
	for (i = 2; i < rep->elements; i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING)
			jw_number(
			    &w, rep->element[i]->str, rep->element[i]->len);
	jw_arr_close(&w);
	jw_obj_close(&w);
	freeReplyObject(rep);
	if (out->overflow || w.error) {
		buf_clear(out);
		buf_adds(out, "reply too large");
		return 0;
	}
	return 1;
}

int
shared_journal_top(
    struct shared *h, const char *tenant, uint64_t *top, char *why, size_t len)
{
	char kq[SH_KEY];
	redisReply *rep;

	if (connected(h, why, len) == -1)
		return -1;
	snprintf(kq, sizeof(kq), "pbxapi:journal:%s:seq", tenant);
	if ((rep = redisCommand(h->rc, "GET %s", kq)) == NULL) {
		sh_fail(h, why, len, "%s", h->rc->errstr);
		broken(h);
		return -1;
	}
	*top =
	    rep->type == REDIS_REPLY_STRING ? strtoull(rep->str, NULL, 10) : 0;
	if (rep->type == REDIS_REPLY_ERROR) {
		sh_fail(h, why, len, "%s", rep->str);
		freeReplyObject(rep);
		return -1;
	}
	freeReplyObject(rep);
	return 0;
}

/* Runs script s on tenant's key with the n args; the reply, or NULL. */
static redisReply *
run_idem(struct shared *h, int s, const char *tenant, const char *key,
    const char **args, int n, struct buf *out)
{
	char k[SH_KEY], why[256];
	const char *argv[4] = { "1", k };
	redisReply *rep;
	int i;

	buf_clear(out);
	if (strlen(key) > WCS_ID_MAX) {
		buf_adds(out, "key too long");
		return NULL;
	}
	snprintf(k, sizeof(k), SH_PREFIX "%s:idem:%s", tenant, key);
	for (i = 0; i < n && i < 2; i++)
		argv[2 + i] = args[i];
	if ((rep = eval(h, s, 2 + i, argv, why, sizeof(why))) == NULL)
		buf_adds(out, why);
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

	snprintf(ttl, sizeof(ttl), "%ld", h->pending_ms);
	if ((rep = run_idem(h, S_CLAIM, tenant, key, args, 1, out)) == NULL)
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
	if ((rep = run_idem(h, S_PUT, tenant, key, args, 2, out)) == NULL)
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
	char st[16], ttl[24];
	const char *args[2] = { st, ttl };
	redisReply *rep;

	snprintf(st, sizeof(st), "%d", status);
	snprintf(ttl, sizeof(ttl), "%lld", WCS_KEY_TTL_MS);
	if ((rep = run_idem(h, S_IDONE, tenant, key, args, 2, out)) == NULL)
		return 0;
	freeReplyObject(rep);
	buf_adds(out, "ok");
	return 1;
}
