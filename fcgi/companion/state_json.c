/*
 * The companion's live state as JSON (see state.h): the channels, the
 * peers and members, the journal and the status part, each read under
 * the tenant's lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "journal.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "state.h"
#include "state_int.h"
#include "util.h"

static void
num3(struct jw *w, const char *k, double v)
{
	char num[400];

	jw_keyz(w, k);
	if (v < 0) {
		jw_null(w);
		return;
	}
	snprintf(num, sizeof(num), "%.3f", v);
	jw_number(w, num, strlen(num));
}

/* "age": seconds with 3 decimals, or null; "synced", "state". */
static void
head_json(const struct st_tenant *s, struct jw *w)
{
	struct st_stats st;

	st_stats_locked(s, &st);
	jw_keyz(w, "tenant");
	jw_strz(w, s->name);
	jw_keyz(w, "backend");
	jw_strz(w, s->backend);
	jw_keyz(w, "state");
	jw_strz(w, st_link_name(st.link));
	jw_keyz(w, "synced");
	jw_bool(w, st.synced);
	num3(w, "age", st.age);
}

static void
kv(struct jw *w, const char *k, const char *v)
{
	jw_keyz(w, k);
	jw_strz(w, v ? v : "");
}

static void
chan_render(struct jw *w, const struct chan *c)
{
	size_t i;

	jw_obj_open(w);
	kv(w, "id", c->id);
	for (i = 0; i < CS__MAX; i++)
		kv(w, cs_fields[i].key, c->s[i]);
	kv(w, "state", ev_state_name(c->state));
	jw_keyz(w, "priority");
	jw_int(w, c->priority);
	jw_keyz(w, "created_ms");
	jw_int(w, c->created_ms);
	jw_keyz(w, "held");
	jw_bool(w, c->held);
	jw_obj_close(w);
}

/*
 * Writes c's snapshot into w.  The text is kept until the channel
 * changes: asking for the channels costs a copy per channel, not a
 * rendering (s locked).
 */
static void
chan_out(struct jw *w, struct chan *c)
{
	struct buf b;
	struct jw cw;

	if (c->json == NULL) {
		buf_init(&b, 16 * CS__MAX * LIM_EV_STR);
		jw_init(&cw, &b, JW_UTF8);
		chan_render(&cw, c);
		c->jlen = b.len;
		if ((c->json = malloc(b.len + 1)) == NULL)
			fatal("malloc");
		memcpy(c->json, b.data ? b.data : "", b.len);
		c->json[b.len] = '\0';
		buf_free(&b);
	}
	jw_number(w, c->json, c->jlen);
}

int
st_channels_json(struct st_tenant *s, struct buf *out)
{
	struct chan *c;
	struct jw w;

	jw_init(&w, out, JW_UTF8);
	pthread_mutex_lock(&s->lock);
	jw_obj_open(&w);
	head_json(s, &w);
	jw_keyz(&w, "calls_seen");
	jw_int(&w, (int64_t)s->calls);
	jw_keyz(&w, "channels");
	jw_arr_open(&w);
	for (c = s->first; c != NULL && !out->overflow; c = c->next)
		chan_out(&w, c);
	jw_arr_close(&w);
	jw_obj_close(&w);
	pthread_mutex_unlock(&s->lock);
	return out->overflow || w.error ? -1 : 0;
}

static void
items_out(struct jw *w, const char *name, const struct items *it,
    const char *k1, const char *k2)
{
	size_t i;

	jw_keyz(w, name);
	jw_arr_open(w);
	for (i = 0; i < it->n; i++) {
		jw_obj_open(w);
		kv(w, k1, it->v[i].key);
		if (k2 != NULL)
			kv(w, k2, it->v[i].key2);
		kv(w, "state", it->v[i].state);
		jw_keyz(w, "ts");
		jw_int(w, it->v[i].ts_ms);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

int
st_peers_json(struct st_tenant *s, struct buf *out)
{
	struct jw w;

	jw_init(&w, out, JW_UTF8);
	pthread_mutex_lock(&s->lock);
	jw_obj_open(&w);
	head_json(s, &w);
	items_out(&w, "peers", &s->peers, "peer", NULL);
	items_out(&w, "queue_members", &s->members, "queue", "member");
	jw_obj_close(&w);
	pthread_mutex_unlock(&s->lock);
	return out->overflow || w.error ? -1 : 0;
}

void
st_head_json(struct st_tenant *s, struct jw *w)
{
	pthread_mutex_lock(&s->lock);
	head_json(s, w);
	pthread_mutex_unlock(&s->lock);
}

int
st_journal_json(struct st_tenant *s, uint64_t since, struct buf *out)
{
	uint64_t first;
	struct jw w;

	jw_init(&w, out, JW_UTF8);
	pthread_mutex_lock(&s->lock);
	first = journal_first(&s->journal);
	jw_obj_open(&w);
	head_json(s, &w);
	jw_keyz(&w, "first");
	jw_int(&w, (int64_t)first);
	jw_keyz(&w, "last");
	jw_int(&w, (int64_t)journal_last(&s->journal));
	/* Events after since were dropped from the ring: say so. */
	jw_keyz(&w, "gap");
	jw_bool(&w, first != 0 && since + 1 < first);
	jw_keyz(&w, "events");
	jw_arr_open(&w);
	journal_since(&s->journal, since, &w);
	jw_arr_close(&w);
	jw_obj_close(&w);
	pthread_mutex_unlock(&s->lock);
	return out->overflow || w.error ? -1 : 0;
}

void
st_status_json(struct st_tenant *s, struct jw *w)
{
	jw_obj_open(w);
	st_status_fields(s, w);
	jw_obj_close(w);
}

void
st_status_fields(struct st_tenant *s, struct jw *w)
{
	struct st_stats st;

	st_stats(s, &st);
	kv(w, "tenant", s->name);
	kv(w, "backend", s->backend);
	kv(w, "state", st_link_name(st.link));
	jw_keyz(w, "synced");
	jw_bool(w, st.synced);
	num3(w, "age", st.age);
	jw_keyz(w, "events received");
	jw_int(w, (int64_t)st.events);
	num3(w, "last event age", st.last_event);
	num3(w, "lag", st.lag);
	jw_keyz(w, "syncs");
	jw_int(w, (int64_t)st.syncs);
	jw_keyz(w, "channels");
	jw_int(w, (int64_t)st.channels);
	jw_keyz(w, "peers");
	jw_int(w, (int64_t)st.peers);
	jw_keyz(w, "queue members");
	jw_int(w, (int64_t)st.members);
	jw_keyz(w, "overflow");
	jw_int(w, (int64_t)st.overflow);
	jw_keyz(w, "journal last");
	jw_int(w, (int64_t)st.journal_last);
	if (st.link == SL_DOWN)
		kv(w, "down reason", st.down_why);
}
