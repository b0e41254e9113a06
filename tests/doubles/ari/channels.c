/*
 * ari_double's stateful /ari/channels family: the channels created
 * through it (or seeded by channels=N) are listed, fetched, hung up and
 * operated on as Asterisk 22 does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "phpin.h"
#include "pv.h"
#include "util.h"
#include "world.h"
#include "ari_double.h"

struct chan {
	char id[128];
	char *json;
	int stasis;
};

static struct chan chans[CHAN_MAX];
static size_t nchan;
static unsigned long seq;
static long seeded = -1;

/* The Channel JSON of Asterisk 22 (asterisk-protocol.md §3.3). */
static char *
chan_json(const char *id, const char *name, const char *cname, const char *cnum,
    const char *ctx, const char *exten, const char *app, const char *data)
{
	/* The JSON text before each value, and the value (escaped). */
	const char *part[][2] = {
		{ "{\"id\":\"", id },
		{ "\",\"name\":\"", name },
		{ "\",\"state\":\"Up\",\"protocol_id\":\"\",\"caller\":"
		  "{\"name\":\"",
		    cname },
		{ "\",\"number\":\"", cnum },
		{ "\"},\"connected\":{\"name\":\"", cname },
		{ "\",\"number\":\"", cnum },
		{ "\"},\"accountcode\":\"\",\"dialplan\":{\"context\":\"",
		    ctx },
		{ "\",\"exten\":\"", exten },
		{ "\",\"priority\":1,\"app_name\":\"", app },
		{ "\",\"app_data\":\"", data },
	};
	char when[64];
	struct buf b;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000+0000", &tm);
	buf_init(&b, (size_t)-1);
	for (i = 0; i < nitems(part); i++) {
		buf_adds(&b, part[i][0]);
		jesc(&b, part[i][1]);
	}
	buf_printf(
	    &b, "\"},\"creationtime\":\"%s\",\"language\":\"en\"}", when);
	return b.data;
}

static struct chan *
chan_find(const char *id)
{
	size_t i;

	for (i = 0; i < nchan; i++)
		if (strcmp(chans[i].id, id) == 0)
			return &chans[i];
	return NULL;
}

/* Adds a channel (under the lock).  Returns it, or NULL when full. */
static struct chan *
chan_add(const char *id, char *json, int stasis)
{
	struct chan *ch;

	if (nchan == CHAN_MAX) {
		free(json);
		return NULL;
	}
	ch = &chans[nchan++];
	snprintf(ch->id, sizeof(ch->id), "%s", id);
	ch->json = json;
	ch->stasis = stasis;
	return ch;
}

static void
chan_del(struct chan *ch)
{
	free(ch->json);
	*ch = chans[--nchan];
}

/* channels=N: N Local channels in Stasis, "double-1" ... (under lock). */
static void
chan_seed(long n)
{
	char id[64], name[96];
	long i;

	while (nchan > 0)
		chan_del(&chans[0]);
	for (i = 1; i <= n && i <= CHAN_MAX; i++) {
		snprintf(id, sizeof(id), "double-%ld", i);
		snprintf(name, sizeof(name), "Local/600@test-%08lx;%ld",
		    (i + 1) / 2, 2 - i % 2);
		chan_add(id,
		    chan_json(id, name, "Double", "5550100", "test", "600",
			"Stasis", "pbxapi"),
		    1);
	}
	seeded = n;
}

/* channels=N re-seeds when N changes (under the lock). */
void
chan_sync(long n)
{
	if (n != seeded)
		chan_seed(n);
}

/*
 * Brings a channel in line with the call world (under the lock): a call
 * the world hung up is gone, a live one shows its state now.  Returns
 * the channel, or NULL if it is gone.
 */
static struct chan *
chan_live(struct chan *ch)
{
	char *j;

	if (ch == NULL)
		return NULL;
	if (world_gone(ch->id)) {
		chan_del(ch);
		return NULL;
	}
	if ((j = live_chan_json(ch->id)) != NULL) {
		free(ch->json);
		ch->json = j;
	}
	return ch;
}

