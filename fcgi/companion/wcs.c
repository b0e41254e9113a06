/*
 * The WCS call registry (see wcs.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "util.h"
#include "wcs.h"

struct wcs_key {
	char key[WCS_ID_MAX + 1];
	int status; /* 0: its request is still running */
	uint64_t ms;
	char *body; /* its first answer's body (idem.put), or NULL */
	size_t blen;
};

struct wcs_reg {
	pthread_mutex_t lock;
	uint64_t retain_ms;
	uint64_t pending_ms; /* how long a startup may run (wcs_new) */
	uint64_t sync_ms;    /* when the running rebuild began */
	struct wcs_call calls[WCS_CALLS_MAX];
	size_t ncalls;
	struct wcs_key keys[WCS_KEYS_MAX];
	size_t nkeys;
};

struct wcs_reg *
wcs_new(long retain_ms, long pending_ms)
{
	struct wcs_reg *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal("calloc");
	pthread_mutex_init(&g->lock, NULL);
	g->retain_ms = retain_ms < 0 ? 0 : (uint64_t)retain_ms;
	g->pending_ms = pending_ms < 1 ? 1 : (uint64_t)pending_ms;
	return g;
}

void
wcs_free(struct wcs_reg *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nkeys; i++)
		free(g->keys[i].body);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* ---- the registry ---- */

static void
key_drop(struct wcs_reg *g, size_t i)
{
	free(g->keys[i].body);
	g->keys[i] = g->keys[--g->nkeys];
}

/*
 * Drops ended calls past retain and keys past their TTL, and what a
 * startup reserved but never settled (its worker killed, its wcs.done
 * lost) once no startup can still be running: the call still PENDING,
 * the key still running.
 */
static void
sweep(struct wcs_reg *g, uint64_t now)
{
	const struct wcs_call *c;
	const struct wcs_key *k;
	size_t i;

	for (i = g->ncalls; i-- > 0;) {
		c = &g->calls[i];
		if ((c->ended && now - c->end_ms >= g->retain_ms) ||
		    (strcmp(c->status, "PENDING") == 0 &&
			now - c->born_ms >= g->pending_ms))
			g->calls[i] = g->calls[--g->ncalls];
	}
	for (i = g->nkeys; i-- > 0;) {
		k = &g->keys[i];
		if (now - k->ms >= (uint64_t)WCS_KEY_TTL_MS ||
		    (k->status == 0 && now - k->ms >= g->pending_ms))
			key_drop(g, i);
	}
}

static struct wcs_call *
call_find(struct wcs_reg *g, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < g->ncalls; i++)
		if (strcmp(g->calls[i].id, id) == 0)
			return &g->calls[i];
	return NULL;
}

static struct wcs_key *
key_find(struct wcs_reg *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->nkeys; i++)
		if (strcmp(g->keys[i].key, key) == 0)
			return &g->keys[i];
	return NULL;
}

void
wcs_begin_sync(struct wcs_reg *g)
{
	size_t i;

	pthread_mutex_lock(&g->lock);
	g->sync_ms = mono_ms();
	for (i = 0; i < g->ncalls; i++)
		g->calls[i].seen = 0;
	pthread_mutex_unlock(&g->lock);
}

/*
 * A call the backend named once, or took before this rebuild began,
 * and no longer lists ended unseen.
 */
void
wcs_end_sync(struct wcs_reg *g)
{
	wcs_end_sync_cb(g, NULL, NULL);
}

void
wcs_end_sync_cb(struct wcs_reg *g, wcs_changed_fn fn, void *ctx)
{
	uint64_t now = mono_ms();
	size_t i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->ncalls; i++)
		if ((g->calls[i].evd ||
			(g->calls[i].done_ms != 0 &&
			    g->calls[i].done_ms < g->sync_ms)) &&
		    !g->calls[i].seen && !g->calls[i].ended) {
			wcs_call_finish(&g->calls[i], -1, now);
			if (fn != NULL)
				fn(ctx, &g->calls[i]);
		}
	pthread_mutex_unlock(&g->lock);
}

