/*
 * ami_double: what its files share (usage at the top of main.c).
 *
 *	main.c		the state, the command line
 *	util.c		memory, time, files, JSON, the listener, the client
 *			buffer, the log and the reply buffer
 *	script.c	scripted mode: fixtures, scenario rules and faults
 *	live.c		the call world's events and the actions on it
 *	golden.c	golden mode: recorded cases replayed
 */
#ifndef AMI_DOUBLE_H
#define AMI_DOUBLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include <yajl_tree.h>

#include "dbl.h"

#define MSG_MAX	    (1024 * 1024) /* client bytes without a message end */
#define EVENTS_FILE "Events_Originate_Hangup.txt"

struct kv {
	const char *k, *v;
};

struct fixture {
	char *name;
	struct kv *h; /* request headers, ActionID dropped */
	size_t nh;
	char *reply;
	size_t rlen;
};

struct rule {
	const char *action; /* NULL: a connection rule; "*": any */
	struct kv *h;
	size_t nh;
	int conn;  /* 0: any */
	int times; /* 0: unlimited; else uses left, -1 when used up */
	const char *reply, *text, *fault, *kind;
	long bytes, chunk, delay_ms, interval_ms;
	int greet;
};

struct client {
	int fd, n;
	char *buf;
	size_t len, cap;
	int logged_in, events_on;
	const char *id; /* ActionID of the message in hand, or NULL */
	double t0;
};

/* A growing reply, NUL-terminated. */
struct out {
	char *p;
	size_t len, cap;
};

/* The state of the double; lock guards what the threads share. */
struct ami_state {
	const char *dir, *user, *secret, *version, *scenario;
	const char *version_arg; /* --version */
	long auth_delay_ms;
	struct fixture *fx;
	size_t nfx;
	struct rule *rules;
	size_t nrules;
	char **events; /* unsolicited event frames */
	size_t nevents;
	FILE *log;
	pthread_mutex_t lock;
	int nconn;
	double start;
};

extern struct ami_state S;

/* util.c */

/* Prints "ami_double: " and the message to stderr, exits 1. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* malloc, realloc and strndup that die when out of memory. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrndup(const char *s, size_t n);

/* Seconds on the monotonic clock. */
double now(void);

/*
 * Reads the file at path into a NUL-terminated malloc'd buffer and sets
 * *n to its length.  Returns it, or NULL if the file cannot be opened.
 */
char *slurp(const char *path, size_t *n);

/*
 * Logs a received message (event NULL) or an event (accept, close) with
 * the bytes at raw as one JSON line into S.log, if there is one.
 */
void log_line(
    const struct client *c, const char *event, const char *raw, size_t n);

/* Returns the value of header name in the message, or NULL (malloc). */
char *header(const char *m, size_t n, const char *name);

/*
 * Waits up to ms for bytes.  Returns 1 if some arrived, 0 on timeout, -1
 * at EOF or error (or past MSG_MAX without a message end).
 */
int client_read(struct client *c, int ms);

/* Length of the first whole message (through its CRLF CRLF), or 0. */
size_t client_msg(const struct client *c);

/* Drops the first n bytes of the client's buffer. */
void client_drop(struct client *c, size_t n);

/* Logs the close, closes the socket and frees the buffer. */
void client_close(struct client *c);

/* Appends n bytes (out_add) or a string (out_adds) to o. */
void out_add(struct out *o, const char *s, size_t n);
void out_adds(struct out *o, const char *s);

/* Copies a reply with its ActionID lines set to id (dropped if NULL). */
void with_id(struct out *o, const char *r, size_t n, const char *id);

/* The string (NULL if none) or integer (def if none) member key of v. */
const char *jstr(yajl_val v, const char *key);
long jnum(yajl_val v, const char *key, long def);

/* The length of a JSON array (0 for anything else). */
size_t jlen(yajl_val a);

/* Element i of a JSON array (NULL past its end). */
yajl_val jat(yajl_val a, size_t i);

/*
 * Binds 127.0.0.1:port (0: any) and writes the port to port_file (if
 * not NULL).  Returns the listening socket; dies if it cannot.
 */
int listen_on(int port, const char *port_file);

/* script.c */

/* Loads the fixtures of dir into S; dies if one it needs is missing. */
void load_fixtures(const char *dir);

/* Loads the scenario file.  Returns 0, or -1 if it cannot be used. */
int load_scenario(const char *path);

/* Accepts scripted connections on lfd until the time end. */
void scripted(int lfd, double end);

/* live.c */

/* Starts the call world (lib/world.h) with AMI's events. */
void live_init(const char *log, const char *ctl);

/*
 * The reply to an action the world answers (Originate of a destination
 * a rule names, Hangup and PlayDTMF of a live call, CoreShowChannels
 * once the world is in use) into o; start gets the id of a call to start
 * once the reply is out ("" if none).  Returns 0, or -1 if the world
 * leaves it to the fixtures.
 */
int live_action(const char *action, const char *m, size_t n, const char *id,
    struct out *o, char *start, size_t ssize);

/* Sends what an answered action leaves to follow its reply (a refused
 * origination's OriginateResponse). */
void live_after_reply(void);

/* golden.c */

/*
 * Serves the AMI side of the golden cases in the file cases, following
 * the case named in the file control, until the time end.
 */
void golden(const char *cases, const char *control, int port,
    const char *port_file, const char *logdir, double end);

#endif
