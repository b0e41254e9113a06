/*
 * POST /history?size= (spec §3.6): the calls of an interface, newest
 * first, a bare array; GET /last_agent?callerNo=&since= (§3.7): the
 * agent who last answered a caller, 404 {"agentNumber":null} if none.
 */
#include <stdlib.h>

#include "json.h"
#include "conf.h"
#include "recordings.h"
#include "reply.h"

/* 0 .. 36500 days. */
static int
v_days(const char *s, size_t n)
{
	return v_digits(s, n) == 0 && n <= 5 && strtol(s, NULL, 10) <= 36500
	    ? 0
	    : -1;
}

static const struct param history_params[] = {
	{ .name = "size", .src = SRC_QUERY, .def = "10", .valid = rec_v_size },
	{ .name = "interface",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED | P_NOCTL | P_UTF8,
	    .maxlen = 255 },
};

static enum err
history(struct req *r, struct reply *rp)
{
	const struct rec_store *st = rec_store(r);
	struct rec_hist *h;
	struct jw *w;
	size_t n, i;
	enum err e;

	if (st->history == NULL)
		return req_error(
		    r, E_NOTSUP, "the %s store keeps no history", st->name);
	e = st->history(
	    r, r->args[1].s, strtol(r->args[0].s, NULL, 10), &h, &n);
	if (e != E_OK)
		return e;
	w = reply_json(rp, JW_UTF8);
	jw_arr_open(w);
	for (i = 0; i < n; i++) {
		jw_obj_open(w);
		jw_keyz(w, "start");
		jw_strz_or_null(w, h[i].start);
		jw_keyz(w, "duration");
		jw_strz(w, h[i].duration != NULL ? h[i].duration : "");
		jw_keyz(w, "src_num");
		jw_strz_or_null(w, h[i].src_num);
		jw_keyz(w, "dst_num");
		jw_strz_or_null(w, h[i].dst_num);
		jw_keyz(w, "status");
		jw_strz_or_null(w, h[i].status);
		jw_keyz(w, "src_firstname");
		jw_strz_or_null(w, h[i].src_first);
		jw_keyz(w, "src_lastname");
		jw_strz_or_null(w, h[i].src_last);
		jw_keyz(w, "dst_firstname");
		jw_strz_or_null(w, h[i].dst_first);
		jw_keyz(w, "dst_lastname");
		jw_strz_or_null(w, h[i].dst_last);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return E_OK;
}

static const struct param last_agent_params[] = {
	{ .name = "callerNo",
	    .src = SRC_QUERY,
	    .flags = P_REQUIRED | P_NOCTL | P_UTF8,
	    .maxlen = 80 },
	{ .name = "since", .src = SRC_QUERY, .def = "30", .valid = v_days },
};

static enum err
last_agent(struct req *r, struct reply *rp)
{
	const struct rec_store *st = rec_store(r);
	const char *agent = NULL;
	struct jw *w;
	enum err e;

	if (st->last_agent == NULL)
		return req_error(
		    r, E_NOTSUP, "the %s store knows no agents", st->name);
	e = st->last_agent(
	    r, r->args[0].s, strtol(r->args[1].s, NULL, 10), &agent);
	if (e != E_OK && e != E_NOTFOUND)
		return e;
	w = reply_json(rp, JW_UTF8);
	if (e == E_NOTFOUND)
		reply_status(rp, 404);
	jw_obj_open(w);
	jw_keyz(w, "agentNumber");
	jw_strz_or_null(w, e == E_OK ? agent : NULL);
	jw_obj_close(w);
	return E_OK;
}

static const struct cmd cmds[] = {
	{ .name = "history",
	    .methods = M_POST,
	    .scope = SCOPE_RECORDINGS,
	    .path = "/history",
	    PARAMS(history_params),
	    .run = history },
	{ .name = "last_agent",
	    .methods = M_GET,
	    .scope = SCOPE_RECORDINGS,
	    .path = "/last_agent",
	    PARAMS(last_agent_params),
	    .run = last_agent },
};

const struct family rec_history = { .name = "history", CMDS(cmds) };
