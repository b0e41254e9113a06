/*
 * The WCS call registry of one tenant, held by the companion (see
 * docs/wcs.md): the calls the /rest-api/call/startup method placed,
 * keyed by their WCS callId (the ARI channel id, the AMI ChannelId), with
 * their Call status and sipStatus kept up to date from the tenant's
 * events (the mapping of spec §4.3), finished calls retained for
 * wcs.retain with their final status, and the Idempotency-Key outcomes
 * of startup (24 h).  Bounded: WCS_CALLS_MAX calls, WCS_KEYS_MAX keys.
 * The source's thread feeds it (wcs_apply), the local interface reads
 * it (the wcs.* verbs): every function takes the registry's lock.  With
 * redis set the registry that the verbs read is in Redis (shared.h) and
 * this one is the lease holder's working copy of the calls it follows.
 */
#ifndef PBXAPI_WCS_H
#define PBXAPI_WCS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct buf;
struct jw;
struct st_tenant;

#define WCS_CALLS_MAX  512
#define WCS_KEYS_MAX   1024
#define WCS_KEY_TTL_MS (24LL * 3600 * 1000)
#define WCS_ID_MAX     128  /* a callId, an Idempotency-Key */
#define WCS_STR_MAX    64   /* callee, caller, visibleName */
#define WCS_BODY_MAX   8192 /* a kept first answer's body */

/* One call as the Call model shows it (spec §3). */
struct wcs_call {
	char id[WCS_ID_MAX + 1];
	char callee[WCS_STR_MAX + 1], caller[WCS_STR_MAX + 1];
	char visible[WCS_STR_MAX * 3 + 1];
	const char *status; /* PENDING, TRYING, RING ... (static) */
	int sip;	    /* sipStatus, -1: null */
	int has_audio, has_video;
	int incoming;
	int answered;	  /* it was Up once */
	int evd;	  /* an event named it */
	int seen;	  /* named during the running rebuild */
	int hcause;	  /* the cause of its hangup request, -1 */
	int ended;	  /* its status is final */
	int listed;	  /* in the shared registry at the last rebuild */
	uint64_t end_ms;  /* monotonic, when it ended */
	uint64_t born_ms; /* monotonic, when reserved (or adopted) */
	uint64_t done_ms; /* monotonic, when its startup settled; 0 */
};

struct wcs_reg;

/*
 * retain_ms: how long finished calls stay; pending_ms: longer than any
 * startup runs, after which what it reserved and never settled goes.
 */
struct wcs_reg *wcs_new(long retain_ms, long pending_ms);
void wcs_free(struct wcs_reg *g);

/* The sink's calls (event.h), after the state store's. */
void wcs_begin_sync(struct wcs_reg *g);
void wcs_end_sync(struct wcs_reg *g);
void wcs_apply(struct wcs_reg *g, const struct ev *e);

/*
 * With redis set the shared registry is in Redis (shared.h) and the
 * lease holder's registry follows the calls it adopts from there:
 * wcs_apply_cb and wcs_end_sync_cb call fn (under the lock: it must not
 * block) with each call whose Call object changed, so that it is
 * written back; wcs_has says whether id is held; wcs_adopt adds c, read
 * from Redis, unless it is held or the registry is full (-1).
 */
typedef void (*wcs_changed_fn)(void *ctx, const struct wcs_call *c);
void wcs_apply_cb(
    struct wcs_reg *g, const struct ev *e, wcs_changed_fn fn, void *ctx);
void wcs_end_sync_cb(struct wcs_reg *g, wcs_changed_fn fn, void *ctx);
int wcs_has(struct wcs_reg *g, const char *id);
int wcs_adopt(struct wcs_reg *g, const struct wcs_call *c);

/*
 * A rebuild's adoption of the shared registry's unfinished calls:
 * wcs_list_begin(), wcs_adopt() of each (a held one is marked listed),
 * then wcs_list_end() drops the unfinished calls not listed (their
 * startup failed on another host, or they expired), which no event
 * would ever end.
 */
void wcs_list_begin(struct wcs_reg *g);
void wcs_list_end(struct wcs_reg *g);

/* The static string of Call status s ("RING" ...), or NULL: not one. */
const char *wcs_status(const char *s);

/*
 * Startup's meta (wcs_reserve) into c's callee, caller, visible,
 * has_audio, has_video.  Returns 0, or -1: bad.
 */
int wcs_meta(struct wcs_call *c, const char *meta);

/* 1 if c matches a wcs_find filter ("" all). */
int wcs_match(const struct wcs_call *c, const char *filter);

/*
 * The verbs (local.c).  wcs_reserve: key ("-": none) seen before writes
 * "seen STATUS" (its first outcome; STATUS 0 while that one is still
 * running); a callId in the registry or a live channel of st "conflict";
 * no room "full"; else the call is added as PENDING with meta (the
 * query string "callee=&caller=&name=&audio=&video=", percent-encoded)
 * and "reserved".  wcs_done: the outcome of the startup that reserved id
 * (200: the backend took it, TRYING; else the call is dropped) and of
 * its key.  wcs_find: "AGE\n" then the JSON array of the calls matching
 * filter ("-" all; else "callId=&callee=&status=&rtmpUrl=" encoded).
 * Each returns 1 (OK) or 0 (ERR, the text in out).
 */
int wcs_reserve(struct wcs_reg *g, struct st_tenant *st, const char *id,
    const char *key, const char *meta, struct buf *out);
int wcs_done(struct wcs_reg *g, const char *id, const char *key, int status,
    struct buf *out);
int wcs_find(
    struct wcs_reg *g, const char *filter, double age, struct buf *out);

/*
 * Idempotency-Key outcomes of another dialect's requests (ARI
 * originate), in the same table (the caller prefixes its keys, "ari:").
 * wcs_idem_claim: "seen STATUS\n" and the kept body (STATUS 0: still
 * running), "full", or "new" (now running).  wcs_idem_put appends the
 * chunk (percent-encoded) to a running key's body, at most WCS_BODY_MAX.
 * wcs_idem_done: the status of its first answer; 0 forgets the key (the
 * request failed and placed nothing: a retry may run).
 */
int wcs_idem_claim(struct wcs_reg *g, const char *key, struct buf *out);
int wcs_idem_put(
    struct wcs_reg *g, const char *key, const char *chunk, struct buf *out);
int wcs_idem_done(
    struct wcs_reg *g, const char *key, int status, struct buf *out);

/*
 * Decodes %XX and '+' of the n bytes at s into dst (size), NUL-ended.
 * Returns 0, or -1: bad or too long (%00 is bad).
 */
int wcs_pct_decode(char *dst, size_t size, const char *s, size_t n);

/* Pure, for tests: applies e to c (§4.3) at monotonic time now. */
void wcs_call_apply(struct wcs_call *c, const struct ev *e, uint64_t now);

/* Pure: sets c's status (static) and, unless 0, its sipStatus. */
void wcs_call_set(struct wcs_call *c, const char *status, int sip);

/*
 * Pure: c's final status after its hangup with cause (-1: none) at
 * monotonic time now: BUSY stays, FINISH after answer, else FAILED.
 */
void wcs_call_finish(struct wcs_call *c, int cause, uint64_t now);

/* Pure: the SIP status of a Q.850 cause (RFC 3398 §7.2.4.1). */
int wcs_q850_sip(int cause);

/* Pure: writes c as a WCS Call object, all 25 keys. */
void wcs_call_json(const struct wcs_call *c, struct jw *w);

#endif
