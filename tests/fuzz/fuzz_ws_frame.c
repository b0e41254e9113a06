/*
 * libFuzzer target for the websocket frame parser (drivers/ws_frame.c).
 * The input is a server byte stream: its first byte picks the message
 * ceiling, the next few the slice sizes.  The stream is parsed twice:
 * with all bytes at once and fed in slices as a socket would deliver
 * them.  Both must hand out the same messages (opcode, bytes) until one
 * of them refuses; every data message is within the ceiling, a control
 * frame within 125 bytes (whatever the ceiling), a text message valid UTF-8, a
 * refusal carries a reason and a close code of 1002, 1007 or 1009.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "utf8.h"
#include "ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MSGS_MAX 64

struct seen {
	int op[MSGS_MAX];
	uint8_t *data[MSGS_MAX];
	size_t len[MSGS_MAX];
	size_t n;
	int err;
};

static void
check_msg(const struct ws_msg *m, size_t max)
{
	/* The ceiling bounds messages; a control frame has its own. */
	if (m->op & 0x8)
		FUZZ_CHECK(m->len <= WS_CONTROL_MAX);
	else {
		FUZZ_CHECK(m->op == WS_TEXT || m->op == WS_BINARY);
		FUZZ_CHECK(m->len <= max);
	}
	if (m->op == WS_TEXT)
		FUZZ_CHECK(utf8_valid(m->data, m->len) == 0);
}

/* Parses p (n bytes) handing out slices of sizes[i % nsizes] (0: all). */
static void
scan(const uint8_t *p, size_t n, const uint8_t *sizes, size_t nsizes,
    size_t max, struct seen *s)
{
	struct ws_rx rx;
	struct ws_msg m;
	enum ws_rx_rc rc;
	size_t off = 0, room, step, k = 0;
	uint8_t *dst;

	ws_rx_init(&rx, max);
	while (s->n < MSGS_MAX) {
		rc = ws_rx_next(&rx, &m);
		if (rc == WS_RX_ERR) {
			FUZZ_CHECK(rx.err != NULL && rx.err[0] != '\0');
			FUZZ_CHECK(rx.code == 1002 || rx.code == 1007 ||
			    rx.code == 1009);
			s->err = 1;
			break;
		}
		if (rc == WS_RX_MSG) {
			check_msg(&m, max);
			s->op[s->n] = m.op;
			s->len[s->n] = m.len;
			s->data[s->n] = malloc(m.len + 1);
			memcpy(s->data[s->n], m.data, m.len);
			s->n++;
			continue;
		}
		if (off == n)
			break;
		dst = ws_rx_space(&rx, &room);
		FUZZ_CHECK(room > 0);
		step = nsizes > 0 ? (size_t)sizes[k++ % nsizes] + 1 : n;
		step = step < n - off ? step : n - off;
		step = step < room ? step : room;
		memcpy(dst, p + off, step);
		ws_rx_wrote(&rx, step);
		off += step;
	}
	ws_rx_free(&rx);
}

static void
release(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->data[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen a, b;
	size_t max, nsizes, n, i;
	uint8_t *p;

	if (size < 2)
		return 0;
	/* A ceiling from 1 byte to 64 KiB, so the limit is reached. */
	max = (size_t)1 << (data[0] % 17);
	nsizes = data[1] % 8;
	if (size < 2 + nsizes)
		return 0;
	n = size - 2 - nsizes;
	p = malloc(n + 1); /* an exact copy: reads past the end are caught */
	memcpy(p, data + 2 + nsizes, n);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	scan(p, n, NULL, 0, max, &a);
	scan(p, n, data + 2, nsizes, max, &b);
	for (i = 0; i < a.n && i < b.n; i++) {
		FUZZ_CHECK(a.op[i] == b.op[i] && a.len[i] == b.len[i]);
		FUZZ_CHECK(memcmp(a.data[i], b.data[i], a.len[i]) == 0);
	}
	if (!a.err && !b.err)
		FUZZ_CHECK(a.n == b.n);
	FUZZ_CHECK(a.err == b.err || a.n >= MSGS_MAX || b.n >= MSGS_MAX);
	release(&a);
	release(&b);
	free(p);
	return 0;
}