void
wcs_apply(struct wcs_reg *g, const struct ev *e)
{
	wcs_apply_cb(g, e, NULL, NULL);
}

/* Applies e to c; tells fn when the Call object changed. */
static void
apply_one(struct wcs_call *c, const struct ev *e, wcs_changed_fn fn, void *ctx)
{
	struct wcs_call was = *c;

	wcs_call_apply(c, e, mono_ms());
	if (fn != NULL &&
	    (was.status != c->status || was.sip != c->sip ||
		was.answered != c->answered || was.evd != c->evd ||
		was.hcause != c->hcause || was.ended != c->ended ||
		strcmp(was.caller, c->caller) != 0))
		fn(ctx, c);
}

void
wcs_apply_cb(
    struct wcs_reg *g, const struct ev *e, wcs_changed_fn fn, void *ctx)
{
	struct wcs_call *c;

	pthread_mutex_lock(&g->lock);
	/*
	 * Dial events name the originated leg as the peer (or, for an
	 * originate, as the channel with no other peer); the call's own
	 * dialplan dialling someone else says nothing of the call.
	 */
	if ((c = call_find(g, e->chan.id)) != NULL) {
		if (e->type == EV_DIAL_END && e->peer != NULL &&
		    strcmp(e->peer, c->id) != 0)
			c = NULL;
	} else if (e->type == EV_DIAL_END)
		c = call_find(g, e->peer);
	if (c != NULL)
		apply_one(c, e, fn, ctx);
	pthread_mutex_unlock(&g->lock);
}

int
wcs_has(struct wcs_reg *g, const char *id)
{
	int r;

	pthread_mutex_lock(&g->lock);
	r = call_find(g, id) != NULL;
	pthread_mutex_unlock(&g->lock);
	return r;
}

int
wcs_adopt(struct wcs_reg *g, const struct wcs_call *c)
{
	uint64_t now = mono_ms();
	int r = -1;

	struct wcs_call *h;

	pthread_mutex_lock(&g->lock);
	sweep(g, now);
	if ((h = call_find(g, c->id)) != NULL)
		h->listed = 1;
	else if (g->ncalls < WCS_CALLS_MAX) {
		h = &g->calls[g->ncalls++];
		*h = *c;
		h->seen = 0;
		h->listed = 1;
		h->end_ms = now;
		h->born_ms = now;
		r = 0;
	}
	pthread_mutex_unlock(&g->lock);
	return r;
}

void
wcs_list_begin(struct wcs_reg *g)
{
	size_t i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->ncalls; i++)
		g->calls[i].listed = 0;
	pthread_mutex_unlock(&g->lock);
}

void
wcs_list_end(struct wcs_reg *g)
{
	size_t i;

	pthread_mutex_lock(&g->lock);
	for (i = g->ncalls; i-- > 0;)
		if (!g->calls[i].listed && !g->calls[i].ended)
			g->calls[i] = g->calls[--g->ncalls];
	pthread_mutex_unlock(&g->lock);
}

/* The statuses of a Call (spec §3), the static strings c->status is. */
static const char *const statuses[] = { "PENDING", "TRYING", "RING",
	"SESSION_PROGRESS", "ESTABLISHED", "HOLD", "BUSY", "FAILED", "FINISH" };

const char *
wcs_status(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < nitems(statuses); i++)
		if (strcmp(statuses[i], s) == 0)
			return statuses[i];
	return NULL;
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
wcs_pct_decode(char *dst, size_t size, const char *s, size_t n)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (o + 1 >= size)
			return -1;
		if (s[i] == '%') {
			if (i + 2 >= n || hex(s[i + 1]) < 0 ||
			    hex(s[i + 2]) < 0)
				return -1;
			v = (unsigned)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
			if (v == 0)
				return -1;
			dst[o++] = (char)v;
			i += 2;
		} else
			dst[o++] = s[i] == '+' ? ' ' : s[i];
	}
	dst[o] = '\0';
	return 0;
}

