/*
 * Websocket client (RFC 6455): a protocol client only, it knows nothing
 * of ARI.  It connects (TCP, or TLS through OpenSSL for wss), sends the
 * opening handshake with HTTP Basic auth and checks the server's
 * Sec-WebSocket-Accept, then reads whole messages under a deadline
 * (fragments joined, pings answered with pongs, a close answered with a
 * close) and sends masked frames.  Messages are bounded (WS_MSG_MAX by
 * default): a longer one is refused with close code 1009.  TCP keepalive
 * is on, so a peer that vanished is a read error within about 30 s.
 *
 * Why not libwebsockets: its client is driven by lws_service() and
 * callbacks on a context that owns the connection, its TLS and its
 * timers, which would have to be wrapped back into "read one message by
 * this deadline" for our one-thread-per-source model (event.h) and would
 * bring a second TLS setup and log sink.  What a source needs is one
 * connection, blocking with a deadline, the way drivers/ami.c and esl.c
 * use netio; the framing is a few hundred lines (ws_frame.c), fuzzed.
 *
 * One struct ws is one connection, used by one thread.
 */
#ifndef PBXAPI_WS_H
#define PBXAPI_WS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ws_frame.h"

struct ws;

struct ws_conf {
	const char *host; /* name or address (no brackets) */
	const char *port;
	const char *path; /* "/ari/events?app=x", already encoded */
	const char *user; /* Basic auth; NULL: no Authorization header */
	const char *secret;
	int tls;	    /* wss: TLS, the peer's certificate verified */
	const char *cafile; /* TLS: CA bundle; NULL or "": the system's */
	long timeout_ms;    /* connect, TLS and handshake together */
	size_t max;	    /* message ceiling, 0: WS_MSG_MAX */
};

/*
 * Connects and shakes hands.  Returns E_OK with *out set, or with a
 * message in errbuf: E_BACKEND (refused, unreachable, TLS failure, the
 * handshake answered with another status than 101: "websocket handshake
 * refused: HTTP/1.1 401 Unauthorized"), E_TIMEOUT (past timeout_ms),
 * E_BADREQ (a request head over 8 KiB), E_PROTO (a 101 without the right
 * Upgrade, Connection or Sec-WebSocket-Accept).  A stop the thread
 * watches (net_watch) ends it within NET_WATCH_MS as E_BACKEND
 * ("Operation canceled").
 */
enum err ws_connect(
    const struct ws_conf *cf, struct ws **out, char *errbuf, size_t errlen);

/*
 * Reads the next text or binary message until deadline (net_deadline()).
 * Pings are answered and pongs dropped on the way.  Returns E_OK with *m
 * set (data valid until the next call on w), E_TIMEOUT if no whole
 * message came by the deadline (w stays usable: a partial message is
 * kept), E_BACKEND when the peer closed (its close frame answered;
 * errbuf has its code and reason) or the connection failed, E_PROTO
 * for a protocol violation or E_TOOLARGE for a message over the ceiling
 * (a close frame with the code was sent).  After an error other than
 * E_TIMEOUT only ws_close() is left.
 */
enum err ws_read(struct ws *w, uint64_t deadline, struct ws_msg *m,
    char *errbuf, size_t errlen);

/*
 * Sends one frame (text, binary, ping) of n bytes, at most the ceiling,
 * masked.  Returns E_OK, or E_BACKEND/E_TIMEOUT with the reason.
 */
enum err ws_send(struct ws *w, enum ws_op op, const void *p, size_t n,
    uint64_t deadline, char *errbuf, size_t errlen);

/*
 * Returns the milliseconds since bytes last came from the server (a
 * pong included): for a keepalive that pings an idle connection.
 */
long ws_idle_ms(const struct ws *w);

/*
 * Sends a close frame (1000) if the connection is still good, waiting
 * at most a second, and frees w.  NULL is ignored.
 */
void ws_close(struct ws *w);

/*
 * Computes the Sec-WebSocket-Accept of key (RFC 6455 §4.2.2): base64 of
 * SHA-1 of key and the protocol's GUID; out has room for 29 bytes.
 */
void ws_accept_of(const char *key, char out[29]);

#endif
