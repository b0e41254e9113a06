/*
 * The AMI driver: a client of the Asterisk Manager Interface.  One
 * logged-in connection (struct ami) is opened with ami_open() and used
 * for one action at a time; the owner keeps it across requests (the
 * connection pool), asks ami_usable() before using it again, and closes
 * it after any error.  Every write and read runs under the caller's
 * deadline.  Errors are a status and a text in the caller's buffer; the
 * texts are the PHP elastix-api's ("AMI connection failed (111):
 * Connection refused"), which that dialect shows its clients.
 *
 * Each action carries an ActionID; a frame with another ActionID is
 * stale and skipped, an event before the response is unsolicited and
 * skipped, and when the server does not echo ActionIDs (old servers,
 * recorded transcripts) the response is the first Response frame after
 * the action.  An event list ("EventList: start", or "... will follow"
 * on Asterisk <= 11) is read up to its "EventList: Complete" or named
 * closing event, no further: there are no idle waits.  The ActionID line
 * we added is removed from what the caller sees, so replies look like
 * replies to the reference's frames.
 */
#ifndef PBXAPI_AMI_H
#define PBXAPI_AMI_H

#include <stddef.h>
#include <stdint.h>

#include "ami_frame.h"
#include "err.h"

struct ami;
struct arena;

/* Where and as whom to log in. */
struct ami_conf {
	const char *host; /* name, address, or a unix socket path */
	const char *port;
	const char *user;
	const char *secret;
	/* Login's Events: header; NULL: "off" (the event companion asks
	 * for "call,system,agent" and reads them with ami_next()). */
	const char *events;
};

/* One header of an action. */
struct ami_kv {
	const char *name;
	const char *value;
	size_t vlen;
};

/* One frame of a reply. */
struct ami_msg {
	const char *raw; /* its bytes (arena), our ActionID line removed */
	size_t len;
	struct ami_frame f; /* header offsets into raw */
};

struct ami_reply {
	struct ami_msg *msg; /* the response, then the list's events */
	size_t n;
	int list;      /* the response opened an event list */
	int sent;      /* the action was written */
	size_t got;    /* reply bytes read (0: the server said nothing) */
	int timed_out; /* AMI_SENT_OK: no response before the deadline */
};

/* ami_action() flags. */
#define AMI_SENT_OK 0x01u /* once written, no reply in time is E_OK */

/* An action: "Action: <action>", the nkv headers of kv in order. */
struct ami_action {
	const char *action;
	const struct ami_kv *kv;
	size_t nkv;
	const char *complete; /* the event closing its list, or NULL */
	unsigned flags;	      /* AMI_* */
	/*
	 * Appended to the ActionID ("pbxapi-PID-SEQ" + id_tail), or NULL:
	 * events Asterisk sends later with the action's ActionID (an async
	 * Originate's OriginateResponse) then say whose they are.
	 */
	const char *id_tail;
};

/*
 * Connects, reads the greeting and logs in with Events: off.  Returns
 * E_OK with *out, or E_BACKEND ("AMI connection failed (111): Connection
 * refused", "AMI authentication failed", credentials with CR or LF),
 * E_TIMEOUT or E_PROTO with the text in why.
 */
enum err ami_open(const struct ami_conf *cf, uint64_t deadline,
    struct ami **out, char *why, size_t whylen);

/* Closes the connection (NULL is ignored). */
void ami_close(void *c);

/*
 * Reads without waiting what a kept connection received since its last
 * action and drops those frames (events).  Returns 1 if it is usable, 0
 * if the server closed it or sent garbage.
 */
int ami_usable(void *c);

/*
 * Checks the values of nkv headers: CR, LF or NUL, or a line over 1000
 * bytes, is E_BADREQ with the header named in why.  Returns E_OK else.
 */
enum err ami_check(
    const struct ami_kv *kv, size_t nkv, char *why, size_t whylen);

/*
 * Sends the action with an ActionID and reads its reply into out (in the
 * arena): the response frame and, if it opens an event list, the events
 * up to "EventList: Complete" or act->complete.  The values are checked
 * first (ami_check: nothing is sent).  A lost connection is E_BACKEND
 * ("AMI connection closed"), a deadline E_TIMEOUT, garbage E_PROTO, each
 * with why; out->sent and out->got tell whether the action left and
 * whether any reply came, so the owner knows if a retry on a fresh
 * connection is safe.  With AMI_SENT_OK a deadline passed after the
 * action was written is E_OK with out->timed_out set.  After any error,
 * and after timed_out, the connection must be closed.
 */
enum err ami_action(struct ami *c, struct arena *a,
    const struct ami_action *act, uint64_t deadline, struct ami_reply *out,
    char *why, size_t whylen);

/*
 * Sends the action with ActionID id and reads nothing: its reply comes
 * among the events that ami_next() returns.  Values are checked as for
 * ami_action().  Returns E_OK, E_BADREQ, or E_BACKEND/E_TIMEOUT (why).
 */
enum err ami_send(struct ami *c, struct arena *a, const struct ami_action *act,
    const char *id, uint64_t deadline, char *why, size_t whylen);

/*
 * Reads the next frame (an event, or a response) into *m: m->raw points
 * into the connection's buffer and is valid until the next call on c.
 * Returns E_OK, E_TIMEOUT when nothing whole came before the deadline (a
 * partial frame is kept: call again), E_BACKEND when the server closed
 * the connection, or E_PROTO (why set).
 */
enum err ami_next(struct ami *c, uint64_t deadline, struct ami_msg *m,
    char *why, size_t whylen);

/* Returns the value of header name (case-insensitive) of m, or NULL. */
const char *ami_get(const struct ami_msg *m, const char *name, size_t *vlen);

/* Returns 1 if header name of m equals value (ASCII case-insensitive). */
int ami_is(const struct ami_msg *m, const char *name, const char *value);

/*
 * Returns the reply's bytes, frame after frame, in the arena.  With cut
 * not NULL, the last frame ends after its first line containing cut (the
 * reference read "until a line containing" its terminator).
 */
const char *ami_reply_text(
    struct arena *a, const struct ami_reply *rep, const char *cut, size_t *len);

/*
 * Returns the length of the n bytes at p up to the end of the first line
 * holding needle, or n (how ami_reply_text() cuts its last frame).
 */
size_t ami_cut_after(const char *p, size_t n, const char *needle);

/*
 * Calls fn for every line of a Command reply: the Output: headers of AMI
 * >= 3, or the lines of the Response: Follows text of AMI 2.x (a final
 * newline makes no extra line).  Lines are passed as received.
 */
void ami_command_lines(const struct ami_reply *rep,
    void (*fn)(void *arg, const char *line, size_t n), void *arg);

#endif