/* Takes in the world's live calls made without the API ("call"). */
static void
chan_adopt(void)
{
	struct wcall *w;
	size_t i, n;
	char ids[64][96];
	size_t k = 0;
	char *j;

	world_lock();
	w = world_calls(&n);
	for (i = 0; i < n && k < nitems(ids); i++)
		if (w[i].state != WS_GONE && chan_find(w[i].id) == NULL)
			snprintf(ids[k++], sizeof(ids[0]), "%s", w[i].id);
	world_unlock();
	for (i = 0; i < k; i++)
		if ((j = live_chan_json(ids[i])) != NULL)
			chan_add(ids[i], j, strstr(j, "\"Stasis\"") != NULL);
}

static void
chan_list(struct conn *c)
{
	const struct fixture *f = fixture("channels_list");
	struct buf b;
	size_t i;

	chan_adopt();
	for (i = 0; i < nchan;)
		if (chan_live(&chans[i]) != NULL)
			i++;
	buf_init(&b, REPLY_MAX);
	buf_addc(&b, '[');
	for (i = 0; i < nchan; i++) {
		if (i > 0)
			buf_addc(&b, ',');
		buf_adds(&b, chans[i].json);
	}
	buf_addc(&b, ']');
	respond(c, f, b.data, b.len, 0);
	buf_free(&b);
}

/* fault=huge: a valid channel list of at least S.cur.huge bytes. */
static void
chan_list_huge(struct conn *c)
{
	struct buf b;
	char id[64], *j;
	long i;

	buf_init(&b, REPLY_MAX);
	buf_addc(&b, '[');
	for (i = 1; b.len < (size_t)S.cur.huge; i++) {
		snprintf(id, sizeof(id), "huge-%ld", i);
		j = chan_json(id, "Local/600@test-00000001;1", "Huge", "1",
		    "test", "600", "Stasis", "pbxapi");
		if (i > 1)
			buf_addc(&b, ',');
		if (buf_adds(&b, j) == -1) {
			free(j);
			break;
		}
		free(j);
	}
	buf_addc(&b, ']');
	respond(c, fixture("channels_list"), b.data, b.len, 0);
	buf_free(&b);
}

/* Splits "Name <number>" (or a bare number) as Asterisk does. */
static void
callerid(char *cid, char *name, size_t nsize, char *num, size_t numsize)
{
	char *lt = strchr(cid, '<');

	copyn(num, numsize, lt ? lt + 1 : cid, strlen(lt ? lt + 1 : cid));
	num[strcspn(num, ">")] = '\0';
	if (lt == NULL)
		return;
	while (lt > cid && lt[-1] == ' ')
		lt--;
	*lt = '\0';
	copyn(name, nsize, cid, strlen(cid));
}

/*
 * The request's JSON body, if it is an object (NULL otherwise).  Under
 * the lock (S.arena).
 */
static const struct pv *
json_body(const struct conn *c)
{
	struct in_limits lim = { .nest_max = 64 };
	const char *ct = header(c->q.raw, "Content-Type");
	struct pv *v = NULL;
	char err[128];

	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    c->q.rawlen <= c->q.headlen)
		return NULL;
	if (json_decode_pv(S.arena, c->q.raw + c->q.headlen,
		c->q.rawlen - c->q.headlen, &lim, &v, err,
		sizeof(err)) != E_OK ||
	    v == NULL || v->type != PV_ARR)
		return NULL;
	return v;
}

/*
 * An originate parameter as Asterisk reads it: a string in the JSON body
 * overrides the query's.  Returns 1 if present.
 */
static int
oparam(const struct conn *c, const struct pv *body, const char *key, char *dst,
    size_t size)
{
	const char *s = body != NULL ? pv_s(body, key) : NULL;

	if (s != NULL) {
		copyn(dst, size, s, strlen(s));
		return 1;
	}
	return qparam(c->q.query, key, dst, size);
}

/*
 * The originated channel joins the call world, to be started once the
 * reply is out (conn.c): "Local/600@test" and "PJSIP/600" dial 600.  ext
 * (extension=, or NULL) is the dialplan extension it shows, as in the
 * reply: PJSIP/100 calling 200 lists 200, not 100.
 */
static void
live_originate(struct conn *c, const char *id, const char *ep, const char *name,
    const char *ctx, const char *ext, const char *cnum, const char *cname,
    const char *app)
{
	char dest[64], got[128];
	const char *d = strchr(ep, '/') + 1;
	struct wcall *w;

	copyn(dest, sizeof(dest), d, strcspn(d, "@"));
	if (world_originate(
		dest, id, cnum, cname, app, NULL, got, sizeof(got)) == -1)
		return;
	world_lock();
	if ((w = world_find(got)) != NULL) {
		copyn(w->name, sizeof(w->name), name, strlen(name));
		copyn(w->ctx, sizeof(w->ctx), ctx, strlen(ctx));
		if (ext != NULL)
			copyn(w->exten, sizeof(w->exten), ext, strlen(ext));
	}
	world_unlock();
	snprintf(c->start, sizeof(c->start), "%s", got);
}

