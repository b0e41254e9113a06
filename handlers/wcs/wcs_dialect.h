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

/* ---- what the methods ask (backend.c) ---- */

struct ami_kv;
struct buf;

enum wcs_be { WCS_BE_ARI, WCS_BE_AMI };

/*
 * Asks the companion line; E_OK with *body (NUL-terminated).  A
 * companion that is not running or refuses is the request's 503.
 */
enum err wcs_ask(
    struct req *r, const char *line, const char **body, size_t *len);

/* The tenant's backend for WCS: ARI or AMI by its events; else 503/501. */
enum err wcs_backend(struct req *r, enum wcs_be *be);

/* fmt, id percent-encoded, then query, in the arena; NULL if too long. */
const char *wcs_ari_path(
    struct req *r, const char *fmt, const char *id, const char *query);

/* Appends &name=value (value percent-encoded; '?' first). */
void wcs_q_add(struct buf *b, const char *name, const char *v);

/*
 * Runs an ARI request: E_OK on a 2xx; 503 when the transfer fails, 404
 * for ARI's 404, 409 for an originate's, 500 for another refusal.
 */
enum err wcs_ari_run(
    struct req *r, const char *method, const char *path, int originate);

/*
 * Runs an AMI action, its ActionID ending in tail (NULL: none): "No
 * such channel" is 404, another error 500, no answer 503.
 */
enum err wcs_ami_run_tail(struct req *r, const char *action,
    const struct ami_kv *kv, size_t n, const char *tail);
enum err wcs_ami_run(
    struct req *r, const char *action, const struct ami_kv *kv, size_t n);

#endif