/*
 * Finds key k in the query string q ("a=1&b=2") and decodes its value
 * into dst.  Returns 1 found, 0 absent, -1 bad.
 */
static int
qs_get(const char *q, const char *k, char *dst, size_t size)
{
	size_t kl = strlen(k), n;
	const char *p = q, *end;

	while (*p != '\0') {
		end = p + strcspn(p, "&");
		n = (size_t)(end - p);
		if (n > kl && strncmp(p, k, kl) == 0 && p[kl] == '=')
			return wcs_pct_decode(
				   dst, size, p + kl + 1, n - kl - 1) == -1
			    ? -1
			    : 1;
		p = *end == '&' ? end + 1 : end;
	}
	return 0;
}

int
wcs_meta(struct wcs_call *c, const char *meta)
{
	char v[8];

	c->has_audio = 1;
	c->has_video = 0;
	if (qs_get(meta, "callee", c->callee, sizeof(c->callee)) == -1 ||
	    qs_get(meta, "caller", c->caller, sizeof(c->caller)) == -1 ||
	    qs_get(meta, "name", c->visible, sizeof(c->visible)) == -1)
		return -1;
	if (qs_get(meta, "audio", v, sizeof(v)) == 1)
		c->has_audio = v[0] == '1';
	if (qs_get(meta, "video", v, sizeof(v)) == 1)
		c->has_video = v[0] == '1';
	return 0;
}

int
wcs_reserve(struct wcs_reg *g, struct st_tenant *st, const char *id,
    const char *key, const char *meta, struct buf *out)
{
	struct wcs_call *c;
	struct wcs_key *k = NULL;
	uint64_t now = mono_ms();

	if (strlen(id) > WCS_ID_MAX || strlen(key) > WCS_ID_MAX) {
		buf_adds(out, "callId or key too long");
		return 0;
	}
	pthread_mutex_lock(&g->lock);
	sweep(g, now);
	if (strcmp(key, "-") != 0 && (k = key_find(g, key)) != NULL) {
		buf_printf(out, "seen %d", k->status);
		goto done;
	}
	if (call_find(g, id) != NULL || (st != NULL && st_has(st, id))) {
		buf_adds(out, "conflict");
		goto done;
	}
	if (g->ncalls == WCS_CALLS_MAX ||
	    (strcmp(key, "-") != 0 && g->nkeys == WCS_KEYS_MAX)) {
		buf_adds(out, "full");
		goto done;
	}
	c = &g->calls[g->ncalls];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->status = "PENDING";
	c->sip = -1;
	c->hcause = -1;
	c->born_ms = now;
	if (wcs_meta(c, meta) == -1) {
		pthread_mutex_unlock(&g->lock);
		buf_adds(out, "bad meta");
		return 0;
	}
	g->ncalls++;
	if (strcmp(key, "-") != 0) {
		k = &g->keys[g->nkeys++];
		memset(k, 0, sizeof(*k));
		snprintf(k->key, sizeof(k->key), "%s", key);
		k->ms = now;
	}
	buf_adds(out, "reserved");
done:
	pthread_mutex_unlock(&g->lock);
	return 1;
}

int
wcs_done(struct wcs_reg *g, const char *id, const char *key, int status,
    struct buf *out)
{
	struct wcs_call *c;
	struct wcs_key *k;

	pthread_mutex_lock(&g->lock);
	if ((c = call_find(g, id)) != NULL) {
		c->done_ms = mono_ms();
		if (status != 200)
			*c = g->calls[--g->ncalls];
		else if (strcmp(c->status, "PENDING") == 0)
			wcs_call_set(c, "TRYING", 100);
	}
	if (strcmp(key, "-") != 0 && (k = key_find(g, key)) != NULL)
		k->status = status;
	pthread_mutex_unlock(&g->lock);
	buf_adds(out, "ok");
	return 1;
}

