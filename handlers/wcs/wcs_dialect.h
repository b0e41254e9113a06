/*
 * The Flashphoner WCS dialect (docs/wcs.md): the SIP-call methods of the
 * WCS REST API under /rest-api/call/, served from the event companion's
 * call registry (fcgi/companion/wcs.h) and the tenant's Asterisk over
 * ARI or AMI; the media-server method families answer 501.
 */
#ifndef PBXAPI_WCS_DIALECT_H
#define PBXAPI_WCS_DIALECT_H

#include "dispatch.h"

#define WCS_PREFIX  "/rest-api"
#define WCS_ID_LEN  128 /* a callId */
#define WCS_KEY_LEN 120 /* an Idempotency-Key */
#define WCS_CTYPE   "application/json;charset=UTF-8"

/* The dialect's per-request state. */
struct wcs_req {
	const char *allow; /* 405 and preflight: the methods */
	int replayed;	   /* an Idempotency-Key's earlier answer */
};

/* What a row's .ext says for the API description. */
struct wcs_op {
	int ok; /* the success status (501: never succeeds) */
	const char *summary;
};

#define WCS_OP(ok, s)                 \
	.ext = &(const struct wcs_op) \
	{                             \
		(ok), (s)             \
	}

extern const struct family wcs_calls;
extern const struct family wcs_media;

struct wcs_req *wcs_state(struct req *r);

/* Sets the public reason and returns e (printf). */
enum err wcs_fail(struct req *r, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The CORS headers every answer carries. */
void wcs_cors(struct reply *rp);

/* A void method's answer: 200, empty body. */
enum err wcs_void(struct reply *rp);

#endif
