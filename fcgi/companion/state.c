/*
 * The companion's live state (see state.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eplist.h"
#include "event.h"
#include "journal.h"
#include "limits.h"
#include "log.h"
#include "state.h"
#include "state_int.h"
#include "util.h"

const struct cs_field cs_fields[CS__MAX] = {
	[CS_NAME] = { "name", offsetof(struct ev_chan, name) },
	[CS_CALLER_NUM] = { "caller_num",
	    offsetof(struct ev_chan, caller_num) },
	[CS_CALLER_NAME] = { "caller_name",
	    offsetof(struct ev_chan, caller_name) },
	[CS_CONN_NUM] = { "connected_num",
	    offsetof(struct ev_chan, connected_num) },
	[CS_CONN_NAME] = { "connected_name",
	    offsetof(struct ev_chan, connected_name) },
	[CS_ACCOUNTCODE] = { "accountcode",
	    offsetof(struct ev_chan, accountcode) },
	[CS_CONTEXT] = { "context", offsetof(struct ev_chan, context) },
	[CS_EXTEN] = { "exten", offsetof(struct ev_chan, exten) },
	[CS_APP] = { "app", offsetof(struct ev_chan, app) },
	[CS_APP_DATA] = { "app_data", offsetof(struct ev_chan, app_data) },
	[CS_LINKEDID] = { "linkedid", offsetof(struct ev_chan, linkedid) },
	[CS_BRIDGE] = { "bridge", offsetof(struct ev_chan, bridge) },
	[CS_LANGUAGE] = { "language", offsetof(struct ev_chan, language) },
};

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A copy of s cut as ev_str_len() says. */
static char *
dup_cut(const char *s)
{
	size_t n = ev_str_len(s);
	char *d;

	if ((d = malloc(n + 1)) == NULL)
		fatal("malloc");
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Replaces *dst by a copy of s, unless s is NULL ("not said"). */
static void
set_str(char **dst, const char *s)
{
	if (s == NULL || (*dst != NULL && strcmp(*dst, s) == 0))
		return;
	free(*dst);
	*dst = dup_cut(s);
}

static size_t
hash(const struct st_tenant *s, const char *id)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return (size_t)(h & (s->nbuckets - 1));
}

struct st_tenant *
st_new(const char *name, const char *backend, size_t max_channels,
    size_t journal_len)
{
	struct st_tenant *s;
	struct timespec ts;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	pthread_mutex_init(&s->lock, NULL);
	s->name = dup_cut(name);
	s->backend = dup_cut(backend);
	s->max_channels = max_channels ? max_channels : 1;
	for (s->nbuckets = 64; s->nbuckets < s->max_channels; s->nbuckets *= 2)
		;
	if ((s->hash = calloc(s->nbuckets, sizeof(*s->hash))) == NULL)
		fatal("calloc");
	/* Ids from the wall clock in µs: never reused by a restart. */
	clock_gettime(CLOCK_REALTIME, &ts);
	journal_init(&s->journal, journal_len,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	snprintf(s->down_why, sizeof(s->down_why), "never connected");
	return s;
}

static void
chan_free(struct chan *c)
{
	size_t i;

	free(c->id);
	for (i = 0; i < CS__MAX; i++)
		free(c->s[i]);
	free(c->json);
	free(c);
}

static void
items_free(struct items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++) {
		free(it->v[i].key);
		free(it->v[i].key2);
		free(it->v[i].state);
	}
	free(it->v);
	memset(it, 0, sizeof(*it));
}

