/*
 * The AMI driver: one persistent, logged-in connection per worker and
 * tenant (the worker's CONN_AMI slot), opened lazily, dropped on any
 * error, EOF or timeout and replaced transparently once per request when
 * a pooled connection is found dead.  Every write and read runs under the
 * per-operation deadline (backend_timeout).
 *
 * One action is in flight per connection.  Each action carries an
 * ActionID; a frame with another ActionID is stale and skipped, an event
 * before the response is unsolicited and skipped, and when the server
 * does not echo ActionIDs (old servers, recorded transcripts) the
 * response is the first Response frame after the action.  An event list
 * ("EventList: start", or "... will follow" on Asterisk <= 11) is read up
 * to its "EventList: Complete" or named closing event, no further: there
 * are no idle waits.  The ActionID line we added is removed from what the
 * caller sees, so replies look like replies to the reference's frames.
 */
#ifndef PBXAPI_AMI_H
#define PBXAPI_AMI_H

#include <stddef.h>

#include "ami_frame.h"
#include "err.h"

struct arena;
struct req;

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
	int timed_out; /* AMI_SENT_OK: no response before the deadline */
};

/* ami_action() flags. */
#define AMI_SENT_OK 0x01u /* once written, no reply in time is E_OK */

/*
 * Sends "Action: <action>" with the nkv headers of kv (in order) plus an
 * ActionID, and reads the reply: the response frame and, if it opens an
 * event list, the events up to "EventList: Complete" or the event called
 * complete (may be NULL).  Every value is checked first: CR, LF or NUL,
 * or a line over 1000 bytes, is E_BADREQ and nothing is sent.  Connect
 * and login errors are E_BACKEND with the reference's text ("AMI
 * connection failed (111): Connection refused"); a lost connection is
 * E_BACKEND, a deadline E_TIMEOUT, garbage E_PROTO; the message is set
 * with req_error().  With AMI_SENT_OK, a deadline passed after the action
 * was written gives E_OK with timed_out set (and the connection dropped).
 */
enum err ami_action(struct req *r, const char *action, const struct ami_kv *kv,
    size_t nkv, const char *complete, unsigned flags, struct ami_reply *out);

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
 * Calls fn for every line of a Command reply: the Output: headers of AMI
 * >= 3, or the lines of the Response: Follows text of AMI 2.x (a final
 * newline makes no extra line).  Lines are passed as received.
 */
void ami_command_lines(const struct ami_reply *rep,
    void (*fn)(void *arg, const char *line, size_t n), void *arg);

#endif
