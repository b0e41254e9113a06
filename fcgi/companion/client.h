/*
 * The workers' side of the companion's local interface (local_proto.h):
 * one persistent unix stream connection per worker process, opened on
 * first use and after any error, every exchange under companion.timeout.
 */
#ifndef PBXAPI_CLIENT_H
#define PBXAPI_CLIENT_H

#include <stddef.h>

#include "err.h"

struct arena;
struct conf;

/*
 * Sends the request line (no LF) and reads the reply's body into the
 * arena (NUL-terminated).  Returns E_OK with *body and *len; E_NOTFOUND
 * when the companion answered ERR (its text in why); E_BACKEND when it
 * cannot be reached; E_TIMEOUT past companion.timeout; E_PROTO for a
 * reply that is not the protocol.  After an error the connection is
 * closed (the next call opens one).
 */
enum err companion_ask(const struct conf *c, struct arena *a, const char *line,
    const char **body, size_t *len, char *why, size_t whylen);

/*
 * companion_ask() under companion.wait: for the asks that have nothing
 * to fall back on (the WCS methods, Idempotency-Key claims), where a
 * worker had better wait out a busy companion than answer 503.
 */
enum err companion_ask_wait(const struct conf *c, struct arena *a,
    const char *line, const char **body, size_t *len, char *why, size_t whylen);

/*
 * Returns 1 if the scoreboard shows a companion that serves (its slot
 * idle): without one, asking would only wait for companion.timeout (the
 * master keeps the socket, so a connect succeeds even while none runs).
 * 0 too without a scoreboard (pbxapi -s).
 */
int companion_alive(void);

/* Closes the connection (a worker about to exit, tests). */
void companion_hangup(void);

#endif
