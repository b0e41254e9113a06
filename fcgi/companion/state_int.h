/*
 * The state store's insides, shared by state.c (events in) and
 * state_json.c (the JSON out): nothing else includes this.
 */
#ifndef PBXAPI_STATE_INT_H
#define PBXAPI_STATE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "eplist.h"
#include "event.h"
#include "journal.h"
#include "state.h"

/* A channel's strings, in struct ev_chan's order (one table for all). */
enum cs {
	CS_NAME,
	CS_CALLER_NUM,
	CS_CALLER_NAME,
	CS_CONN_NUM,
	CS_CONN_NAME,
	CS_ACCOUNTCODE,
	CS_CONTEXT,
	CS_EXTEN,
	CS_APP,
	CS_APP_DATA,
	CS_LINKEDID,
	CS_BRIDGE,
	CS_LANGUAGE,
	CS__MAX
};

/* Each string's key in the JSON and its place in struct ev_chan. */
struct cs_field {
	const char *key;
	size_t off;
};

extern const struct cs_field cs_fields[CS__MAX];

#define GONE_MAX 256 /* destroyed ids remembered (no resurrection) */

struct chan {
	struct chan *hnext;	  /* hash chain */
	struct chan *prev, *next; /* creation order */
	char *id;
	char *s[CS__MAX];
	enum ev_state state;
	long priority;
	int64_t created_ms;
	int held;
	int cause;
	uint64_t seen; /* the sync it was last named in */
	char *json;    /* its snapshot as chan_out() writes it, NULL: stale */
	size_t jlen;
};

/* A peer (key: endpoint) or a queue member (key: queue, member). */
struct item {
	char *key, *key2, *state;
	int64_t ts_ms;
};

struct items {
	struct item *v;
	size_t n, cap;
};

struct st_tenant {
	pthread_mutex_t lock;
	char *name, *backend;
	struct chan **hash;
	size_t nbuckets;
	struct chan *first, *last;
	size_t nchan, max_channels;
	struct items peers, members;
	struct journal journal;
	enum st_link link;
	int synced, ever_synced;
	uint64_t sync_gen;
	uint64_t down_ms; /* monotonic, when it went down */
	uint64_t last_ms; /* monotonic, the last event */
	int64_t last_ts;  /* the last event's backend time */
	uint64_t events, syncs, overflow;
	uint64_t calls;	  /* channels that began a call (their own linkedid) */
	struct eplist ep; /* the endpoint listing (event.h) */
	char *gone[GONE_MAX]; /* the ids of the last channels destroyed */
	size_t gone_at;
	char down_why[128];
};

/* s's figures (s locked). */
void st_stats_locked(const struct st_tenant *s, struct st_stats *o);

#endif
