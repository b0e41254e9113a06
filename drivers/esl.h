/*
 * FreeSWITCH event-socket client (fusionpbx.md §6): one authenticated,
 * persistent connection, commands answered in order, api and bgapi, and
 * every read and write under the caller's deadline.  Unsolicited events
 * and log lines are skipped.  Nothing with a CR, LF or NUL byte is ever
 * written: such a command is refused before a byte leaves.
 *
 * After any error other than E_BADREQ the connection is unusable and the
 * owner closes it (esl_broken() says so).
 */
#ifndef PBXAPI_ESL_H
#define PBXAPI_ESL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct arena;
struct esl;

struct esl_conf {
	const char *host; /* name, address, or a unix socket path */
	const char *port;
	const char *password;
};

/* The originate FusionPBX's REST app sends (fusionpbx.md §3.8). */
struct esl_originate {
	const char *cid_number;
	const char *cid_name; /* NULL or "": none; sent rawurlencoded */
	const char *dest_a;   /* bridged once dest_b answered */
	const char *dest_b;   /* dialled first */
	const char *domain;
	int timeout; /* originate_timeout, seconds */
};

/*
 * Connects, waits for the auth/request greeting and authenticates.
 * Returns E_OK with *out set, E_BACKEND if the connection is refused or
 * closed or the password is rejected, E_TIMEOUT past the deadline, or
 * E_PROTO if the server breaks the framing; errbuf says why.
 */
enum err esl_open(const struct esl_conf *cf, uint64_t deadline,
    struct esl **out, char *errbuf, size_t errlen);

/* Closes the connection (NULL is ignored).  Takes a void * for
 * worker_set_conn-style owners. */
void esl_close(void *c);

/* Returns nonzero once the connection must not be used any more. */
int esl_broken(const struct esl *c);

/*
 * Checks an idle connection before reuse: drains what the server sent
 * meanwhile (events) and notices a close.  Returns 1 if it is usable.
 */
int esl_usable(struct esl *c);

/*
 * Runs "api <cmd>" and returns the reply's body (NUL-terminated copy in
 * the arena).  A command/reply answer (an error) yields its Reply-Text.
 * Returns E_OK, E_BADREQ if cmd holds CR, LF or NUL (nothing is sent),
 * E_BACKEND, E_TIMEOUT or E_PROTO.
 */
enum err esl_api(struct esl *c, const char *cmd, uint64_t deadline,
    struct arena *a, char **body, size_t *blen, char *errbuf, size_t errlen);

/*
 * Runs "bgapi <cmd>" with a Job-UUID header.  Returns E_OK if the server
 * answered "+OK Job-UUID: <job_uuid>", E_BADREQ for CR/LF/NUL, E_BACKEND
 * for another answer or a closed connection, E_TIMEOUT or E_PROTO.
 */
enum err esl_bgapi(struct esl *c, const char *cmd, const char *job_uuid,
    uint64_t deadline, char *errbuf, size_t errlen);

/*
 * Runs "sendevent <name>" with the n headers hdrs[2i]: hdrs[2i+1].
 * Returns E_OK if the server answered +OK, else as esl_bgapi.
 */
enum err esl_sendevent(struct esl *c, const char *name, const char *const *hdrs,
    size_t n, uint64_t deadline, char *errbuf, size_t errlen);

/*
 * The event stream: esl_subscribe() once, then esl_poll() in a loop;
 * esl_api_send() puts an API in between whose answer esl_poll() hands
 * over in the stream's order (the events before it stay events).
 */
enum esl_poll_kind {
	ESL_POLL_NONE,	/* nothing whole by the deadline */
	ESL_POLL_EVENT, /* a text/event-json body: one JSON object */
	ESL_POLL_API	/* the api/response body of esl_api_send() */
};

/*
 * Sends "event json <names>" (names: space-separated event names, and
 * "CUSTOM a::b ..." for subclasses) and checks the answer
 * "+OK event listener enabled json".  Returns E_OK, E_BADREQ if names
 * hold CR, LF or NUL or are too long (nothing is sent), E_BACKEND for
 * another answer or a close, E_TIMEOUT or E_PROTO.
 */
enum err esl_subscribe(struct esl *c, const char *names, uint64_t deadline,
    char *errbuf, size_t errlen);

/*
 * Sends "api <cmd>" without waiting: esl_poll() hands the answer over as
 * ESL_POLL_API.  Returns E_OK, E_BADREQ (CR, LF, NUL, too long: nothing
 * is sent), E_BACKEND or E_TIMEOUT.
 */
enum err esl_api_send(struct esl *c, const char *cmd, uint64_t deadline,
    char *errbuf, size_t errlen);

/*
 * Waits until deadline for the next event or api answer, skipping what
 * is neither (log lines, plain events).  *body (*blen bytes, not
 * NUL-terminated) points into the connection's buffer and lives until
 * the next call on c.  Returns E_OK with *kind ESL_POLL_NONE if nothing
 * whole came by the deadline: unlike the other calls, that leaves the
 * connection usable and keeps a message that came in part.  Returns
 * E_BACKEND for a close or disconnect notice, E_PROTO for broken
 * framing (errbuf says why); the connection is broken then.
 */
enum err esl_poll(struct esl *c, uint64_t deadline, enum esl_poll_kind *kind,
    const char **body, size_t *blen, char *errbuf, size_t errlen);

/*
 * Returns 1 if the n bytes at s may stand in a dial string or channel
 * variable of an originate: 1 to 64 bytes of [A-Za-z0-9_.*#+-].  CR, LF,
 * space, quotes, braces, commas, parentheses, '/', '|' and '=' (which
 * end the command, add arguments or variables, or change the loopback
 * context) are refused (fusionpbx.md §5 #2, #3).
 */
int esl_dial_token_ok(const char *s, size_t n);

/* Returns 1 if s is a domain name fit for loopback/<x>/<domain>. */
int esl_domain_ok(const char *s, size_t n);

/*
 * Builds the originate command (without "api ") of the REST app, byte for
 * byte.  Returns E_OK with *cmd in the arena, or E_BADREQ naming the
 * field in errbuf if a field fails esl_dial_token_ok/esl_domain_ok.
 */
enum err esl_originate_cmd(struct arena *a, const struct esl_originate *o,
    char **cmd, char *errbuf, size_t errlen);

/*
 * PHP's rawurlencode(): every byte but A-Z a-z 0-9 - _ . ~ becomes %XX
 * (upper-case hex).  Returns an arena string.
 */
char *esl_rawurlencode(struct arena *a, const char *s, size_t n);

#endif
