/*
 * The events dialect: the authorisation of a subscriber to a tenant's
 * live events (docs/operations.md, "Pushing events").  nginx's nchan
 * module holds the subscribers of GET /events/TENANT (Server-Sent Events
 * and WebSocket) and asks here first with nchan_authorize_request,
 * passing the client's credentials and the path: 200 lets the subscriber
 * in, 401 (no or an unknown token) and 403 (another tenant's token, or
 * one without the events or read scope) keep it out.  No pbxapi process
 * ever holds a subscriber's connection; the companion publishes each
 * tenant's events to nchan (fcgi/companion/publish.h).  GET /events,
 * with no tenant, is the token's tenant's channel: nginx asks with
 * auth_request and subscribes to the X-Pbxapi-Tenant of the answer.
 *
 * The credential is the one of the ?cmd= dialect (Authorization: TOKEN,
 * or "Bearer TOKEN"), or, for a browser's EventSource, which cannot set
 * headers, ?token=TOKEN (the shipped nginx config keeps it out of logs).
 */
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "dispatch.h"
#include "json.h"
#include "php/pv.h"
#include "reply.h"
#include "req.h"

#define EVENTS_PATH "/events"

/* The token from Authorization (bare or Bearer), else ?token=; or NULL. */
static const char *
credential(struct req *r, size_t *n)
{
	const char *h = req_param(r, "HTTP_AUTHORIZATION");
	const struct pv *k;

	if (h != NULL && *h != '\0') {
		if (strncasecmp(h, "Bearer ", 7) == 0)
			for (h += 7; *h == ' '; h++)
				;
		*n = strlen(h);
		return h;
	}
	if (req_parse_query(r) != E_OK ||
	    (k = pv_getz(r->get, "token")) == NULL)
		return NULL;
	return pv_to_str(r->arena, k, n);
}

/*
 * A tenant's token.  The read scope implies events: whoever may list the
 * tenant's live calls may watch them.
 */
static enum err
events_auth(struct req *r)
{
	const struct tenant *fixed = NULL;
	const struct token *tk;
	const char *cred, *pin;
	size_t n = 0;

	pin = req_param(r, "PBXAPI_TENANT");
	if (pin != NULL && *pin != '\0' &&
	    (fixed = conf_tenant(r->conf, pin)) == NULL)
		return req_error(r, E_UNAUTH, "unknown tenant '%s'", pin);
	if ((cred = credential(r, &n)) == NULL || n == 0)
		return req_error(r, E_UNAUTH, "a token is required");
	tk = conf_token(r->conf, cred, n);
	if (tk == NULL || (fixed != NULL && tk->tenant != fixed))
		return req_error(r, E_UNAUTH, "unknown token");
	r->tenant = tk->tenant;
	r->scopes = tk->scopes;
	if (tk->scopes & SCOPE_READ)
		r->scopes |= SCOPE_EVENTS;
	r->token = tk;
	r->token_id = tk->id;
	return E_OK;
}

/*
 * The tenant a subscription names: /events/TENANT, or "" for /events
 * (the token's); NULL for any other path.
 */
static const char *
channel_of(const char *path)
{
	size_t n = strlen(EVENTS_PATH);

	if (strncmp(path, EVENTS_PATH, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return "";
	if (path[n] != '/' || path[n + 1] == '\0' ||
	    strchr(path + n + 1, '/') != NULL)
		return NULL;
	return path + n + 1;
}

static enum err
events_route(struct req *r, const char **name, size_t *n)
{
	const char *c = channel_of(r->path);

	if (c == NULL)
		return req_error(r, E_NOTFOUND, "no such events channel");
	*name = *c == '\0' ? "subscribe_own" : "subscribe";
	*n = strlen(*name);
	return E_OK;
}

/*
 * 200 if the tenant the path names (or, with none, the token's) is the
 * token's and has events on; X-Pbxapi-Tenant names the channel.
 */
static enum err
subscribe(struct req *r, struct reply *rp)
{
	const char *want = channel_of(r->path);
	struct jw *w;

	if (*want == '\0')
		want = r->tenant->name;
	if (strcmp(want, r->tenant->name) != 0)
		return req_error(r, E_FORBIDDEN,
		    "the token is not one of tenant '%s'", want);
	if (tenant_events(r->tenant) == EVM_OFF)
		return req_error(
		    r, E_FORBIDDEN, "tenant '%s' has events off", want);
	reply_header(rp, "Cache-Control", "no-store");
	reply_header(rp, "X-Pbxapi-Tenant", r->tenant->name);
	w = reply_json(rp, JW_UTF8);
	jw_obj_open(w);
	jw_keyz(w, "tenant");
	jw_strz(w, r->tenant->name);
	jw_keyz(w, "channel");
	jw_strz(w, r->tenant->name);
	jw_obj_close(w);
	return E_OK;
}

static const struct cmd cmds[] = {
	{ .name = "subscribe",
	    .methods = M_GET,
	    .scope = SCOPE_EVENTS,
	    .path = "/events/{tenant}",
	    .run = subscribe },
	{ .name = "subscribe_own",
	    .methods = M_GET,
	    .scope = SCOPE_EVENTS,
	    .path = "/events",
	    .run = subscribe },
};

static const struct family events_family = { .name = "events", CMDS(cmds) };

static const struct family *const families[] = { &events_family, NULL };

static const struct doc_auth header_doc = {
	.id = "eventsToken",
	.type = "apiKey",
	.in = "header",
	.param = "Authorization",
	.text = "A token of the tenant with the events or read scope, bare "
		"or after \"Bearer \".",
};

static const struct doc_auth query_doc = {
	.id = "eventsQueryToken",
	.type = "apiKey",
	.in = "query",
	.param = "token",
	.text = "The same token, for a browser's EventSource (which cannot "
		"set headers).",
};

static const struct doc_auth *const auths[] = { &header_doc, &query_doc, NULL };

static const char *
doc_summary(const struct cmd *c)
{
	if (strcmp(c->name, "subscribe_own") == 0)
		return "Subscribe to the token's tenant's live events";
	return "Subscribe to the tenant's live events";
}

static const struct dialect_doc doc = {
	.text = "A tenant's live events as Server-Sent Events or a WebSocket "
		"(Last-Event-ID resumes), served by nginx's nchan module; "
		"pbxapi authorises each subscriber and answers 200, 401 or "
		"403 (docs/operations.md, \"Pushing events\").",
	.auth = auths,
	.summary = doc_summary,
};

const struct dialect events_dialect = {
	.name = "events",
	.doc = &doc,
	.body_kinds = 0,
	.families = families,
	.auth = events_auth,
	.route = events_route,
	.error = dialect_json_error,
	.unknown = dialect_not_found,
};