/* DELETE's ?reason_code=N or ?reason=NAME as a Q.850 cause. */
static int
hangup_cause(const struct conn *c)
{
	static const struct {
		const char *name;
		int cause;
	} reasons[] = { { "normal", 16 }, { "busy", 17 }, { "congestion", 34 },
		{ "no_answer", 19 }, { "timeout", 19 }, { "rejected", 21 },
		{ "unallocated", 1 }, { "normal_unspecified", 31 },
		{ "number_incomplete", 28 }, { "codec_mismatch", 58 },
		{ "interworking", 127 }, { "failure", 41 },
		{ "answered_elsewhere", 26 } };
	char v[64];
	size_t i;

	if (qparam(c->q.query, "reason_code", v, sizeof(v)))
		return (int)strtol(v, NULL, 10);
	if (qparam(c->q.query, "reason", v, sizeof(v)))
		for (i = 0; i < nitems(reasons); i++)
			if (strcmp(reasons[i].name, v) == 0)
				return reasons[i].cause;
	return 16;
}

/* POST /ari/channels[/{id}]: the checks Asterisk makes, in its order. */
static int
chan_originate(struct conn *c, const char *id)
{
	char ep[256], app[128], ext[128], ctx[128], cid[256], nid[128];
	char name[300], cname[256] = "", cnum[128] = "", *lt;
	const struct pv *body = json_body(c), *vars;
	int has_app = oparam(c, body, "app", app, sizeof(app));
	int has_ext = oparam(c, body, "extension", ext, sizeof(ext));
	const char *v;

	if (!oparam(c, body, "endpoint", ep, sizeof(ep)))
		return respond(
		    c, fixture("error_400_originate_no_endpoint"), NULL, 0, 0);
	if (!has_app && !has_ext)
		return respond(c,
		    fixture("error_400_originate_no_app_or_exten"), NULL, 0, 0);
	if (strchr(ep, '/') == NULL)
		return respond(
		    c, fixture("error_400_originate_bad_endpoint"), NULL, 0, 0);
	if (strncasecmp(ep, "Local/", 6) != 0 &&
	    strncasecmp(ep, "PJSIP/", 6) != 0)
		return respond(
		    c, fixture("error_500_originate_bad_tech"), NULL, 0, 0);
	if (id == NULL && !oparam(c, body, "channelId", nid, sizeof(nid)))
		snprintf(nid, sizeof(nid), "pbxtest-%ld.%lu", (long)time(NULL),
		    ++seq);
	else if (id != NULL)
		copyn(nid, sizeof(nid), id, strlen(id));
	if (chan_find(nid) != NULL)
		return respond(
		    c, fixture("error_409_channel_id_in_use"), NULL, 0, 0);
	if (oparam(c, body, "callerId", cid, sizeof(cid)))
		callerid(cid, cname, sizeof(cname), cnum, sizeof(cnum));
	/* CALLERID() in the body's variables sets the caller, as in
	 * channel_originate_with_id. */
	vars = body != NULL ? pv_getz(body, "variables") : NULL;
	if (vars != NULL && (v = pv_s(vars, "CALLERID(name)")) != NULL)
		copyn(cname, sizeof(cname), v, strlen(v));
	if (vars != NULL && (v = pv_s(vars, "CALLERID(num)")) != NULL)
		copyn(cnum, sizeof(cnum), v, strlen(v));
	if (!oparam(c, body, "context", ctx, sizeof(ctx)))
		snprintf(ctx, sizeof(ctx), "default");
	snprintf(name, sizeof(name), "%s-%08lx%s", ep, ++seq,
	    strncasecmp(ep, "Local/", 6) == 0 ? ";1" : "");
	lt = chan_json(nid, name, cname, cnum, ctx, has_ext ? ext : "s",
	    has_app ? "Stasis" : "AppDial2", has_app ? app : "(Outgoing Line)");
	if (chan_add(nid, lt, has_app) == NULL)
		return respond(
		    c, fixture("error_500_originate_bad_tech"), NULL, 0, 0);
	live_originate(c, nid, ep, name, ctx, has_ext ? ext : NULL, cnum, cname,
	    has_app ? app : "");
	return respond(c, fixture("channel_originate"), lt, strlen(lt), 0);
}

