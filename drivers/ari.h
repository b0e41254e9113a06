/*
 * ARI driver: the Asterisk REST Interface over HTTP with libcurl.
 *
 * One easy handle per worker and tenant, kept in the worker's connection
 * table (CONN_ARI) so that curl's connection cache keeps the TCP
 * connection alive between requests.  Every transfer runs under the
 * backend_timeout deadline, with Basic auth ARI_USERNAME:ARI_SECRET and
 * the headers the elastix-api reference sent (elastix-api.md §3.2).  The
 * reply body is bounded by LIM_ARI_BODY and decoded the way PHP's
 * json_decode($body, true) does.
 */
#ifndef PBXAPI_ARI_H
#define PBXAPI_ARI_H

#include <stddef.h>

#include "err.h"

struct pv;
struct req;

#define LIM_ARI_BODY   (8 * 1024 * 1024) /* ARI reply body bytes */
#define LIM_ARI_ERRMSG 1024		 /* public ARI error message */
#define ARI_BODY_CUT   500 /* error body bytes quoted (reference) */

struct ari_reply {
	long status;	 /* HTTP status */
	struct pv *body; /* json_decode($body, true), [] if not an array */
};

/* The public error text of a failed request; it may hold NULs. */
struct ari_err {
	char msg[LIM_ARI_ERRMSG];
	size_t len;
};

/*
 * Sends "method /ari<path>" (path with its query, already encoded) to the
 * ARI of r's tenant, with the n bytes of JSON at body if body is not NULL.
 * Returns E_OK with out filled for an HTTP status below 400.  Returns
 * E_BACKEND with the reference's message in *e when ARI_ENABLED is off
 * ("ARI is disabled. ..."), when the transfer failed ("ARI request failed
 * (cURL error: ...)", also for a reply over LIM_ARI_BODY) or for a status
 * of 400 or more ("ARI request failed with HTTP status N: <body>").
 */
enum err ari_request(struct req *r, const char *method, const char *path,
    const char *body, size_t n, struct ari_reply *out, struct ari_err *e);

/*
 * Builds the message of an HTTP error reply as the reference did: the
 * body trimmed like PHP's trim(), cut to ARI_BODY_CUT bytes plus "...",
 * or "[empty response body]".  Pure; exposed for tests.
 */
void ari_status_error(
    long status, const char *body, size_t n, struct ari_err *e);

/*
 * Decodes an ARI reply body like json_decode($b, true): anything that is
 * not a JSON object or array (invalid JSON, a scalar, too deep) becomes
 * an empty array.  Never returns NULL.
 */
struct pv *ari_decode(struct req *r, const char *body, size_t n);

#endif
