/*
 * Websocket framing (drivers/ws_frame.c): frame headers (every length
 * form, every refusal), client frames built masked (RFC 6455 §5.7),
 * messages from a stream whole and fed one byte at a time (fragments
 * joined, control frames between them), every refusal with its close
 * code, close payloads, and the handshake's accept key.  The client
 * over sockets is t_ws.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testlib.h"
#include "ws.h"

/* Stops the test: the harness cannot go on. */
static void __attribute__((noreturn, format(printf, 1, 2)))
bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(255);
}

/* ---- framing ---- */

/* Feeds n bytes to rx, step bytes at a time (0: all). */
static void
feed(struct ws_rx *rx, const uint8_t *p, size_t n)
{
	size_t room;
	uint8_t *dst = ws_rx_space(rx, &room);

	if (room < n)
		bail("rx has room for %zu, not %zu", room, n);
	memcpy(dst, p, n);
	ws_rx_wrote(rx, n);
}

static void
heads(void)
{
	struct ws_frame f;
	const char *err = NULL;
	uint8_t b[16] = { 0x81, 0x05 };

	is_int(ws_frame_head(b, 1, &f, &err), 0, "one byte: more");
	is_int(ws_frame_head(b, 2, &f, &err), 2, "short text head");
	is_int((long long)f.len, 5, "length 5");
	ok(f.fin && f.op == WS_TEXT && !f.masked, "fin, text, unmasked");
	b[1] = 126;
	is_int(ws_frame_head(b, 3, &f, &err), 0, "16-bit length: more");
	b[2] = 0x01;
	b[3] = 0x00;
	is_int(ws_frame_head(b, 4, &f, &err), 4, "16-bit length");
	is_int((long long)f.len, 256, "length 256");
	b[2] = 0;
	b[3] = 100;
	is_int(ws_frame_head(b, 4, &f, &err), -1, "16-bit length under 126");
	b[1] = 127;
	memset(b + 2, 0, 8);
	b[9] = 0x10;
	is_int(ws_frame_head(b, 10, &f, &err), -1, "64-bit length 16: refused");
	b[2] = 0x80;
	is_int(ws_frame_head(b, 10, &f, &err), -1, "64-bit top bit: refused");
	b[2] = 0;
	b[7] = 1;
	is_int(ws_frame_head(b, 10, &f, &err), 10, "64-bit length");
	is_int((long long)f.len, 1LL << 16 | 0x10, "length 65552");
	b[0] = 0xC1;
	is_int(ws_frame_head(b, 10, &f, &err), -1, "RSV1: refused");
	b[0] = 0x83;
	is_int(ws_frame_head(b, 10, &f, &err), -1, "opcode 3: refused");
	b[0] = 0x09;
	b[1] = 0;
	is_int(ws_frame_head(b, 2, &f, &err), -1, "ping without FIN: refused");
	b[0] = 0x89;
	b[1] = 126;
	is_int(ws_frame_head(b, 4, &f, &err), -1, "ping over 125: refused");
	b[1] = 0x82;
	is_int(ws_frame_head(b, 5, &f, &err), 0, "masked: needs the key");
	memcpy(b + 2, "\x01\x02\x03\x04", 4);
	is_int(ws_frame_head(b, 6, &f, &err), 6, "masked head");
	ok(f.masked && f.mask[3] == 4, "mask key read");
}

static void
build(void)
{
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t out[70000 + WS_HEAD_MAX];
	static char big[70000];
	struct ws_frame f;
	const char *err;
	size_t n, i;

	/* RFC 6455 §5.7: a masked "Hello". */
	n = ws_frame_build(WS_TEXT, "Hello", 5, mask, out);
	is_mem((const char *)out, n,
	    "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", "RFC 6455 5.7");
	memset(big, 'x', sizeof(big));
	n = ws_frame_build(WS_BINARY, big, 300, mask, out);
	ws_frame_head(out, n, &f, &err);
	ok(f.len == 300 && f.head == 8 && f.masked, "300 bytes: 16-bit len");
	n = ws_frame_build(WS_BINARY, big, sizeof(big), mask, out);
	ws_frame_head(out, n, &f, &err);
	ok(f.len == sizeof(big) && f.head == 14, "70000 bytes: 64-bit len");
	for (i = 0; i < 4; i++)
		out[14 + i] ^= mask[i];
	is_mem((const char *)out + 14, 4, "xxxx", "payload masked");
}

