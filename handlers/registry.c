/*
 * The registry: which path serves which dialect, and every dialect (for
 * pbxapi -L).  Each dialect lists its own command families where it is
 * defined.
 */
#include <stddef.h>

#include "conf.h"
#include "dispatch.h"

extern const struct dialect elastix_dialect;
extern const struct dialect status_dialect;
extern const struct dialect fusionpbx_dialect;
extern const struct dialect ari_dialect;
extern const struct dialect rec_dialect;
extern const struct dialect openapi_dialect;
extern const struct dialect wcs_dialect;
extern const struct dialect events_dialect;

const struct route routes[] = {
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, status_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, ping_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, health_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, ready_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, metrics_path),
	    .dialect = &status_dialect },
	{ .path = "/api/api.php", .dialect = &elastix_dialect },
	{ .path = "/app/rest_api/rest.php", .dialect = &fusionpbx_dialect },
	{ .path = "/ari/", .prefix = 1, .dialect = &ari_dialect },
	/* The recording server, root layout and "/recording" alike. */
	{ .path = "/records/", .prefix = 1, .dialect = &rec_dialect },
	{ .path = "/call_data/", .prefix = 1, .dialect = &rec_dialect },
	{ .path = "/history", .dialect = &rec_dialect },
	{ .path = "/last_agent", .dialect = &rec_dialect },
	{ .path = "/recording/", .prefix = 1, .dialect = &rec_dialect },
	{ .path = "/openapi.json", .dialect = &openapi_dialect },
	/* Flashphoner WCS: its REST API's root. */
	{ .path = "/rest-api/", .prefix = 1, .dialect = &wcs_dialect },
	/* nchan's subscriber authorisation (deploy/nginx/pbxapi-events.conf) */
	{ .path = "/events", .dialect = &events_dialect },
	{ .path = "/events/", .prefix = 1, .dialect = &events_dialect },
	{ .dialect = NULL },
};

/* What the status worker (pm.status_listen) serves. */
const struct route status_routes[] = {
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, status_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, ping_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, health_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, ready_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, metrics_path),
	    .dialect = &status_dialect },
	{ .dialect = NULL },
};

const struct dialect *const dialects[] = {
	&elastix_dialect,
	&fusionpbx_dialect,
	&ari_dialect,
	&rec_dialect,
	&status_dialect,
	&openapi_dialect,
	&wcs_dialect,
	&events_dialect,
	NULL,
};
