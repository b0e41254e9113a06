/*
 * /openapi.json: the OpenAPI 3.1 description of every dialect
 * (fcgi/openapi.c), public: it says what the tables and the docs
 * already publish, and holds no tenant's data.  nginx may restrict it.
 */
#include <string.h>

#include "dispatch.h"
#include "json.h"
#include "reply.h"
#include "req.h"

/* Public: no token, no scope. */
static enum err
oa_auth(struct req *r)
{
	r->scopes = 0;
	return E_OK;
}

static enum err
oa_route(struct req *r, const char **name, size_t *n)
{
	(void)r;
	*name = "openapi";
	*n = strlen(*name);
	return E_OK;
}

/* Returns E_OK with the document, E_INTERNAL if it cannot be written. */
static enum err
openapi(struct req *r, struct reply *rp)
{
	struct jw *w = reply_json(rp, JW_UTF8);

	if (openapi_write(w) == -1)
		return req_error(r, E_INTERNAL, "cannot write the document");
	reply_header(rp, "Cache-Control", "no-cache");
	return E_OK;
}

static const struct cmd cmds[] = {
	{ .name = "openapi",
	    .methods = M_GET | M_HEAD,
	    .path = "/openapi.json",
	    .run = openapi },
};

static const struct family openapi_family = { .name = "openapi", CMDS(cmds) };

static const struct family *const families[] = { &openapi_family, NULL };

static const struct dialect_doc doc = {
	.text = "This description, generated from the command tables.",
};

const struct dialect openapi_dialect = {
	.name = "openapi",
	.doc = &doc,
	.body_kinds = 0,
	.families = families,
	.auth = oa_auth,
	.route = oa_route,
	.error = dialect_json_error,
	.unknown = dialect_not_found,
};
