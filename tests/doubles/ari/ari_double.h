/*
 * ari_double: what its files share (usage at the top of main.c).
 *
 *	main.c		the state, the control file, the listener, main()
 *	util.c		strings, files, time and JSON text
 *	conn.c		a connection: requests, the request log, faults
 *	rest.c		the captures: replies, auth and routing
 *	channels.c	the stateful /ari/channels family
 *	live.c		the call world's events (lib/world.h)
 *	golden.c	golden mode: recorded connections replayed
 */
#ifndef ARI_DOUBLE_H
#define ARI_DOUBLE_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "dbl.h"

#define HEAD_MAX    (64 * 1024)
#define BODY_MAX    (1024 * 1024)
#define REPLY_MAX   (256 * 1024 * 1024)
#define CHAN_MAX    4096
#define FILE_MAX    (64 * 1024 * 1024)
#define GOLDEN_WAIT 120 /* seconds a replayed connection may last */

struct arena;
struct pv;

struct opts {
	int port;
	const char *port_file, *log, *fixtures, *control, *golden;
	const char *user, *secret, *fault, *world;
	long lifetime, channels;
};

struct fixture {
	const char *name, *method, *path; /* path with its query */
	const char *http;		  /* the raw response */
	size_t len;
};

struct step {
	size_t need; /* request heads the client must have sent */
	const char *data;
	size_t len; /* 0 with data NULL: close */
};

struct gconn {
	struct step *steps;
	size_t nsteps;
};

struct gcase {
	const char *id;
	int down; /* ari_down or asterisk_stopped */
	struct gconn *conns;
	size_t nconns;
};

/* A golden connection: the n-th, the idx-th of case id. */
struct gjob {
	int fd;
	unsigned long n;
	const struct gcase *gc;
	size_t idx;
	char id[256];
};

/* What the control file says (and the options it overrides). */
struct ctl {
	char fault[32];
	long drip_ms, drip_bytes, cut, huge, channels;
	char gcase[256];
};

struct request {
	char method[16];
	char *target, *path, *query; /* query: after '?', or "" */
	const char *auth;	     /* Authorization value, or NULL */
	int close; /* the client wants the connection closed */
	char *raw; /* head and body as received */
	size_t rawlen, headlen;
};

struct conn {
	int fd;
	unsigned long n;
	char start[128]; /* a call to start once the reply is out */
	struct buf in;
	struct buf out;
	struct request q;
};

/* The state of the double; lock guards what the threads share. */
struct ari_state {
	struct opts opt;
	struct arena *arena; /* fixtures and cases, for the lifetime */
	pthread_mutex_t lock;
	struct ctl cur;	    /* the control file as last read */
	char cur_case[256]; /* golden: the current case */
	size_t used;	    /* connections of the current golden case */
	unsigned long nconn;
	int logfd;     /* --log FILE, or -1 */
	long cl_extra; /* length-mismatch: Content-Length past the body */
	struct timespec t0;
};

extern struct ari_state S;

/* main.c */

/* Prints "ari_double: " and the message to stderr, exits 2. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/*
 * Re-reads the control file into S.cur; a new golden case resets
 * S.used.  Called with S.lock held.
 */
void ctl_read(void);

/* util.c */

/* Copies n bytes of s into dst (size bytes), cut and NUL-terminated. */
void copyn(char *dst, size_t size, const char *s, size_t n);

/* Seconds since the start. */
double elapsed(void);

/*
 * Reads the file at path (at most FILE_MAX bytes) into a NUL-terminated
 * malloc'd buffer and sets *len.  Returns it, or NULL if it cannot be
 * opened.
 */
char *slurp(const char *path, size_t *len);

/* Appends the bytes as a JSON string of code points U+0000-U+00FF. */
void jstr(struct buf *b, const char *s, size_t n);

/* Appends s JSON-escaped as Asterisk writes strings (UTF-8 raw). */
void jesc(struct buf *b, const char *s);

/* The string member key of obj (in S.arena), or NULL if none or null. */
const char *pv_s(const struct pv *obj, const char *key);

/* The n bytes of JSON at s, decoded into S.arena; dies if invalid. */
struct pv *decode(const char *s, size_t n);

/* conn.c */

/*
 * Percent-decodes the query parameter key into dst (size bytes).
 * Returns 1, or 0 if it is absent.
 */
int qparam(const char *query, const char *key, char *dst, size_t size);

/* Serves the requests of a connection (a struct conn), then frees it. */
void *serve_conn(void *arg);

/* rest.c */

/* Loads the captures of S.opt.fixtures; dies if one cannot be read. */
void load_fixtures(void);

/* The capture name; dies if there is none. */
const struct fixture *fixture(const char *name);

/*
 * The capture answering method + target (path with query) by template:
 * the path segments equal, the third (an id) free; an exact match
 * (query included) first.  Returns NULL if none.
 */
const struct fixture *fx_match(
    const char *method, const char *target, const char *path);

/*
 * Sets c->out to the reply of capture f with body (n bytes; NULL: the
 * capture's own), Date now, Connection only when closing, and
 * Content-Length past the body by extra + S.cl_extra.  Returns 0.
 */
int respond(struct conn *c, const struct fixture *f, const char *body, size_t n,
    long extra);

/* Builds the reply to c->q into c->out.  Under the lock. */
void route(struct conn *c);

/*
 * 0 if the request carries the configured credentials (Basic, else
 * api_key); else the 401 capture is in c->out and -1.  Under the lock.
 */
int auth_check(struct conn *c);

/* conn.c: the value of header name in a request head, or NULL. */
const char *header(const char *head, const char *name);

/* events.c */

/*
 * GET /ari/events: the Stasis websocket.  Checks the credentials and
 * app, answers 101 as Asterisk 22 does, sends the captured events
 * (shared/fixtures/ari/events.jsonl) as text frames with the client's
 * app, and holds the socket until the client closes it.  A refusal is
 * left in c->out.  Returns 1 if the socket was taken (close it), 0.
 */
int events_serve(struct conn *c);

/* One unmasked websocket text frame.  Returns 0, or -1. */
int ws_send_text(int fd, const char *p, size_t n);

/* live.c */

/* Starts the call world (lib/world.h) with ARI's events. */
void live_init(void);

/* The live channel id's Channel JSON (malloc'd), or NULL. */
char *live_chan_json(const char *id);

/*
 * Whether the websockets are stalled now (control "stall MS"): no event
 * goes out and no ping or close is answered.  Under world_lock().
 */
int live_stalled_locked(void);

/* channels.c */

/* Re-seeds n Stasis channels if n differs from the last seed (locked). */
void chan_sync(long n);

/*
 * The /ari/channels family, rest being the path after "/ari/channels"
 * ("" or "/..."): the reply into c->out.  Under the lock.  Returns 0.
 */
int channels(struct conn *c, const char *rest);

/* golden.c */

/* Loads the golden cases of S.opt.golden; dies if it cannot be read. */
void load_golden(void);

/* The golden case id, or NULL. */
const struct gcase *gcase_find(const char *id);

/* Replays a golden connection (a struct gjob), then frees it. */
void *golden_conn(void *arg);

#endif
