/*
 * The ?cmd= dialect at /api/api.php: the twin of the PHP elastix-api.
 * Its command families (one file each) share the reply helpers below.
 */
#ifndef PBXAPI_ELASTIX_H
#define PBXAPI_ELASTIX_H

#include <stddef.h>

#include "dispatch.h"

struct jw;
struct reply;
struct req;

extern const struct dialect elastix_dialect;

/* Its command families, one file each (elastix_dialect lists them). */
extern const struct family system_family;
extern const struct family pbxinfo_family;
extern const struct family ari_family;
extern const struct family ami_family;
extern const struct family recordings_family;
extern const struct family cdr_family;
extern const struct family extension_family;
extern const struct family followme_family;
extern const struct family queues_db_family;

/*
 * Starts a JSON reply the way the reference's json() does: status,
 * Content-Type: application/json, Access-Control-Allow-Origin; returns
 * the writer (json_encode rules).
 */
struct jw *elastix_json(struct req *r, struct reply *rp, int status);

/* Starts a text/plain;charset=UTF-8 reply with the CORS header. */
void elastix_text(struct req *r, struct reply *rp, const char *s, size_t n);

/* Writes {"status":<status>,"code":200}. */
enum err elastix_status(struct req *r, struct reply *rp, const char *status);

#endif
