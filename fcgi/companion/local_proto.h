/*
 * The companion's local interface, its wire format (no I/O; see
 * docs/architecture.md, "The event companion").  A worker sends one
 * request line and reads one reply, then may send the next on the same
 * unix stream connection:
 *
 *   request  VERB [ARG ...] LF      at most LIM_LOCAL_LINE bytes; VERB
 *                                   is [a-z0-9._]+, each ARG 1..1024
 *                                   bytes of visible ASCII, separated by
 *                                   one space, at most LOCAL_ARGS_MAX
 *   reply    OK LEN LF BODY         BODY is LEN bytes (JSON, or text)
 *            ERR LEN LF TEXT        TEXT: what was wrong
 *
 * LEN is decimal, at most LIM_LOCAL_REPLY.  Every parser takes (bytes,
 * length) and allocates nothing.
 */
#ifndef PBXAPI_LOCAL_PROTO_H
#define PBXAPI_LOCAL_PROTO_H

#include <stddef.h>

#define LOCAL_ARGS_MAX 4
#define LOCAL_ARG_MAX  1024
#define LOCAL_VERB_MAX 31
#define LOCAL_HEAD_MAX 24 /* "ERR " + digits + LF */

enum local_rc {
	LOCAL_OK,    /* a whole unit was parsed */
	LOCAL_MORE,  /* incomplete: read more */
	LOCAL_EPROTO /* not the protocol, or past a limit */
};

struct local_span {
	const char *p;
	size_t n;
};

struct local_req {
	struct local_span verb;
	struct local_span arg[LOCAL_ARGS_MAX];
	size_t nargs;
};

/*
 * Parses the request line at the start of the n bytes at p.  Returns
 * LOCAL_OK with r (spans into p) and *used (the line and its LF),
 * LOCAL_MORE if no LF came yet within LIM_LOCAL_LINE bytes, or
 * LOCAL_EPROTO for a line past LIM_LOCAL_LINE, an empty or bad verb, an
 * empty, too long or non-visible argument, or too many arguments.
 */
enum local_rc local_parse_req(
    const char *p, size_t n, struct local_req *r, size_t *used);

/*
 * Parses a reply's head at the start of the n bytes at p.  Returns
 * LOCAL_OK with *ok (1: OK, 0: ERR), *len (the body's bytes) and *used
 * (the head's), LOCAL_MORE, or LOCAL_EPROTO for anything else or a
 * length over LIM_LOCAL_REPLY.
 */
enum local_rc local_parse_head(
    const char *p, size_t n, int *ok, size_t *len, size_t *used);

/* Returns 1 if span s is the NUL-terminated word w. */
int local_is(struct local_span s, const char *w);

#endif
