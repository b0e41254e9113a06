/*
 * The companion's live state of one tenant: its channels by id, its
 * peers (endpoints) and queue members, the link to its backend, and the
 * journal of its events (journal.h).  A source's sink (event.h) feeds it
 * from the source's thread; the local interface (local.h) reads it from
 * another: every function takes the tenant's lock.  Strings of a struct
 * ev are copied (each cut to LIM_EV_STR bytes).  Channels are bounded
 * (max_channels; an event that would add one more is counted in
 * "overflow" and dropped), so are peers and members (LIM_EV_PEERS).
 * An event for a channel not held adds it when it is a creation or
 * carries the snapshot (a name), unless it is a hangup or the channel
 * was among the last 256 destroyed (Asterisk sends NewCallerid and the
 * like after a Hangup); otherwise it is journaled, nothing more.
 *
 * Sync: st_begin_sync() opens a rebuild; every channel an event names
 * before st_end_sync() is kept, the others are dropped then (they ended
 * while the source was away).  Age: 0 while the state is synced and its
 * source connected; from st_down() on, the seconds since; before the
 * first sync it has none ("never synced").
 *
 * An AMI tenant also has its endpoint listing (eplist.h), replaced and
 * edited through the sink (event.h: ep_list, ep_set).
 */
#ifndef PBXAPI_STATE_H
#define PBXAPI_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct buf;
struct jw;
struct st_tenant;

enum st_link { SL_DOWN, SL_SYNCING, SL_CONNECTED };

/* Counters and link state, for status and metrics. */
struct st_stats {
	enum st_link link;
	int synced;	   /* a rebuild ended, and no st_down() since */
	int ever_synced;   /* a rebuild ever ended */
	double age;	   /* seconds, -1: never synced */
	double last_event; /* seconds since the last event, -1: none */
	double lag;	   /* now minus the last event's ts, -1: unknown */
	uint64_t events;   /* events applied */
	uint64_t syncs;	   /* rebuilds begun */
	uint64_t overflow; /* channels, peers, members not kept */
	size_t channels, peers, members;
	uint64_t journal_first, journal_last;
	char down_why[128]; /* the last reason it went down */
};

/*
 * Makes the state of tenant name fed by backend ("ami" ...), keeping at
 * most max_channels channels and journal_len events.
 */
struct st_tenant *st_new(const char *name, const char *backend,
    size_t max_channels, size_t journal_len);
void st_free(struct st_tenant *s);

const char *st_name(const struct st_tenant *s);
const char *st_backend(const struct st_tenant *s);

/* The sink calls (event.h). */
void st_begin_sync(struct st_tenant *s);
void st_end_sync(struct st_tenant *s);
void st_apply(struct st_tenant *s, const struct ev *e);
void st_down(struct st_tenant *s, const char *why);

/* Returns 1 if channel id is held (a WCS callId in use), else 0. */
int st_has(struct st_tenant *s, const char *id);

/*
 * st_apply(), then tap(ctx, e, json, len) with the event as the journal
 * keeps it (its id included), under the lock, so that taps see the
 * events in journal order (the publisher, publish.h).  tap must not
 * block.  st_apply() is this with no tap.
 */
typedef void (*st_tap_fn)(
    void *ctx, uint64_t id, const struct ev *e, const char *json, size_t len);
void st_apply_tap(
    struct st_tenant *s, const struct ev *e, st_tap_fn tap, void *ctx);

/* Fills *out (under the lock). */
void st_stats(struct st_tenant *s, struct st_stats *out);

/* Returns the name of a link state ("down", "syncing", "connected"). */
const char *st_link_name(enum st_link l);

/*
 * Write JSON documents into out (docs/architecture.md, "The event
 * companion"): the channels with the state's age, the peers and queue
 * members, the journal's events after since.  Return 0, or -1 if out
 * overflowed.
 */
int st_channels_json(struct st_tenant *s, struct buf *out);
int st_peers_json(struct st_tenant *s, struct buf *out);
int st_journal_json(struct st_tenant *s, uint64_t since, struct buf *out);

/*
 * The endpoint listing (event.h, eplist.h): st_ep_list() replaces it
 * (text NULL, or over LIM_EV_EP_TEXT bytes: none, counted in overflow);
 * st_ep_set() changes one line's value in one endpoint's block (nothing
 * without such a line; a change past a limit is not made, and counted).
 * st_endpoints() writes "SYNCED AGE\n" and the listing into out:
 * returns 0, -1 if out overflowed, 1 if there is no listing.
 */
void st_ep_list(struct st_tenant *s, const char *text, size_t len);
void st_ep_set(struct st_tenant *s, const char *endpoint, const char *key,
    const char *value, enum ev_ep_how how);
int st_endpoints(struct st_tenant *s, struct buf *out);

/* journal_floor() of the tenant's journal (journal.h). */
void st_journal_floor(struct st_tenant *s, uint64_t next_id);

/* The members "tenant", "backend", "state", "synced", "age" into w. */
void st_head_json(struct st_tenant *s, struct jw *w);

/* Writes the tenant's status object (as /status shows it) into w. */
void st_status_json(struct st_tenant *s, struct jw *w);
/* The same object's members, for a caller that adds its own. */
void st_status_fields(struct st_tenant *s, struct jw *w);

#endif
