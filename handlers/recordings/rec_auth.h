/*
 * What the recording server dialect's files share about a request: its
 * per-request state (r->dctx) and the signed URLs of audio.c.
 */
#ifndef PBXAPI_REC_AUTH_H
#define PBXAPI_REC_AUTH_H

#include "dispatch.h"

#define REC_PREFIX "/recording" /* the newer layout's prefix */

struct tenant;

/* Per-request state (r->dctx). */
struct rec_req {
	const char *allow;	   /* Allow header of a 405 */
	const char *signed_id;	   /* the file id a signed URL was made for */
	const char *signed_action; /* and its action: listen, download */
	int prefixed;		   /* the request used the /recording layout */
	int status;		   /* the error reply's status, for the log */
};

/* Returns r's state, made on first use. */
struct rec_req *rec_state(struct req *r);

/*
 * Authenticates an audio request by its signed URL (tenant, expires,
 * signature in the query; fixed: the vhost's pinned tenant or NULL):
 * sets r->tenant and the signed file id, no scope.  Returns E_OK or
 * E_UNAUTH (no signature), E_FORBIDDEN (expired, altered, another
 * tenant's).
 */
enum err rec_signed_auth(struct req *r, const struct tenant *fixed);

#endif
