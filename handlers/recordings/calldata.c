/*
 * POST /call_data/<id>/attached_data and
 * POST /call_data/<uniqueid>/attached_data_by_uniqueId (spec §3.4,
 * §3.5): a JSON array of {"key":..., "value":...} attached to a call, all
 * elements or none.  As the seed's example does, an id posted to
 * /attached_data that is not a pure integer is taken as a unique id.
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "pv.h"
#include "recordings.h"
#include "reply.h"
#include "str.h"
#include "utf8.h"

/* A string member of an element; NULL if absent or not a string. */
static const char *
member(const struct pv *el, const char *name, size_t *n)
{
	const struct pv *v = pv_getz(el, name);

	if (v == NULL || v->type != PV_STR)
		return NULL;
	*n = v->u.str.len;
	return v->u.str.s;
}

/*
 * Reads the body: a list of {key, value} strings.  Returns E_OK with the
 * pairs, or r's error naming the element at fault.
 */
static enum err
pairs(struct req *r, const char ***keys, const char ***vals, size_t *n)
{
	const struct pv_ent *e;
	const char *k, *v;
	size_t i = 0, kl, vl;
	enum err rc;

	if ((rc = req_parse_body(r, BODY_JSON)) != E_OK)
		return req_error(r, rc, "the body is not JSON");
	if (r->post == NULL || r->post->type != PV_ARR ||
	    pv_count(r->post) == 0)
		return req_error(r, E_BADREQ,
		    "the body must be a non-empty JSON array of "
		    "{\"key\":...,\"value\":...}");
	if ((*n = pv_count(r->post)) > REC_ATTACH_MAX)
		return req_error(
		    r, E_BADREQ, "more than %d elements", REC_ATTACH_MAX);
	*keys = arena_alloc(r->arena, *n * sizeof(**keys));
	*vals = arena_alloc(r->arena, *n * sizeof(**vals));
	for (e = r->post->u.arr->head; e != NULL; e = e->next, i++) {
		if (!e->is_int || e->ikey != (int64_t)i ||
		    e->val.type != PV_ARR ||
		    (k = member(&e->val, "key", &kl)) == NULL ||
		    (v = member(&e->val, "value", &vl)) == NULL)
			return req_error(r, E_BADREQ,
			    "element %zu is not {\"key\":string,"
			    "\"value\":string}",
			    i);
		if (kl == 0 || kl > REC_KEY_MAX || vl > REC_VALUE_MAX ||
		    str_has_ctl(k, kl) || str_has_ctl(v, vl) ||
		    utf8_valid(k, kl) == -1 || utf8_valid(v, vl) == -1)
			return req_error(r, E_BADREQ,
			    "element %zu: key of 1 to %d bytes, value of at "
			    "most %d, UTF-8 without control characters",
			    i, REC_KEY_MAX, REC_VALUE_MAX);
		(*keys)[i] = k;
		(*vals)[i] = v;
	}
	return E_OK;
}

static enum err
attach(struct req *r, struct reply *rp, int by_uniqueid)
{
	const struct rec_store *st = rec_store(r);
	const char *id = r->args[0].s, **keys = NULL, **vals = NULL;
	size_t n = 0;
	enum err e;

	if (!by_uniqueid && v_digits(id, r->args[0].len) != 0)
		by_uniqueid = 1; /* the seed's example */
	if (!by_uniqueid && r->args[0].len > 9)
		return req_error(r, E_NOTFOUND, "no call data %s", id);
	if ((e = pairs(r, &keys, &vals, &n)) != E_OK)
		return e;
	if (st->attach == NULL)
		return req_error(r, E_NOTSUP,
		    "the %s store keeps no attached data", st->name);
	if ((e = st->attach(r, id, by_uniqueid, keys, vals, n)) != E_OK)
		return e;
	reply_status(rp, 200);
	reply_text(rp, NULL, "", 0);
	return E_OK;
}

static enum err
attached_data(struct req *r, struct reply *rp)
{
	return attach(r, rp, 0);
}

static enum err
attached_data_by_uniqueid(struct req *r, struct reply *rp)
{
	return attach(r, rp, 1);
}

static const struct param id_params[] = {
	{ .name = "id",
	    .src = SRC_PATH,
	    .flags = P_REQUIRED | P_NOCTL,
	    .maxlen = 150,
	    .valid = v_token },
};

static const struct cmd cmds[] = {
	{ .name = "attached_data",
	    .methods = M_POST,
	    .scope = SCOPE_RECORDINGS,
	    .path = "/call_data/{id}/attached_data",
	    PARAMS(id_params),
	    .run = attached_data },
	{ .name = "attached_data_by_uniqueId",
	    .methods = M_POST,
	    .scope = SCOPE_RECORDINGS,
	    .path = "/call_data/{id}/attached_data_by_uniqueId",
	    PARAMS(id_params),
	    .run = attached_data_by_uniqueid },
};

const struct family rec_calldata = { .name = "call_data", CMDS(cmds) };
