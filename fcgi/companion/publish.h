/*
 * The publisher: hands every tenant's journal events to nginx's nchan
 * module, which holds the SSE and WebSocket subscribers of /events/TENANT
 * so that no pbxapi process holds a client's connection (see
 * docs/operations.md, "Pushing events").
 *
 * Sources' threads queue a message with pub_push(), which never blocks: a
 * full queue drops the message and counts it.  A thread of its own sends
 * the queue in order, each message an HTTP/1.1 POST /pub/CHANNEL with
 * X-EventSource-Event: TYPE on one kept connection to events.publish (a
 * unix socket nginx listens on), every step under a deadline.  When the
 * connection fails the message stays at the head of the queue and is
 * sent again once a new connection is made, after a back-off from 100 ms
 * doubling to 5 s: a restart of nginx loses nothing the queue could
 * hold (a message whose reply was lost may arrive twice: its journal id
 * says so).  nchan refusing a message (not 2xx) drops it, counted.
 */
#ifndef PBXAPI_PUBLISH_H
#define PBXAPI_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

struct publisher;

struct pub_stats {
	uint64_t published; /* accepted by nchan (201, 202) */
	uint64_t dropped;   /* not queued: the queue was full */
	uint64_t refused;   /* nchan answered with an error status */
	uint64_t errors;    /* connections that failed */
	size_t queued;	    /* waiting now */
	int connected;	    /* the kept connection is open */
};

/*
 * Makes a publisher to target ("unix:/run/pbxapi-nchan/nchan.sock") keeping at
 * most cap messages.  Returns it, or NULL with the reason in err.
 */
struct publisher *pub_new(
    const char *target, size_t cap, char *err, size_t errlen);

/* Starts its thread.  Returns 0, or -1 with the reason in err. */
int pub_start(struct publisher *p, char *err, size_t errlen);

/* Stops and joins the thread (within a second or two), frees p. */
void pub_free(struct publisher *p);

/*
 * Queues body (len bytes, copied) for channel with event type event.
 * Returns 0, or -1 if the queue was full (counted as dropped).
 */
int pub_push(struct publisher *p, const char *channel, const char *event,
    const char *body, size_t len);

void pub_stats(struct publisher *p, struct pub_stats *out);

#endif
