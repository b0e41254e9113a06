/*
 * The ?cmd= dialect at /api/api.php: the twin of the PHP elastix-api.
 * Its command families (one file each) share the reply helpers below.
 */
#ifndef PBXAPI_ELASTIX_H
#define PBXAPI_ELASTIX_H

#include <stddef.h>

#include "dispatch.h"

struct arena;
struct jw;
struct pv;
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

/*
 * The elastix-api block parser (its AsteriskDriver, spec §3.1): split the
 * n bytes at s on LF, right-trim CR and LF from each line, an empty line
 * ends a block, a line holding ": " is key (before the first ": ") and
 * value (after it), a repeated key overwrites in place, other lines are
 * ignored, the last block is flushed at the end.  Keeps the blocks with
 * more than more_than keys (PJSIP: 0, chan_sip: 3).  Returns a list of
 * arrays whose strings point into s.
 */
struct pv *ami_blocks(
    struct arena *a, const char *s, size_t n, size_t more_than);

/*
 * Answers activecall from the event companion's state (live.c) unless
 * fresh, state.fresh = always, the tenant's events are off, or the
 * companion does not answer in time or is not synced.  Returns 1 if it
 * answered, 0 if the backend must.
 */
int elastix_live_activecall(struct req *r, struct reply *rp, int fresh);

/*
 * sippeers' AMI reply text from the companion's endpoint listing
 * (live.c): returns 1 with the text and the state's age (seconds, as
 * the companion wrote it), or 0 (the backend answers).
 */
int elastix_live_sippeers(
    struct req *r, int fresh, const char **text, size_t *len, const char **age);

#endif
