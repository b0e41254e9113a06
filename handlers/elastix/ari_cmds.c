/*
 * ARI commands of the ?cmd= dialect: arichannels (elastix-api.md §5.8),
 * ARI's GET /ari/channels re-encoded with json_encode's rules.  Every
 * failure is a 503 carrying the reference's message (§3.2).
 */
#include <stddef.h>

#include "ari.h"
#include "asterisk.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "json.h"
#include "log.h"
#include "pv.h"
#include "reply.h"
#include "req.h"

/*
 * The reference's RuntimeException: 503 {"error":<message>,"code":503}.
 * A message too long for the request's error buffer (an HTTP error body
 * is quoted up to 500 bytes) is written here instead of by the dialect.
 */
static enum err
ari_fail(struct req *r, struct reply *rp, const struct ari_err *e)
{
	struct jw *w;

	if (e->len < sizeof(r->errmsg))
		return req_error_bytes(r, E_BACKEND, "", e->msg, e->len);
	log_info(
	    "%s: ARI error reply of %zu bytes", err_str(E_BACKEND), e->len);
	w = elastix_json(r, rp, 503);
	jw_obj_open(w);
	jw_keyz(w, "error");
	jw_str(w, e->msg, e->len);
	jw_keyz(w, "code");
	jw_int(w, 503);
	jw_obj_close(w);
	return E_OK;
}

static enum err
arichannels(struct req *r, struct reply *rp)
{
	struct ari_reply ar;
	struct ari_err e;

	if (ast_ari(r,
		&(struct ari_call){ .method = "GET", .path = "/channels" }, &ar,
		&e) != E_OK)
		return ari_fail(r, rp, &e);
	pv_encode(elastix_json(r, rp, 200), ar.body);
	return E_OK;
}

static const struct cmd cmds[] = {
	{ .name = "arichannels",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = arichannels },
};

const struct family ari_family = {
	.name = "ari",
	CMDS(cmds),
};