void
st_free(struct st_tenant *s)
{
	struct chan *c, *n;
	size_t i;

	if (s == NULL)
		return;
	for (c = s->first; c != NULL; c = n) {
		n = c->next;
		chan_free(c);
	}
	items_free(&s->peers);
	items_free(&s->members);
	eplist_free(&s->ep);
	for (i = 0; i < GONE_MAX; i++)
		free(s->gone[i]);
	journal_free(&s->journal);
	free(s->hash);
	free(s->name);
	free(s->backend);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *
st_name(const struct st_tenant *s)
{
	return s->name;
}

const char *
st_backend(const struct st_tenant *s)
{
	return s->backend;
}

static struct chan *
chan_find(const struct st_tenant *s, const char *id)
{
	struct chan *c;

	for (c = s->hash[hash(s, id)]; c != NULL; c = c->hnext)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

/* Adds channel id.  Returns it, or NULL when full (counted). */
static struct chan *
chan_add(struct st_tenant *s, const char *id)
{
	struct chan *c;
	size_t h;

	if (s->nchan >= s->max_channels) {
		s->overflow++;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->id = dup_cut(id);
	c->priority = -1;
	c->cause = -1;
	h = hash(s, c->id);
	c->hnext = s->hash[h];
	s->hash[h] = c;
	c->prev = s->last;
	if (s->last != NULL)
		s->last->next = c;
	else
		s->first = c;
	s->last = c;
	s->nchan++;
	return c;
}

static void
chan_remove(struct st_tenant *s, struct chan *c)
{
	struct chan **pp = &s->hash[hash(s, c->id)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->first = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		s->last = c->prev;
	s->nchan--;
	chan_free(c);
}

/* Takes what the event's snapshot says. */
static void
chan_merge(struct chan *c, const struct ev_chan *e)
{
	size_t i;

	for (i = 0; i < CS__MAX; i++)
		set_str(&c->s[i],
		    *(const char *const *)(const void *)((const char *)e +
			cs_fields[i].off));
	if (e->state != ST_UNKNOWN)
		c->state = e->state;
	if (e->priority >= 0)
		c->priority = e->priority;
	if (e->created_ms != 0)
		c->created_ms = e->created_ms;
	else if (c->created_ms == 0)
		c->created_ms = wall_ms();
}

/* Finds or adds the key (key2 NULL: peers) and sets its state. */
static void
item_set(struct st_tenant *s, struct items *it, const char *key,
    const char *key2, const char *state, int64_t ts)
{
	struct item *v;
	size_t i;

	for (i = 0; i < it->n; i++)
		if (strcmp(it->v[i].key, key) == 0 &&
		    (key2 == NULL || strcmp(it->v[i].key2, key2) == 0))
			break;
	if (i < it->n && state == NULL) { /* removed */
		free(it->v[i].key);
		free(it->v[i].key2);
		free(it->v[i].state);
		it->v[i] = it->v[--it->n];
		return;
	}
	if (state == NULL)
		return;
	if (i == it->n) {
		if (it->n >= LIM_EV_PEERS) {
			s->overflow++;
			return;
		}
		if (it->n == it->cap) {
			it->cap = it->cap ? it->cap * 2 : 32;
			v = realloc(it->v, it->cap * sizeof(*v));
			if (v == NULL)
				fatal("realloc");
			it->v = v;
		}
		memset(&it->v[i], 0, sizeof(it->v[i]));
		it->v[i].key = dup_cut(key);
		it->v[i].key2 = dup_cut(key2 ? key2 : "");
		it->n++;
	}
	set_str(&it->v[i].state, state);
	it->v[i].ts_ms = ts ? ts : wall_ms();
}

/*
 * Whether an event for a channel not held adds it (s locked): a creation
 * does; so does any event with the channel's snapshot (ARI's first event
 * of an originated channel may be its Dial), unless it is a hangup or
 * the channel was destroyed lately (Asterisk sends NewCallerid and the
 * like after a Hangup: they must not bring it back).
 */
static int
may_add(const struct st_tenant *s, const struct ev *e)
{
	size_t i;

	if (e->type != EV_CREATED &&
	    (e->type == EV_HANGUP || e->chan.name == NULL))
		return 0;
	for (i = 0; i < GONE_MAX; i++)
		if (s->gone[i] != NULL && strcmp(s->gone[i], e->chan.id) == 0)
			return 0;
	return 1;
}

/* Applies a channel event (s locked). */
static void
apply_chan(struct st_tenant *s, const struct ev *e)
{
	struct chan *c;
	int added = 0;

	if (e->chan.id == NULL || e->chan.id[0] == '\0')
		return;
	c = chan_find(s, e->chan.id);
	if (e->type == EV_DESTROYED) {
		if (c != NULL)
			chan_remove(s, c);
		free(s->gone[s->gone_at]);
		s->gone[s->gone_at] = dup_cut(e->chan.id);
		s->gone_at = (s->gone_at + 1) % GONE_MAX;
		return;
	}
	if (c == NULL) {
		if (!may_add(s, e) || (c = chan_add(s, e->chan.id)) == NULL)
			return;
		added = 1;
	}
	chan_merge(c, &e->chan);
	free(c->json); /* rendered again when asked */
	c->json = NULL;
	if (added &&
	    (c->s[CS_LINKEDID] == NULL || c->s[CS_LINKEDID][0] == '\0' ||
		strcmp(c->s[CS_LINKEDID], c->id) == 0))
		s->calls++;
	c->seen = s->sync_gen;
	switch (e->type) {
	case EV_ANSWER:
		c->state = ST_UP;
		break;
	case EV_HOLD:
	case EV_UNHOLD:
		c->held = e->type == EV_HOLD;
		break;
	case EV_BRIDGE_LEAVE:
		set_str(&c->s[CS_BRIDGE], "");
		break;
	case EV_HANGUP:
		c->cause = e->cause;
		break;
	default:
		break;
	}
}

void
st_apply(struct st_tenant *s, const struct ev *e)
{
	st_apply_tap(s, e, NULL, NULL);
}

void
st_apply_tap(struct st_tenant *s, const struct ev *e, st_tap_fn tap, void *ctx)
{
	const struct jentry *je;

	pthread_mutex_lock(&s->lock);
	s->events++;
	s->last_ms = mono_ms();
	if (e->ts_ms != 0)
		s->last_ts = e->ts_ms;
	if (e->type == EV_PEER && e->peer != NULL)
		item_set(s, &s->peers, e->peer, NULL,
		    e->peer_state ? e->peer_state : "", e->ts_ms);
	else if (e->type == EV_QUEUE_MEMBER && e->queue && e->member)
		item_set(s, &s->members, e->queue, e->member,
		    e->member_state != NULL &&
			    strcmp(e->member_state, "removed") == 0
			? NULL
			: (e->member_state ? e->member_state : ""),
		    e->ts_ms);
	else
		apply_chan(s, e);
	journal_add(&s->journal, e, wall_ms());
	if (tap != NULL && (je = journal_newest(&s->journal)) != NULL)
		tap(ctx, je->id, e, je->json, je->len);
	pthread_mutex_unlock(&s->lock);
}

void
st_begin_sync(struct st_tenant *s)
{
	pthread_mutex_lock(&s->lock);
	s->link = SL_SYNCING;
	s->sync_gen++;
	s->syncs++;
	pthread_mutex_unlock(&s->lock);
}

void
st_end_sync(struct st_tenant *s)
{
	struct chan *c, *n;

	pthread_mutex_lock(&s->lock);
	for (c = s->first; c != NULL; c = n) {
		n = c->next;
		if (c->seen != s->sync_gen)
			chan_remove(s, c);
	}
	s->link = SL_CONNECTED;
	s->synced = s->ever_synced = 1;
	pthread_mutex_unlock(&s->lock);
}

void
st_down(struct st_tenant *s, const char *why)
{
	pthread_mutex_lock(&s->lock);
	if (s->link != SL_DOWN || s->down_ms == 0)
		s->down_ms = mono_ms();
	s->link = SL_DOWN;
	s->synced = 0;
	snprintf(s->down_why, sizeof(s->down_why), "%s", why ? why : "");
	pthread_mutex_unlock(&s->lock);
}

const char *
st_link_name(enum st_link l)
{
	static const char *const names[] = { "down", "syncing", "connected" };

	return (unsigned)l < nitems(names) ? names[l] : "down";
}

/* The state's age in seconds (s locked): 0 synced, -1 never synced. */
static double
age(const struct st_tenant *s, uint64_t now)
{
	if (!s->ever_synced)
		return -1;
	if (s->synced && s->link == SL_CONNECTED)
		return 0;
	return now > s->down_ms ? (double)(now - s->down_ms) / 1000.0 : 0;
}

void
st_stats_locked(const struct st_tenant *s, struct st_stats *o)
{
	uint64_t now = mono_ms();
	int64_t wall = wall_ms();

	memset(o, 0, sizeof(*o));
	o->link = s->link;
	o->synced = s->synced && s->link == SL_CONNECTED;
	o->ever_synced = s->ever_synced;
	o->age = age(s, now);
	o->last_event = s->last_ms ? (double)(now - s->last_ms) / 1000.0 : -1;
	o->lag = s->last_ts ? (double)(wall - s->last_ts) / 1000.0 : -1;
	o->events = s->events;
	o->syncs = s->syncs;
	o->overflow = s->overflow;
	o->channels = s->nchan;
	o->peers = s->peers.n;
	o->members = s->members.n;
	o->journal_first = journal_first(&s->journal);
	o->journal_last = journal_last(&s->journal);
	memcpy(o->down_why, s->down_why, sizeof(o->down_why));
}

int
st_has(struct st_tenant *s, const char *id)
{
	int found;

	pthread_mutex_lock(&s->lock);
	found = chan_find(s, id) != NULL;
	pthread_mutex_unlock(&s->lock);
	return found;
}

void
st_stats(struct st_tenant *s, struct st_stats *out)
{
	pthread_mutex_lock(&s->lock);
	st_stats_locked(s, out);
	pthread_mutex_unlock(&s->lock);
}

void
st_journal_floor(struct st_tenant *s, uint64_t next_id)
{
	pthread_mutex_lock(&s->lock);
	journal_floor(&s->journal, next_id);
	pthread_mutex_unlock(&s->lock);
}

/* ---- the endpoint listing (eplist.h) ---- */

void
st_ep_list(struct st_tenant *s, const char *text, size_t len)
{
	pthread_mutex_lock(&s->lock);
	s->overflow += eplist_set(&s->ep, text, len) == -1;
	pthread_mutex_unlock(&s->lock);
}

void
st_ep_set(struct st_tenant *s, const char *endpoint, const char *key,
    const char *value, enum ev_ep_how how)
{
	pthread_mutex_lock(&s->lock);
	s->overflow += eplist_edit(&s->ep, endpoint, key, value, how) == -1;
	pthread_mutex_unlock(&s->lock);
}

int
st_endpoints(struct st_tenant *s, struct buf *out)
{
	struct st_stats st;
	int rc;

	pthread_mutex_lock(&s->lock);
	st_stats_locked(s, &st);
	rc = eplist_write(&s->ep, st.synced, st.age, out);
	pthread_mutex_unlock(&s->lock);
	return rc;
}
