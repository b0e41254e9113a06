/*
 * /ari/events, the Stasis websocket, is proxied by nginx to the tenant's
 * Asterisk, so that no worker holds a socket for hours: nginx first asks
 * pbxapi (auth_request to /ari/_events_auth, deploy/nginx/pbxapi.conf)
 * whether the client's ARI credential may subscribe, and pbxapi answers
 * 204 with where to and how: the tenant's ARI address, its own ARI
 * account as an Authorization value, and the query for Asterisk (app and
 * subscribeAll, validated; never the client's api_key).  nginx marks the
 * subrequest with PBXAPI_EVENTS_AUTH, which no client can set, and the
 * location is internal: the backend account never reaches a client.
 */
#include <string.h>

#include "ari_dialect.h"
#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "php/pv.h"
#include "reply.h"
#include "str.h"

static const char *const booleans[] = { "true", "false", NULL };

static int
v_app(const char *s, size_t n)
{
	return strspn(s,
		   "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,") == n
	    ? 0
	    : -1;
}

static const struct param events_params[] = {
	{ .name = "app",
	    .src = SRC_QUERY,
	    .flags = P_REQUIRED | P_NOCTL,
	    .maxlen = 256,
	    .valid = v_app },
	{ .name = "subscribeAll",
	    .src = SRC_QUERY,
	    .flags = P_NOCTL | P_ICASE,
	    .maxlen = 8,
	    .values = booleans },
};

static enum err
events_auth(struct req *r, struct reply *rp)
{
	const struct tenant *t = r->tenant;
	const char *mark = req_param(r, "PBXAPI_EVENTS_AUTH"), *port;
	struct buf b;
	char *cred;

	if (mark == NULL || strcmp(mark, "1") != 0)
		return ari_fail(r, E_NOTFOUND, 404, NULL, "Resource not found");
	if (ari_backend(r) != ARI_BE_ARI)
		return ari_fail(r, E_FORBIDDEN, 403, NULL,
		    "Events need the tenant's ARI backend");
	buf_init(&b, 4096);
	buf_adds(&b, "app=");
	url_encode(&b, r->args[0].s, r->args[0].len);
	if (r->args[1].present) {
		buf_adds(&b, "&subscribeAll=");
		url_encode(&b, r->args[1].s, r->args[1].len);
	}
	port = tenant_get(t, "ARI_PORT");
	cred = arena_printf(r->arena, "%s:%s", tenant_get(t, "ARI_USERNAME"),
	    tenant_get(t, "ARI_SECRET"));
	reply_status(rp, 204);
	reply_header(rp, "X-Pbxapi-Ari-Scheme", tenant_get(t, "ARI_SCHEME"));
	reply_header(rp, "X-Pbxapi-Ari-Upstream",
	    arena_printf(r->arena, "%s:%lld", tenant_get(t, "ARI_HOST"),
		(long long)php_intval(port, strlen(port))));
	reply_header(rp, "X-Pbxapi-Ari-Authorization",
	    arena_printf(
		r->arena, "Basic %s", base64(r->arena, cred, strlen(cred))));
	reply_header(
	    rp, "X-Pbxapi-Ari-Args", arena_strndup(r->arena, b.data, b.len));
	buf_free(&b);
	return E_OK;
}

static const struct cmd cmds[] = {
	{ .name = "eventsAuth",
	    .methods = M_GET,
	    .scope = SCOPE_ARI_READ,
	    PARAMS(events_params),
	    .run = events_auth,
	    ARI_OP("/_events_auth", 204,
		"May this credential open /ari/events (nginx auth_request)?") },
};

const struct family ari_events = { .name = "events", CMDS(cmds) };