/* 1 if c matches the filter's one field k (absent: matches). */
static int
match(const char *filter, const char *k, const char *have)
{
	char want[WCS_ID_MAX * 2 + 1];
	int r = qs_get(filter, k, want, sizeof(want));

	if (r == 0)
		return 1;
	return r == 1 && have != NULL && strcmp(want, have) == 0;
}

int
wcs_match(const struct wcs_call *c, const char *filter)
{
	return match(filter, "callId", c->id) &&
	    match(filter, "callee", c->callee) &&
	    match(filter, "status", c->status) &&
	    match(filter, "rtmpUrl", NULL);
}

int
wcs_find(struct wcs_reg *g, const char *filter, double age, struct buf *out)
{
	const struct wcs_call *c;
	struct jw w;
	size_t i;

	if (strcmp(filter, "-") == 0)
		filter = "";
	buf_printf(out, "%.3f\n", age);
	jw_init(&w, out, JW_UTF8);
	pthread_mutex_lock(&g->lock);
	sweep(g, mono_ms());
	jw_arr_open(&w);
	for (i = 0; i < g->ncalls; i++) {
		c = &g->calls[i];
		if (wcs_match(c, filter))
			wcs_call_json(c, &w);
	}
	jw_arr_close(&w);
	pthread_mutex_unlock(&g->lock);
	return 1;
}

/* ---- Idempotency-Key outcomes of other requests (ARI originate) ---- */

int
wcs_idem_claim(struct wcs_reg *g, const char *key, struct buf *out)
{
	struct wcs_key *k;
	uint64_t now = mono_ms();

	if (strlen(key) > WCS_ID_MAX) {
		buf_adds(out, "key too long");
		return 0;
	}
	pthread_mutex_lock(&g->lock);
	sweep(g, now);
	if ((k = key_find(g, key)) != NULL) {
		buf_printf(out, "seen %d\n", k->status);
		if (k->status != 0 && k->body != NULL)
			buf_add(out, k->body, k->blen);
	} else if (g->nkeys == WCS_KEYS_MAX)
		buf_adds(out, "full");
	else {
		k = &g->keys[g->nkeys++];
		memset(k, 0, sizeof(*k));
		snprintf(k->key, sizeof(k->key), "%s", key);
		k->ms = now;
		buf_adds(out, "new");
	}
	pthread_mutex_unlock(&g->lock);
	return 1;
}

int
wcs_idem_put(
    struct wcs_reg *g, const char *key, const char *chunk, struct buf *out)
{
	char dec[WCS_ID_MAX * 2 + 1];
	struct wcs_key *k;
	size_t n;
	char *nb;

	if (wcs_pct_decode(dec, sizeof(dec), chunk, strlen(chunk)) == -1) {
		buf_adds(out, "bad chunk");
		return 0;
	}
	n = strlen(dec);
	pthread_mutex_lock(&g->lock);
	k = key_find(g, key);
	if (k == NULL || k->status != 0 || k->blen + n > WCS_BODY_MAX ||
	    (nb = realloc(k->body, k->blen + n)) == NULL) {
		pthread_mutex_unlock(&g->lock);
		buf_adds(out, "no such running key, or its body is too large");
		return 0;
	}
	memcpy(nb + k->blen, dec, n);
	k->body = nb;
	k->blen += n;
	pthread_mutex_unlock(&g->lock);
	buf_adds(out, "ok");
	return 1;
}

int
wcs_idem_done(struct wcs_reg *g, const char *key, int status, struct buf *out)
{
	struct wcs_key *k;
	size_t i;

	pthread_mutex_lock(&g->lock);
	if ((k = key_find(g, key)) != NULL) {
		if (status != 0)
			k->status = status;
		else {
			i = (size_t)(k - g->keys);
			key_drop(g, i);
		}
	}
	pthread_mutex_unlock(&g->lock);
	buf_adds(out, "ok");
	return 1;
}