/* DTMF and hold through the API: their events in the world. */
static void
live_op(const struct conn *c, const char *id, const char *op,
    const struct fixture *f)
{
	char dtmf[64], pb[128] = "", media[256];
	const char *p;

	if (strcmp(op, "dtmf") == 0 && strcmp(c->q.method, "POST") == 0 &&
	    qparam(c->q.query, "dtmf", dtmf, sizeof(dtmf)))
		world_dtmf(id, dtmf);
	else if (strcmp(op, "hold") == 0)
		world_hold(id, strcmp(c->q.method, "POST") == 0);
	else if (strncmp(op, "play", 4) == 0 &&
	    strncmp(f->http, "HTTP/1.1 201", 12) == 0 &&
	    qparam(c->q.query, "media", media, sizeof(media))) {
		/* The playback id: the path's, the query's, or the reply's. */
		if (op[4] == '/')
			copyn(pb, sizeof(pb), op + 5, strlen(op + 5));
		else if (!qparam(c->q.query, "playbackId", pb, sizeof(pb)) &&
		    (p = strstr(f->http, "\"id\":\"")) != NULL)
			copyn(pb, sizeof(pb), p + 6, strcspn(p + 6, "\""));
		world_play(id, pb, media);
	}
}

/* /ari/channels/{id}/{op}...: 404 unknown, 409 outside Stasis. */
static int
chan_op(struct conn *c, struct chan *ch, const char *op)
{
	const struct fixture *f;

	if (ch == NULL)
		return respond(
		    c, fixture("error_404_channel_hold"), NULL, 0, 0);
	if (!ch->stasis) {
		if (strncmp(op, "dtmf", 4) == 0)
			f = fixture("error_409_not_in_stasis_dtmf");
		else if (strncmp(op, "play", 4) == 0)
			f = fixture("error_409_not_in_stasis_play");
		else
			f = fixture("error_409_not_in_stasis_hold");
		return respond(c, f, NULL, 0, 0);
	}
	f = fx_match(c->q.method, c->q.target, c->q.path);
	if (f == NULL)
		f = fixture("error_404_resource");
	live_op(c, ch->id, op, f);
	return respond(c, f, NULL, 0, 0);
}

/* The /ari/channels family, with state.  Under the lock. */
int
channels(struct conn *c, const char *rest)
{
	const char *m = c->q.method, *slash;
	char id[128];
	struct chan *ch;

	if (*rest == '\0') {
		if (strcmp(m, "GET") == 0 && strcmp(S.cur.fault, "huge") == 0)
			chan_list_huge(c);
		else if (strcmp(m, "GET") == 0)
			chan_list(c);
		else if (strcmp(m, "POST") == 0)
			return chan_originate(c, NULL);
		else
			respond(c, fixture("error_405_method"), NULL, 0, 0);
		return 0;
	}
	rest++;
	slash = strchr(rest, '/');
	copyn(id, sizeof(id), rest,
	    slash ? (size_t)(slash - rest) : strlen(rest));
	if ((ch = chan_live(chan_find(id))) == NULL && !world_gone(id)) {
		chan_adopt();
		ch = chan_find(id);
	}
	if (slash != NULL)
		return chan_op(c, ch, slash + 1);
	if (strcmp(m, "POST") == 0)
		return chan_originate(c, id);
	if (strcmp(m, "GET") == 0 && ch != NULL)
		return respond(
		    c, fixture("channel_get"), ch->json, strlen(ch->json), 0);
	if (strcmp(m, "GET") == 0)
		return respond(c, fixture("error_404_channel"), NULL, 0, 0);
	if (strcmp(m, "DELETE") == 0 && ch == NULL)
		return respond(
		    c, fixture("error_404_channel_delete"), NULL, 0, 0);
	if (strcmp(m, "DELETE") == 0) {
		world_hangup(ch->id, hangup_cause(c));
		chan_del(ch);
		return respond(c, fixture("channel_hangup"), NULL, 0, 0);
	}
	return respond(c, fixture("error_405_method"), NULL, 0, 0);
}
