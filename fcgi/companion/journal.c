/*
 * The event journal (see journal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "event.h"
#include "journal.h"
#include "json.h"
#include "limits.h"
#include "log.h"

#define EV_JSON_MAX (64 * 1024) /* one event's text */

void
journal_init(struct journal *j, size_t cap, uint64_t first_id)
{
	memset(j, 0, sizeof(*j));
	if ((j->ring = calloc(cap ? cap : 1, sizeof(*j->ring))) == NULL)
		fatal("calloc");
	j->cap = cap ? cap : 1;
	j->next_id = first_id ? first_id : 1;
}

void
journal_free(struct journal *j)
{
	size_t i;

	if (j->ring == NULL)
		return;
	for (i = 0; i < j->cap; i++)
		free(j->ring[i].json);
	free(j->ring);
	j->ring = NULL;
}

/* A string field, when the event says it, cut as the state's copies. */
static void
opt_str(struct jw *w, const char *k, const char *v)
{
	if (v != NULL) {
		jw_keyz(w, k);
		jw_str(w, v, ev_str_len(v));
	}
}

static void
chan_json(struct jw *w, const struct ev_chan *c)
{
	jw_keyz(w, "channel");
	jw_obj_open(w);
	opt_str(w, "id", c->id);
	opt_str(w, "name", c->name);
	if (c->state != ST_UNKNOWN)
		opt_str(w, "state", ev_state_name(c->state));
	opt_str(w, "caller_num", c->caller_num);
	opt_str(w, "caller_name", c->caller_name);
	opt_str(w, "connected_num", c->connected_num);
	opt_str(w, "connected_name", c->connected_name);
	opt_str(w, "accountcode", c->accountcode);
	opt_str(w, "context", c->context);
	opt_str(w, "exten", c->exten);
	if (c->priority >= 0) {
		jw_keyz(w, "priority");
		jw_int(w, c->priority);
	}
	opt_str(w, "app", c->app);
	opt_str(w, "app_data", c->app_data);
	opt_str(w, "linkedid", c->linkedid);
	opt_str(w, "bridge", c->bridge);
	opt_str(w, "language", c->language);
	if (c->created_ms != 0) {
		jw_keyz(w, "created_ms");
		jw_int(w, c->created_ms);
	}
	jw_obj_close(w);
}

void
ev_json(struct jw *w, uint64_t id, const struct ev *e, int64_t rx_ms)
{
	jw_obj_open(w);
	jw_keyz(w, "id");
	jw_int(w, (int64_t)id);
	jw_keyz(w, "type");
	jw_strz(w, ev_type_name(e->type));
	jw_keyz(w, "ts");
	jw_int(w, e->ts_ms);
	jw_keyz(w, "received");
	jw_int(w, rx_ms);
	opt_str(w, "backend", e->backend);
	if (e->chan.id != NULL)
		chan_json(w, &e->chan);
	opt_str(w, "peer", e->peer);
	opt_str(w, "dialstatus", e->dialstatus);
	opt_str(w, "digit", e->digit);
	if (e->type == EV_DTMF && e->duration_ms >= 0) {
		jw_keyz(w, "duration_ms");
		jw_int(w, e->duration_ms);
	}
	if ((e->type == EV_HANGUP || e->type == EV_DESTROYED) &&
	    e->cause >= 0) {
		jw_keyz(w, "cause");
		jw_int(w, e->cause);
	}
	opt_str(w, "cause_txt", e->cause_txt);
	opt_str(w, "peer_state", e->peer_state);
	opt_str(w, "queue", e->queue);
	opt_str(w, "member", e->member);
	opt_str(w, "member_state", e->member_state);
	jw_obj_close(w);
}

uint64_t
journal_add(struct journal *j, const struct ev *e, int64_t rx_ms)
{
	struct jentry *slot;
	struct buf b;
	struct jw w;
	uint64_t id = j->next_id++;

	buf_init(&b, EV_JSON_MAX);
	jw_init(&w, &b, JW_UTF8);
	ev_json(&w, id, e, rx_ms);
	if (b.overflow || w.error) {
		/* Too big to keep: the id is used, the text says so. */
		buf_clear(&b);
		buf_printf(&b,
		    "{\"id\":%llu,\"type\":\"%s\",\"truncated\":true}",
		    (unsigned long long)id, ev_type_name(e->type));
	}
	if (j->n == j->cap) {
		slot = &j->ring[j->head];
		j->head = (j->head + 1) % j->cap;
	} else
		slot = &j->ring[(j->head + j->n++) % j->cap];
	free(slot->json);
	slot->id = id;
	slot->len = b.len;
	if ((slot->json = malloc(b.len + 1)) == NULL)
		fatal("malloc");
	memcpy(slot->json, b.data ? b.data : "", b.len);
	slot->json[b.len] = '\0';
	buf_free(&b);
	return id;
}

uint64_t
journal_first(const struct journal *j)
{
	return j->n ? j->ring[j->head].id : 0;
}

uint64_t
journal_last(const struct journal *j)
{
	return j->next_id - 1;
}

size_t
journal_since(const struct journal *j, uint64_t since, struct jw *w)
{
	const struct jentry *e;
	size_t i, k = 0;

	for (i = 0; i < j->n; i++) {
		e = &j->ring[(j->head + i) % j->cap];
		if (e->id <= since)
			continue;
		jw_number(w, e->json, e->len);
		k++;
	}
	return k;
}

void
journal_floor(struct journal *j, uint64_t next_id)
{
	if (next_id > j->next_id)
		j->next_id = next_id;
}

const struct jentry *
journal_newest(const struct journal *j)
{
	return j->n == 0 ? NULL : &j->ring[(j->head + j->n - 1) % j->cap];
}
