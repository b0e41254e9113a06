/*
 * The ARI event source: Asterisk's /ari/events websocket translated to
 * the event model (event.h).
 */
#ifndef PBXAPI_SRC_ARI_H
#define PBXAPI_SRC_ARI_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct arena;

#define SRC_ARI_APP	   "pbxapi" /* ARI_EVENTS_APP's default */
#define SRC_ARI_APP_MAX	   64	    /* its length */
#define SRC_ARI_STEP_MS	   3000	    /* connect, handshake, channel list */
#define SRC_ARI_WAIT_MS	   500	    /* one read: *stop seen this often */
#define SRC_ARI_KEEP_S	   20	/* ARI_EVENTS_KEEPALIVE's default, seconds */
#define SRC_ARI_KEEP_MAX_S 3600 /* and its ceiling */
#define SRC_ARI_EV_MAX	   2	/* struct ev from one ARI event */

/*
 * The source (ev_source_fn): subscribes to the tenant's ARI events
 * (ARI_HOST, ARI_PORT, ARI_SCHEME http or https, ARI_USERNAME,
 * ARI_SECRET; the Stasis application ARI_EVENTS_APP, subscribeAll),
 * rebuilds from GET /ari/channels, then delivers events until the
 * connection fails (E_BACKEND, E_TIMEOUT, E_PROTO, E_TOOLARGE with the
 * reason in errbuf; sink->down() is called once the state was being
 * fed) or *stop is set (E_OK).  After ARI_EVENTS_KEEPALIVE seconds
 * (SRC_ARI_KEEP_S) without a frame it pings; no frame within as long
 * again is E_TIMEOUT.  A tenant setting it cannot use is E_BADREQ.
 */
enum err src_ari(const struct tenant *t, struct ev_sink *sink,
    const _Atomic int *stop, char *errbuf, size_t errlen);

/*
 * Maps one ARI event (n bytes of JSON) to at most SRC_ARI_EV_MAX events
 * in out, their strings in the arena.  Returns how many (0: an event the
 * model has no use for), or -1 with the reason in errbuf if it is not a
 * JSON object with a "type".  Pure; exposed for tests.
 */
int src_ari_map(struct arena *a, const char *json, size_t n,
    struct ev out[SRC_ARI_EV_MAX], char *errbuf, size_t errlen);

/*
 * Parses ARI's time ("2026-11-22T12:23:40.605+0000", also with "Z" or
 * "+00:00" and without the milliseconds).  Returns milliseconds since
 * the epoch, or 0 if s is not such a time.
 */
int64_t src_ari_time(const char *s);

#endif
