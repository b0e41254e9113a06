/*
 * ARI driver: a client of the Asterisk REST Interface over HTTP with
 * libcurl.
 *
 * A struct ari is one curl easy handle; its owner keeps it across
 * requests (the connection pool) so that curl's connection cache keeps
 * the TCP connection alive.  Every transfer runs under the timeout of
 * the settings, with Basic auth and the headers the elastix-api
 * reference sent (elastix-api.md §3.2).  The reply body is bounded by
 * LIM_ARI_BODY and decoded the way PHP's json_decode($body, true) does.
 * Error texts are the reference's (the elastix dialect shows them).
 */
#ifndef PBXAPI_ARI_H
#define PBXAPI_ARI_H

#include <stddef.h>

#include "err.h"

struct ari;
struct arena;
struct pv;

#define LIM_ARI_BODY   (8 * 1024 * 1024) /* ARI reply body bytes */
#define LIM_ARI_ERRMSG 1024		 /* public ARI error message */
#define ARI_BODY_CUT   500 /* error body bytes quoted (reference) */

/* Where and as whom to ask. */
struct ari_conf {
	const char *base; /* "http://host:8088/ari" */
	const char *user;
	const char *secret;
	long timeout_ms; /* connect and the whole transfer */
};

/* One request: "method <base><path>" with an optional JSON body. */
struct ari_call {
	const char *method;
	const char *path; /* with its query, already encoded */
	const char *body; /* n bytes of JSON, or NULL */
	size_t n;
};

#define ARI_REASON_MAX	 64   /* reason phrase kept from a status line */
#define ARI_LOCATION_MAX 1024 /* Location header kept */

/* A reply as it came: for passing it through (ari_forward). */
struct ari_raw {
	long status;
	const char *reason; /* "Not Found", "Invalid Reason", or "" */
	const char *body;   /* n bytes (and a NUL), in the arena */
	size_t n;
	const char *location; /* the Location header, or NULL */
};

struct ari_reply {
	long status;	 /* HTTP status, 0 if the transfer failed */
	struct pv *body; /* json_decode($body, true), [] if not an array */
};

/* The public error text of a failed request; it may hold NULs. */
struct ari_err {
	char msg[LIM_ARI_ERRMSG];
	size_t len;
	int sent; /* a failed transfer sent (some of) the request */
};

/* Returns a new handle, or NULL if curl cannot make one. */
struct ari *ari_new(void);

/* Closes the handle (NULL is ignored). */
void ari_close(void *c);

/*
 * Runs call.  Returns E_OK with out filled (in the arena) for an HTTP
 * status below 400.  Returns E_BACKEND with the reference's message in
 * *e when the transfer failed ("ARI request failed (cURL error: ...)",
 * also for a reply over LIM_ARI_BODY; out->status is 0 and the handle
 * should be closed) or for a status of 400 or more ("ARI request failed
 * with HTTP status N: <body>").
 */
enum err ari_request(struct ari *c, struct arena *a, const struct ari_conf *cf,
    const struct ari_call *call, struct ari_reply *out, struct ari_err *e);

/*
 * Runs call and returns the reply as it came, whatever its status:
 * E_OK with out filled (in the arena), or E_BACKEND with the message in
 * *e when the transfer failed (refused, timed out, over LIM_ARI_BODY,
 * aborted by a stop the thread watches (net_watch); the handle should
 * be closed then).
 */
enum err ari_forward(struct ari *c, struct arena *a, const struct ari_conf *cf,
    const struct ari_call *call, struct ari_raw *out, struct ari_err *e);

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
struct pv *ari_decode(struct arena *a, const char *body, size_t n);

#endif
