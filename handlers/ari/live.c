/*
 * GET /ari/channels from the event companion's live state (docs/ari.md):
 * when the tenant's events come from the backend its ARI requests go to
 * (ARI events for an ARI tenant, AMI events for one ARI translates to
 * AMI), state.fresh is never and the request has no fresh=1, the
 * channels are the companion's snapshot written as ARI's Channel
 * (model.c, the key order of Asterisk's), with X-State-Age.  Otherwise,
 * or when the companion does not answer or is not synced, the backend
 * answers as without events.  A FreeSWITCH tenant's list is the event
 * socket's: its translation scopes channels by domain from variables
 * the snapshot does not keep.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "ari_dialect.h"
#include "ari_model.h"
#include "chandoc.h"
#include "conf.h"
#include "json.h"
#include "reply.h"
#include "req.h"
#include "util.h"

/* The snapshot keys a Channel needs (state.c's names). */
enum lk {
	K_ID,
	K_NAME,
	K_STATE,
	K_CALLER_NAME,
	K_CALLER_NUM,
	K_CONN_NAME,
	K_CONN_NUM,
	K_ACCOUNT,
	K_CONTEXT,
	K_EXTEN,
	K_PRIORITY,
	K_APP,
	K_APP_DATA,
	K_CREATED,
	K_LANGUAGE,
	K__MAX
};

static const char *const keys[K__MAX] = {
	[K_ID] = "id",
	[K_NAME] = "name",
	[K_STATE] = "state",
	[K_CALLER_NAME] = "caller_name",
	[K_CALLER_NUM] = "caller_num",
	[K_CONN_NAME] = "connected_name",
	[K_CONN_NUM] = "connected_num",
	[K_ACCOUNT] = "accountcode",
	[K_CONTEXT] = "context",
	[K_EXTEN] = "exten",
	[K_PRIORITY] = "priority",
	[K_APP] = "app",
	[K_APP_DATA] = "app_data",
	[K_CREATED] = "created_ms",
	[K_LANGUAGE] = "language",
};

/* The event source whose state stands for the backend's list. */
static int
same_backend(struct req *r)
{
	switch (ari_backend(r)) {
	case ARI_BE_ARI:
		return tenant_events(r->tenant) == EVM_ARI;
	case ARI_BE_AMI:
		return tenant_events(r->tenant) == EVM_AMI;
	default:
		return 0;
	}
}

static struct ari_str
val(const struct cd_doc *d, size_t i, enum lk k)
{
	struct cd_span v = CD_GET(d, i, k);

	return (struct ari_str){ v.s, v.n };
}

/*
 * Channel i of d.  What the snapshot does not say is rendered as the
 * AMI translation does: priority 0, language "en", creationtime now.
 */
static void
channel(const struct cd_doc *d, size_t i, long long now_ms, struct ari_chan *c)
{
	long long ms = strtoll(CD_GET(d, i, K_CREATED).s, NULL, 10);

	c->id = val(d, i, K_ID);
	c->name = val(d, i, K_NAME);
	c->state = val(d, i, K_STATE);
	c->caller_name = val(d, i, K_CALLER_NAME);
	c->caller_number = val(d, i, K_CALLER_NUM);
	c->connected_name = val(d, i, K_CONN_NAME);
	c->connected_number = val(d, i, K_CONN_NUM);
	c->accountcode = val(d, i, K_ACCOUNT);
	c->context = val(d, i, K_CONTEXT);
	c->exten = val(d, i, K_EXTEN);
	c->priority = strtoll(CD_GET(d, i, K_PRIORITY).s, NULL, 10);
	if (c->priority < 0)
		c->priority = 0;
	c->app_name = val(d, i, K_APP);
	c->app_data = val(d, i, K_APP_DATA);
	if (ms <= 0)
		ms = now_ms;
	ari_time(c->creationtime, (time_t)(ms / 1000), (long)(ms % 1000));
	c->language = val(d, i, K_LANGUAGE);
	if (c->language.n == 0)
		c->language = ari_strz("en");
}

int
ari_live_list(struct req *r, struct reply *rp, int fresh)
{
	struct cd_doc d;
	struct ari_chan c;
	struct timespec ts;
	struct jw *w;
	long long now_ms;
	size_t i;

	if (fresh || !same_backend(r) ||
	    !cd_live(r, 0, "GET /ari/channels", keys, K__MAX, &d))
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	w = ari_reply_json(rp, 200);
	jw_arr_open(w);
	for (i = 0; i < d.n; i++) {
		channel(&d, i, now_ms, &c);
		ari_chan_json(w, &c);
	}
	jw_arr_close(w);
	reply_header(rp, "X-State-Age",
	    arena_printf(r->arena, "%.3f", strtod(d.age.s, NULL)));
	return 1;
}
