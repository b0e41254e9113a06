/*
 * esl_double: what its files share (usage at the top of main.c).
 *
 *	main.c		the listener, a process per connection, the clock
 *	scenario.c	the scenario file: replies and faults
 *	conn.c		a connection: packets in, the log, the loop
 *	reply.c		packets out, under a fault
 *	api.c		the commands and the APIs they call
 *	chan.c		show channels, uuid_* and canned API replies
 *	live.c		the call world's events and the APIs on it
 */
#ifndef ESL_DOUBLE_H
#define ESL_DOUBLE_H

#include <stddef.h>

#include "dbl.h"

#define HEAD_MAX  (1024 * 1024)
#define BODY_MAX  (16 * 1024 * 1024)
#define LINE_MAX_ 4096

#define NOTICE                                                         \
	"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n" \
	"Disconnected, goodbye.\nSee you at ClueCon! "                 \
	"http://www.cluecon.com/\n"

struct opts {
	const char *portfile, *password, *logfile, *scenario, *world;
	int port, lifetime, auth_timeout;
};

struct fault {
	char mode[32];
	char arg[64];
};

struct packet {
	char *raw;
	size_t rawlen;
	char *cmd; /* first line */
	char *hname[64], *hval[64];
	size_t nh;
	char *body;
	size_t blen;
};

struct conn {
	int fd, n, authed, events;
	const struct opts *o;
	char *buf;
	size_t len, cap;
};

/* main.c */

/* Seconds since the epoch, to the microsecond. */
double now(void);

/* scenario.c */

/*
 * Reads the scenario line that starts with key into out (outlen bytes):
 * for "fault" the last one whose scope matches the connection or cmd
 * (the text after the scope), else the last one (the text after key).
 * Returns 1 if there is one, else 0.
 */
int scenario(const struct conn *c, const char *key, const char *cmd, char *out,
    size_t outlen);

/*
 * Calls fn(arg, text) for every scenario line that starts with key, in
 * file order, text being what follows the key.  Returns how many.
 */
int scenario_each(const struct conn *c, const char *key,
    void (*fn)(void *, const char *), void *arg);

/* The fault for this connection and command, mode "" if none. */
void fault_for(const struct conn *c, const char *cmd, struct fault *f);

/* conn.c */

/* Serves a connection from the greeting to its end. */
void serve(struct conn *c);

/* reply.c */

/* Writes all n bytes; ends the process (_exit 0) if it cannot. */
void send_all(int fd, const char *s, size_t n);

/* A malloc'd string as printf makes it; aborts when out of memory. */
char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* A text/event-plain packet of event name (malloc'd). */
char *event_plain(const char *name, const char *extra, const char *body);

/*
 * Sends a command/reply with Reply-Text text, or an api/response with
 * body, under the fault f; may not return (close, stall).
 */
void command_reply(struct conn *c, const char *text, const struct fault *f);
void api_response(struct conn *c, const char *body, const struct fault *f);

/* api.c */

/* Handles one packet; returns 0 to go on, -1 to close. */
int handle(struct conn *c, const struct packet *p);

/* live.c */

/* Starts the call world (lib/world.h) with FreeSWITCH's events. */
void live_init(const struct opts *o);

/*
 * Subscribes the connection to the world's events (event json|plain);
 * with reply, the world sends that command/reply first, so that no event
 * precedes it nor is missed after it.  Returns 0, or -1 (nothing sent).
 */
int live_subscribe(const struct conn *c, const char *format, const char *names,
    const char *reply);
void live_unsubscribe(const struct conn *c);

/*
 * originate's output when a rule names its destination ("+OK uuid\n",
 * malloc'd; the call starts at live_start(), once the reply is out), or
 * NULL.
 */
char *live_originate(const struct conn *c, const char *args);
void live_start(void);

/* uuid_kill, uuid_send_dtmf, uuid_hold, uuid_exists of a live call. */
char *live_uuid(const char *cmd, const char *args);

/* The live calls as rows of show channels (malloc'd), or NULL. */
char *live_rows(void);

/* chan.c */

/*
 * The output (malloc'd) of api cmd with args when it is a reply line's
 * API, show channels or a uuid_* API; NULL for the others.
 */
char *chan_api(const struct conn *c, const char *cmd, const char *args);

#endif
