/*
 * The event companion on /status and /metrics: its scoreboard slot, and
 * what it says of its tenants' sources (the local interface's "status"
 * and "metrics" verbs, under companion.timeout; when it does not answer,
 * the page says so and goes on).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "client.h"
#include "conf.h"
#include "health.h"
#include "json.h"
#include "phpin.h"
#include "pv.h"
#include "req.h"
#include "scoreboard.h"

/* The current companion's slot view, or 0 if there is none. */
static int
slot_of(struct sb_view *v)
{
	unsigned gen = atomic_load(&sb_pool()->gen), best = 0;
	struct sb_view t;
	size_t i;
	int found = 0;

	for (i = 0; i < SB_SLOTS; i++) {
		sb_view(i, &t);
		if (t.pid == 0 || t.state == SB_FREE || t.role != SB_COMPANION)
			continue;
		/* The current generation's first, else the newest. */
		if (!found || t.gen == gen || (best != gen && t.gen > best)) {
			*v = t;
			best = t.gen;
			found = 1;
		}
	}
	return found;
}

/* The companion's "status" reply parsed, or NULL with why set. */
static struct pv *
ask_status(struct req *r, char *why, size_t whylen)
{
	static const struct in_limits lim = { .params_max = 1 << 20,
		.name_max = 64,
		.value_max = 4096,
		.nest_max = 8 };
	const char *body;
	struct pv *doc;
	size_t len;

	if (companion_ask(
		r->conf, r->arena, "status", &body, &len, why, whylen) != E_OK)
		return NULL;
	if (json_decode_pv(r->arena, body, len, &lim, &doc, why, whylen) !=
	    E_OK)
		return NULL;
	return doc;
}

static void
text_tenant(struct buf *b, const struct pv *t)
{
	static const char *const keys[] = { "state", "synced", "age",
		"events received", "last event age", "channels",
		"lease holder" };
	const struct pv_ent *e;
	size_t i, n;
	const char *name;
	struct arena *a = arena_new();

	name = pv_to_str(a, pv_getz(t, "tenant"), &n);
	buf_printf(b, "companion tenant %s:", name);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		for (e = t->u.arr->head; e != NULL; e = e->next)
			if (strcmp(e->key, keys[i]) == 0)
				buf_printf(b, " %s=%s", keys[i],
				    e->val.type == PV_NULL
					? "-"
					: (e->val.type == PV_BOOL
						  ? (e->val.u.b ? "yes" : "no")
						  : pv_to_str(a, &e->val, &n)));
	buf_adds(b, "\n");
	arena_free(a);
}

/* The JSON part: v NULL when none runs, err NULL when it answered. */
static void
json_part(
    struct jw *w, const struct sb_view *v, const struct pv *ts, const char *err)
{
	jw_keyz(w, "companion");
	jw_obj_open(w);
	jw_keyz(w, "role");
	jw_strz(w, "companion");
	jw_keyz(w, "pid");
	jw_int(w, v ? v->pid : 0);
	jw_keyz(w, "state");
	jw_strz(w, v ? sb_state_name(v->state) : "down");
	jw_keyz(w, "start since");
	jw_int(w, v ? (int64_t)((uint64_t)time(NULL) - v->spawned) : 0);
	jw_keyz(w, "generation");
	jw_int(w, v ? v->gen : 0);
	jw_keyz(w, "tenants");
	if (ts != NULL && ts->type == PV_ARR && pv_count(ts) > 0)
		pv_encode(w, ts);
	else {
		jw_arr_open(w);
		jw_arr_close(w);
	}
	if (err != NULL) {
		jw_keyz(w, "error");
		jw_strz(w, err);
	}
	jw_obj_close(w);
}

void
status_companion(struct req *r, struct jw *w, struct buf *text)
{
	struct sb_view v;
	struct pv *doc = NULL, *ts = NULL;
	const struct pv_ent *e;
	char why[256] = "";
	int have = slot_of(&v);

	if (!have && !conf_has_events(r->conf))
		return;
	if (have && v.state == SB_IDLE)
		doc = ask_status(r, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "the companion is not running");
	if (doc != NULL)
		ts = pv_getz(doc, "tenants");
	if (w != NULL) {
		json_part(w, have ? &v : NULL, ts, doc == NULL ? why : NULL);
		return;
	}
	buf_printf(text, "\ncompanion pid:        %d\n", have ? v.pid : 0);
	buf_printf(text, "companion state:      %s\n",
	    have ? sb_state_name(v.state) : "down");
	if (doc == NULL)
		buf_printf(text, "companion error:      %s\n", why);
	if (ts != NULL && ts->type == PV_ARR)
		for (e = ts->u.arr->head; e != NULL; e = e->next)
			if (e->val.type == PV_ARR)
				text_tenant(text, &e->val);
}

void
metrics_companion(struct req *r, struct buf *b)
{
	struct sb_view v;
	const char *body;
	char why[256];
	size_t len;
	int up;

	if (!conf_has_events(r->conf))
		return;
	up = slot_of(&v) && v.state == SB_IDLE;
	buf_printf(b,
	    "# HELP pbxapi_companion_running 1 while the event companion "
	    "runs.\n# TYPE pbxapi_companion_running gauge\n"
	    "pbxapi_companion_running %d\n",
	    up);
	if (up &&
	    companion_ask(r->conf, r->arena, "metrics", &body, &len, why,
		sizeof(why)) == E_OK)
		buf_add(b, body, len);
}
