/*
 * Websocket framing (RFC 6455 §5), the client's side: the frames a
 * server sends are parsed into messages (fragments joined, control
 * frames handed out between them), and the frames a client sends are
 * built masked.  No sockets here, so it is tested and fuzzed alone
 * (tests/unit/t_ws.c, tests/fuzz/fuzz_ws_frame.c); drivers/ws.c does
 * the I/O.
 *
 * Every violation is an error with the close code RFC 6455 §7.4.1 gives
 * for it: 1002 (protocol: a masked frame from the server, reserved bits
 * or opcodes, a control frame fragmented or over 125 bytes, a
 * continuation out of place), 1007 (a text message that is not UTF-8),
 * 1009 (a message over the ceiling, refused as soon as its length is
 * known, before its bytes are read).
 */
#ifndef PBXAPI_WS_FRAME_H
#define PBXAPI_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define WS_MSG_MAX     (1024 * 1024) /* default message ceiling, bytes */
#define WS_HEAD_MAX    14	     /* a frame header: 2 + 8 + 4 (mask) */
#define WS_CONTROL_MAX 125	     /* a control frame's payload */
#define WS_RX_MIN      (16 * 1024)   /* the raw buffer, at least */

enum ws_op {
	WS_CONT = 0x0,
	WS_TEXT = 0x1,
	WS_BINARY = 0x2,
	WS_CLOSE = 0x8,
	WS_PING = 0x9,
	WS_PONG = 0xA
};

/* One frame header as it came. */
struct ws_frame {
	int fin;
	enum ws_op op;
	int masked;
	uint8_t mask[4];
	uint64_t len; /* payload bytes */
	size_t head;  /* header bytes */
};

/*
 * One message: a whole text or binary message, or a control frame.
 * data stays valid until the next ws_rx call.
 */
struct ws_msg {
	enum ws_op op;
	const char *data;
	size_t len;
};

/*
 * The receiving side: bytes as they came and the message being joined.
 * Bounded: the raw buffer holds at most one frame (max + WS_HEAD_MAX,
 * or WS_RX_MIN for the handshake's reply) and the joined message at most
 * max bytes.
 */
struct ws_rx {
	uint8_t *in;
	size_t len, cap, off; /* bytes held, storage, bytes parsed */
	char *msg;	      /* fragments joined so far */
	size_t mlen, mcap;
	enum ws_op mop; /* the fragmented message's opcode, WS_CONT none */
	size_t max;
	const char *err; /* why the stream was refused */
	int code;	 /* the close code to send for it */
};

/*
 * Parses the frame header at p (n bytes).  Returns the header's length
 * with *f filled, 0 if more bytes are needed, or -1 with *err set for a
 * header no server may send (it does not check the payload length
 * against a ceiling: ws_rx_next does).  Pure.
 */
int ws_frame_head(
    const uint8_t *p, size_t n, struct ws_frame *f, const char **err);

/*
 * Writes a client frame (FIN set, masked with mask) of n payload bytes
 * to out, which has room for n + WS_HEAD_MAX bytes.  Returns the frame's
 * length.  Pure.
 */
size_t ws_frame_build(enum ws_op op, const void *p, size_t n,
    const uint8_t mask[4], uint8_t *out);

/* Starts a receiver with a message ceiling of max bytes (0: default). */
void ws_rx_init(struct ws_rx *rx, size_t max);

/* Frees its storage. */
void ws_rx_free(struct ws_rx *rx);

/*
 * Returns where the next read may write (*n bytes, at least 1 unless the
 * receiver holds a whole frame it has not parsed yet: call ws_rx_next
 * first).  Moves unparsed bytes to the front, which ends the validity of
 * the last message's data.
 */
uint8_t *ws_rx_space(struct ws_rx *rx, size_t *n);

/* Records that n bytes were written at ws_rx_space(). */
void ws_rx_wrote(struct ws_rx *rx, size_t n);

enum ws_rx_rc { WS_RX_MORE, WS_RX_MSG, WS_RX_ERR };

/*
 * Parses what was received.  Returns WS_RX_MSG with *m filled (a whole
 * text or binary message, or a control frame, unmasked), WS_RX_MORE if
 * more bytes are needed, or WS_RX_ERR with rx->err and rx->code set (the
 * receiver stays in error).
 */
enum ws_rx_rc ws_rx_next(struct ws_rx *rx, struct ws_msg *m);

/*
 * Returns the status code and reason of a close frame's payload (n
 * bytes): 1005 and "" when it has none.  *reason points into p.
 */
int ws_close_code(const char *p, size_t n, const char **reason, size_t *rlen);

#endif
