/*
 * The call world of the event-driven doubles (tests/doubles/README): the
 * channels a double holds, the scripted life each one walks (a rule per
 * destination), the event connections subscribed to it, and the control
 * socket tests drive it through.  The world is backend-neutral: it
 * emits normalised events (struct wevent) that the double renders into
 * its backend's wire format (ARI JSON, AMI frames, FreeSWITCH events)
 * and sends to each subscriber it wants them.
 *
 * One lock (world_lock) guards everything; the double's callbacks run
 * under it and must not take a lock the double holds while calling into
 * the world (the doubles take theirs first, the world's second).
 */
#ifndef WORLD_H
#define WORLD_H

#include <stddef.h>
#include <time.h>

#define WCALL_MAX 1024
#define WSUB_MAX  64

/* A channel's state, as the three backends all have it. */
enum wstate { WS_DOWN, WS_RING, WS_UP, WS_GONE };

/* A normalised event (the double renders one into one or more). */
enum wev {
	WE_CREATE,     /* the channel exists (Down) */
	WE_RING,       /* it rings (outbound: the far end alerts) */
	WE_MEDIA,      /* early media (rule "media": true) */
	WE_ANSWER,     /* it is answered (Up) */
	WE_FAIL,       /* the dial failed: busy, noanswer, fail, congestion */
	WE_HANGUP_REQ, /* a hangup was asked (API or script) */
	WE_HANGUP,     /* it is hung up with cause */
	WE_DTMF,       /* a digit */
	WE_HOLD,       /* put on hold */
	WE_UNHOLD,     /* taken off hold */
	WE_BRIDGE,     /* entered bridge */
	WE_UNBRIDGE,   /* left bridge */
	WE_PLAY,       /* a playback started and finished: raw "ID\tMEDIA" */
	WE_INJECT      /* raw bytes from the control socket */
};

/* A scripted life: what happens to a call to dest ("*": any). */
struct wrule {
	char dest[64];
	long ring_ms;	  /* created -> ringing */
	long answer_ms;	  /* ringing -> outcome */
	long hangup_ms;	  /* answered -> far end hangs up (0: never) */
	char outcome[16]; /* answer busy noanswer fail congestion */
	int cause;	  /* Q.850; 0: the outcome's own */
	int media;	  /* early media before the outcome */
};

struct wcall {
	char id[96]; /* Uniqueid / channel id / Unique-ID */
	char name[160];
	char dest[64];
	char cid_num[64], cid_name[64];
	char ctx[64];
	char exten[64];	 /* the dialplan extension shown, or "": dest */
	char app[64];	 /* the Stasis app (ARI), or "" */
	char aid[64];	 /* the Originate's ActionID (AMI), or "" */
	char bridge[96]; /* the bridge it is in, or "" */
	char digit;	 /* the last DTMF digit */
	int incoming, held, cause, started, step;
	enum wstate state;
	struct wrule rule;
	long due;	   /* monotonic ms of the next step, or -1 */
	unsigned long seq; /* creation order */
	time_t created;	   /* wall clock, for the wire's timestamps */
	long created_ms;   /* monotonic ms */
};

struct wevent {
	enum wev type;
	const struct wcall *c; /* NULL for WE_INJECT */
	const char *raw;       /* WE_INJECT */
	size_t rawlen;
};

/* A growing NUL-terminated string. */
struct wbuf {
	char *p;
	size_t len, cap;
};

void wb_add(struct wbuf *b, const char *s, size_t n);
void wb_adds(struct wbuf *b, const char *s);
void wb_printf(struct wbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included (UTF-8 passed through). */
void wb_json(struct wbuf *b, const char *s);

/* What a double gives the world. */
struct wdriver {
	const char *who; /* "ari", "ami", "esl" */
	/*
	 * Renders ev: calls put(ctx, name, payload, n) for each wire event
	 * in order (name is the wire event's type, for the log).
	 */
	void (*render)(const struct wevent *ev,
	    void (*put)(void *, const char *, const char *, size_t), void *ctx);
	/*
	 * Sends one rendered event to a subscriber (its fd and the arg it
	 * subscribed with) if it wants it.  Returns -1 to drop it.
	 */
	int (*send)(int fd, const char *arg, const char *name,
	    const struct wcall *c, const char *payload, size_t n);
	/*
	 * Answers a control command the world does not know (line without
	 * its newline) into reply; returns 0, or -1 if unknown.  Optional.
	 */
	int (*command)(const char *line, struct wbuf *reply);
	/* The channel name a new call to dest gets (into name). */
	void (*name)(const struct wcall *c, char *name, size_t size);
};

/*
 * Starts the world: events logged as JSON lines to logpath (NULL: none),
 * the control socket at ctlpath (NULL: none; "@x" is the abstract name
 * x).  Dies if the socket cannot be bound.
 */
void world_init(
    const struct wdriver *d, const char *logpath, const char *ctlpath);

void world_lock(void);
void world_unlock(void);

/* The calls (under the lock): *n set to their count. */
struct wcall *world_calls(size_t *n);

/* The live call id, or NULL (under the lock). */
struct wcall *world_find(const char *id);

/* Replaces the rules of source src (1..7) by the JSON texts. */
void world_rules(int src, const char *const *json, size_t n);

/* Whether the world has rules or calls: lists answer from it. */
int world_active(void);

/* Whether a rule matches dest (taking the lock). */
int world_has_rule(const char *dest);

/*
 * Creates an outbound call to dest (id NULL: one is made up), not yet
 * walking its life: world_start() starts it once the API reply is out,
 * so that its events follow the reply as on a real backend.  Copies the
 * call's id into idout.  Returns 0, or -1 (a duplicate id, or full).
 */
int world_originate(const char *dest, const char *id, const char *cid_num,
    const char *cid_name, const char *app, const char *aid, char *idout,
    size_t idsize);
void world_start(const char *id);

/*
 * The API acting on a call (taking the lock).  Return 0, or -1 if the
 * call is not live.
 */
int world_hangup(const char *id, int cause);
int world_dtmf(const char *id, const char *digits);
int world_hold(const char *id, int on);

/* A playback of media on id (its started and finished events). */
int world_play(const char *id, const char *playback, const char *media);

/* Puts id into bridge (NULL or "": out of its bridge).  Same returns. */
int world_bridge(const char *id, const char *bridge);

/* Whether id was a call of the world that is gone now (taking the lock). */
int world_gone(const char *id);

/*
 * Subscribes the event connection fd with arg (copied) under tag (the
 * double's connection id).  Returns 0, or -1 when full.
 */
int world_sub(int fd, const char *tag, const char *arg);

/*
 * world_sub with the lock held: a double that writes its own reply (the
 * websocket's 101, AMI's login response) under the lock and subscribes
 * before unlocking is sure no event goes out before that reply, nor is
 * missed after it.
 */
int world_sub_locked(int fd, const char *tag, const char *arg);

/* Unsubscribes tag (its fd is the caller's to close). */
void world_unsub(const char *tag);

/* Sends a WE_INJECT event's raw bytes as the control's inject does
 * (under the lock). */
void world_inject(const struct wevent *ev);

/* Whether new connections are refused now ("refuse N_ms"). */
int world_refusing(void);

/* Q.850 cause: Asterisk's text, FreeSWITCH's name. */
const char *world_cause_txt(int cause);
const char *world_cause_name(int cause);
/* The cause of a FreeSWITCH name or a number; def if neither. */
int world_cause_parse(const char *s, int def);

/* Monotonic milliseconds. */
long world_ms(void);

#endif