static void
messages(void)
{
	uint8_t s[512];
	struct ws_rx rx;
	struct ws_msg m;
	size_t n = 0, i;

	tl_ws_frame(s, &n, 1, WS_TEXT, "one", 3, NULL);
	tl_ws_frame(s, &n, 0, WS_TEXT, "fr", 2, NULL);
	tl_ws_frame(s, &n, 1, WS_PING, "pp", 2, NULL);
	tl_ws_frame(s, &n, 0, WS_CONT, "ag", 2, NULL);
	tl_ws_frame(s, &n, 1, WS_CONT, "ment", 4, NULL);
	tl_ws_frame(s, &n, 1, WS_BINARY, "\0\xff", 2, NULL);
	tl_ws_frame(s, &n, 1, WS_TEXT, "", 0, NULL);
	tl_ws_frame(s, &n, 1, WS_CLOSE, "\x03\xe8ok", 4, NULL);
	/* Whole, then one byte at a time: the same messages. */
	for (i = 0; i < 2; i++) {
		static const char want[] =
		    "1:one|9:pp|1:fragment|2:\0\xff|1:|8:\x03\xe8ok|";
		size_t off = 0, step = i == 0 ? n : 1, sl = 0;
		int got = 0;
		char seq[256];

		ws_rx_init(&rx, 0);
		while (got < 6) {
			enum ws_rx_rc rc = ws_rx_next(&rx, &m);

			if (rc == WS_RX_ERR)
				break;
			if (rc == WS_RX_MORE) {
				if (off >= n)
					break;
				feed(&rx, s + off, step);
				off += step;
				continue;
			}
			got++;
			if (sl + m.len + 3 > sizeof(seq))
				break;
			seq[sl++] = (char)('0' + m.op);
			seq[sl++] = ':';
			memcpy(seq + sl, m.data, m.len);
			sl += m.len;
			seq[sl++] = '|';
		}
		ok(sl == sizeof(want) - 1 && memcmp(seq, want, sl) == 0, "%s",
		    i == 0 ? "messages, whole" : "messages, byte by byte");
		ws_rx_free(&rx);
	}
}

/* The refusal of stream s (n bytes) and its close code. */
static void
refusal(const uint8_t *s, size_t n, size_t max, int code, const char *name)
{
	struct ws_rx rx;
	struct ws_msg m;
	enum ws_rx_rc rc;

	ws_rx_init(&rx, max);
	feed(&rx, s, n);
	while ((rc = ws_rx_next(&rx, &m)) == WS_RX_MSG)
		;
	is_int(rc, WS_RX_ERR, name);
	is_int(rx.code, code, "close code");
	ok(rx.err != NULL && rx.err[0] != '\0', "reason: %s", rx.err);
	is_int(ws_rx_next(&rx, &m), WS_RX_ERR, "stays in error");
	ws_rx_free(&rx);
}

static void
refusals(void)
{
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	uint8_t s[4096];
	size_t n;

	n = 0;
	tl_ws_frame(s, &n, 1, WS_TEXT, "hi", 2, mask);
	refusal(s, n, 0, 1002, "a masked server frame");
	n = 0;
	tl_ws_frame(s, &n, 1, WS_CONT, "x", 1, NULL);
	refusal(s, n, 0, 1002, "a continuation with no message");
	n = 0;
	tl_ws_frame(s, &n, 0, WS_TEXT, "a", 1, NULL);
	tl_ws_frame(s, &n, 1, WS_TEXT, "b", 1, NULL);
	refusal(s, n, 0, 1002, "a new message inside a fragmented one");
	n = 0;
	tl_ws_frame(s, &n, 1, WS_TEXT, "\xc3\x28", 2, NULL);
	refusal(s, n, 0, 1007, "text not UTF-8");
	n = 0;
	tl_ws_frame(s, &n, 0, WS_TEXT, "\xe2\x82", 2, NULL);
	tl_ws_frame(s, &n, 1, WS_CONT, "\xac", 1, NULL);
	{
		struct ws_rx rx;
		struct ws_msg m;

		ws_rx_init(&rx, 0);
		feed(&rx, s, n);
		is_int(ws_rx_next(&rx, &m), WS_RX_MSG,
		    "UTF-8 split across fragments: fine");
		is_mem(m.data, m.len, "\xe2\x82\xac", "the euro sign");
		ws_rx_free(&rx);
	}
	n = 0;
	tl_ws_frame(s, &n, 1, WS_TEXT, "0123456789a", 11, NULL);
	refusal(s, 2, 10, 1009, "over the ceiling: refused at the header");
	n = 0;
	tl_ws_frame(s, &n, 0, WS_TEXT, "012345", 6, NULL);
	tl_ws_frame(s, &n, 1, WS_CONT, "6789a", 5, NULL);
	refusal(s, n, 10, 1009, "fragments over the ceiling");
	n = 0;
	tl_ws_frame(s, &n, 1, WS_TEXT, "0123456789", 10, NULL);
	{
		struct ws_rx rx;
		struct ws_msg m;
		size_t room;

		ws_rx_init(&rx, 10);
		feed(&rx, s, n);
		is_int(ws_rx_next(&rx, &m), WS_RX_MSG, "exactly the ceiling");
		ws_rx_space(&rx, &room);
		ok(room <= WS_RX_MIN, "raw buffer bounded (%zu)", room);
		ws_rx_free(&rx);
	}
}

static void
closes(void)
{
	const char *r;
	size_t rl;

	is_int(ws_close_code("\x03\xe9going", 7, &r, &rl), 1001, "close 1001");
	is_mem(r, rl, "going", "close reason");
	is_int(ws_close_code("", 0, &r, &rl), 1005, "no code: 1005");
}

static void
accept_key(void)
{
	char out[29];

	ws_accept_of("dGhlIHNhbXBsZSBub25jZQ==", out);
	is_str(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 1.3 example");
	/* shared/fixtures/ari/websocket_handshake*.http */
	ws_accept_of("AVHJvVVScpUZlf8k1vxd/A==", out);
	is_str(out, "U9LIu1/V0LMqLLwpjNmkXJwc83E=", "Asterisk's capture");
}

int
main(void)
{
	heads();
	build();
	messages();
	refusals();
	closes();
	accept_key();
	return done_testing();
}
