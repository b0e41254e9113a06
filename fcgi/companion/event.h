/*
 * The event companion's model: what every backend's event stream (the
 * ARI websocket, an AMI login with events on, the FreeSWITCH event
 * socket) is normalised into, and how a source hands it over.
 *
 * A source is a function of a tenant's settings and a sink: it connects,
 * subscribes, rebuilds the tenant's state from the backend's list (ARI
 * GET /channels, AMI CoreShowChannels, ESL "show channels as json"),
 * then turns each backend event into zero or more struct ev and gives
 * them to the sink, until its connection fails or it is told to stop.
 * It blocks, with a deadline on every step; the companion runs each
 * source on a thread of its own and restarts it with a back-off.  A
 * source knows nothing of the state store, the journal or publishing;
 * the sink knows nothing of protocols.
 *
 * Strings in a struct ev point into the source's buffers and live until
 * the sink's callback returns: the sink copies what it keeps.  NULL
 * means "this event does not say" (a field keeps its previous value in
 * the state), "" means "empty".
 */
#ifndef PBXAPI_EVENT_H
#define PBXAPI_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct tenant;

enum ev_type {
	EV_CREATED,	 /* a channel exists (state: its first state) */
	EV_STATE,	 /* its state changed (ringing, up ...) */
	EV_DIAL,	 /* it dials a peer (peer, dialstatus "" at start) */
	EV_DIAL_END,	 /* the dial ended (dialstatus ANSWER, BUSY ...) */
	EV_ANSWER,	 /* answered (also implied by EV_STATE up) */
	EV_DTMF,	 /* a digit (digit, duration_ms) */
	EV_HOLD,	 /* put on hold */
	EV_UNHOLD,	 /* taken off hold */
	EV_BRIDGE_ENTER, /* entered bridge */
	EV_BRIDGE_LEAVE, /* left bridge */
	EV_HANGUP,	 /* hangup requested or done (cause, cause_txt) */
	EV_DESTROYED,	 /* the channel is gone (cause) */
	EV_UPDATE,	 /* caller id, dialplan, variables: snapshot only */
	EV_PEER,	 /* an endpoint's state (peer, peer_state) */
	EV_QUEUE_MEMBER, /* a queue member's state (queue, member ...) */
	EV__COUNT
};

/* Channel states, as ARI names them (the AMI and ESL ones map here). */
enum ev_state {
	ST_UNKNOWN,
	ST_DOWN,
	ST_RSRVD,
	ST_OFFHOOK,
	ST_DIALING,
	ST_RING,    /* incoming, ringing here */
	ST_RINGING, /* outgoing, ringing there */
	ST_UP,
	ST_BUSY,
	ST_DIALING_OFFHOOK,
	ST_PRERING,
	ST__COUNT
};

/*
 * What is known of one channel: every field any dialect's live answer
 * needs (ARI's Channel, elastix activecall's CoreShowChannel, WCS's
 * Call).  An event carries the snapshot its backend sent.
 */
struct ev_chan {
	const char *id;	  /* ARI id, AMI Uniqueid, ESL Unique-ID */
	const char *name; /* PJSIP/200-00000001, sofia/internal/200@... */
	enum ev_state state;
	const char *caller_num, *caller_name;
	const char *connected_num, *connected_name;
	const char *accountcode;
	const char *context, *exten;
	long priority; /* -1: not said */
	const char *app, *app_data;
	const char *linkedid; /* the call it belongs to (AMI Linkedid) */
	const char *bridge;   /* the bridge it is in, "" none */
	const char *language;
	int64_t created_ms; /* wall clock, ms since the epoch; 0: not said */
};

struct ev {
	enum ev_type type;
	int64_t ts_ms;	     /* when the backend says it happened, 0: unknown */
	const char *backend; /* "ari", "ami", "esl" */
	struct ev_chan chan; /* the channel (absent for EV_PEER ...) */

	const char *peer;	/* EV_DIAL: the dialled channel's id;
				   EV_PEER: the endpoint ("PJSIP/200") */
	const char *dialstatus; /* EV_DIAL_END: ANSWER, BUSY, NOANSWER ... */
	const char *digit;	/* EV_DTMF */
	long duration_ms;	/* EV_DTMF, -1: not said */
	int cause;		/* EV_HANGUP, EV_DESTROYED: Q.850, -1 */
	const char *cause_txt;
	const char *peer_state; /* EV_PEER: "online", "offline" ... */
	const char *queue, *member, *member_state; /* EV_QUEUE_MEMBER */
};

/* How ep_set() changes a listed value (EP_INC, EP_DEC: a count, by 1). */
enum ev_ep_how { EP_SET, EP_ADD, EP_DEL, EP_INC, EP_DEC };

/*
 * Where a source delivers.  begin_sync() opens a rebuild: every channel
 * the source then gives as EV_CREATED (with its snapshot) before
 * end_sync() is the backend's whole list, and channels not in it are
 * gone.  event() delivers one event in the backend's order.  down()
 * says the connection was lost (the state ages from now).  The calls
 * come from the source's thread.
 *
 * The endpoint listing (optional: a sink without it keeps none, a source
 * without one never calls it).  An AMI source lists the endpoints as
 * the workers' sippeers does (PJSIPShowEndpoints or Sippeers) and hands
 * over the reply's text exactly as a worker would read it (the frames
 * without the ActionID, the last one cut after its closing line):
 * ep_list() replaces the listing (text NULL: it was over the source's
 * limits, and none is kept); ep_set() changes the value of the
 * line "key: value" in the block of endpoint (its "ObjectName") as an
 * event said (how: set it, append value unless it holds it, or remove
 * value from it, or count one up or down), and does nothing where the
 * listing has no such line.
 * ep_refresh_ms (state.peers_refresh) bounds how stale what no event
 * says (ActiveChannels, a changed transport) may get.
 */
struct ev_sink {
	void *ctx;
	void (*begin_sync)(struct ev_sink *s);
	void (*end_sync)(struct ev_sink *s);
	void (*event)(struct ev_sink *s, const struct ev *e);
	void (*down)(struct ev_sink *s, const char *why);
	void (*ep_list)(struct ev_sink *s, const char *text, size_t len);
	void (*ep_set)(struct ev_sink *s, const char *endpoint, const char *key,
	    const char *value, enum ev_ep_how how);
	long ep_refresh_ms; /* list again at most this often, 0: never */
};

/*
 * A source: connects to the tenant's backend, rebuilds, delivers events
 * to sink, and returns when the connection fails (E_BACKEND, E_TIMEOUT,
 * E_PROTO ... with the reason in errbuf) or when *stop becomes nonzero
 * (E_OK).  Every blocking step has a deadline short enough to see *stop
 * within a second.
 */
typedef enum err (*ev_source_fn)(const struct tenant *t, struct ev_sink *sink,
    const _Atomic int *stop, char *errbuf, size_t errlen);

/* Returns the name of a type ("created", "state" ...). */
const char *ev_type_name(enum ev_type t);

/* Returns ARI's name of a state ("Up", "Ringing" ...). */
const char *ev_state_name(enum ev_state s);

/* Parses ARI's (and AMI's ChannelStateDesc) state names; ST_UNKNOWN. */
enum ev_state ev_state_parse(const char *s);

/*
 * How many bytes of s are kept of an event string: at most LIM_EV_STR,
 * never cutting a UTF-8 character (the state store's copies and the
 * journal's JSON alike, so a caller's multi-kilobyte display name does
 * not ride every event).
 */
size_t ev_str_len(const char *s);

#endif
