/*
 * Websocket framing, the client's side (see ws_frame.h).
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "ws_frame.h"

#define RX_FIRST WS_RX_MIN /* the raw buffer's first size */

static int
op_known(unsigned op)
{
	return op == WS_CONT || op == WS_TEXT || op == WS_BINARY ||
	    op == WS_CLOSE || op == WS_PING || op == WS_PONG;
}

/* The extended payload length (126: 16 bits, 127: 64 bits). */
static int
ext_len(const uint8_t *p, size_t n, unsigned len7, struct ws_frame *f,
    const char **err)
{
	size_t i;

	if (len7 < 126) {
		f->len = len7;
		return 2;
	}
	if (len7 == 126) {
		if (n < 4)
			return 0;
		f->len = (uint64_t)p[2] << 8 | p[3];
		if (f->len < 126) {
			*err = "frame length not in its shortest form";
			return -1;
		}
		return 4;
	}
	if (n < 10)
		return 0;
	if (p[2] & 0x80) {
		*err = "frame length with its top bit set";
		return -1;
	}
	f->len = 0;
	for (i = 2; i < 10; i++)
		f->len = f->len << 8 | p[i];
	if (f->len <= 0xFFFF) {
		*err = "frame length not in its shortest form";
		return -1;
	}
	return 10;
}

int
ws_frame_head(const uint8_t *p, size_t n, struct ws_frame *f, const char **err)
{
	int h;

	if (n < 2)
		return 0;
	memset(f, 0, sizeof(*f));
	if (p[0] & 0x70) {
		*err = "frame with reserved bits set (no extension agreed)";
		return -1;
	}
	if (!op_known(p[0] & 0x0Fu)) {
		*err = "frame with a reserved opcode";
		return -1;
	}
	f->fin = (p[0] & 0x80) != 0;
	f->op = (enum ws_op)(p[0] & 0x0F);
	f->masked = (p[1] & 0x80) != 0;
	if ((f->op & 0x8) && !f->fin) {
		*err = "fragmented control frame";
		return -1;
	}
	if ((f->op & 0x8) && (p[1] & 0x7F) > WS_CONTROL_MAX) {
		*err = "control frame over 125 bytes";
		return -1;
	}
	if ((h = ext_len(p, n, p[1] & 0x7Fu, f, err)) <= 0)
		return h;
	if (f->masked) {
		if (n < (size_t)h + 4)
			return 0;
		memcpy(f->mask, p + h, 4);
		h += 4;
	}
	f->head = (size_t)h;
	return h;
}

size_t
ws_frame_build(
    enum ws_op op, const void *p, size_t n, const uint8_t mask[4], uint8_t *out)
{
	const uint8_t *s = p;
	size_t h = 2, i;

	out[0] = (uint8_t)(0x80 | op);
	if (n < 126)
		out[1] = (uint8_t)(0x80 | n);
	else if (n <= 0xFFFF) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
		h = 4;
	} else {
		out[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, mask, 4);
	h += 4;
	for (i = 0; i < n; i++)
		out[h + i] = s[i] ^ mask[i & 3];
	return h + n;
}

void
ws_rx_init(struct ws_rx *rx, size_t max)
{
	memset(rx, 0, sizeof(*rx));
	rx->max = max > 0 ? max : WS_MSG_MAX;
	rx->mop = WS_CONT;
}

void
ws_rx_free(struct ws_rx *rx)
{
	free(rx->in);
	free(rx->msg);
	memset(rx, 0, sizeof(*rx));
}

/*
 * Grows the storage at *pp to hold need bytes, doubling from first but
 * never past ceiling (need is at most ceiling).
 */
static void
grow(void *pp, size_t *cap, size_t need, size_t first, size_t ceiling)
{
	void **p = pp;
	size_t c = *cap > 0 ? *cap : first;
	void *np;

	while (c < need)
		c *= 2;
	if (c > ceiling)
		c = ceiling;
	if (c <= *cap)
		return;
	if ((np = realloc(*p, c)) == NULL)
		abort();
	*p = np;
	*cap = c;
}

uint8_t *
ws_rx_space(struct ws_rx *rx, size_t *n)
{
	size_t ceiling = rx->max + WS_HEAD_MAX;

	if (ceiling < WS_RX_MIN)
		ceiling = WS_RX_MIN;

	if (rx->off > 0) {
		memmove(rx->in, rx->in + rx->off, rx->len - rx->off);
		rx->len -= rx->off;
		rx->off = 0;
	}
	if (rx->len == rx->cap && rx->cap < ceiling)
		grow(&rx->in, &rx->cap, rx->cap + 1, RX_FIRST, ceiling);
	*n = rx->cap - rx->len;
	return rx->in + rx->len;
}

void
ws_rx_wrote(struct ws_rx *rx, size_t n)
{
	rx->len += n;
}

static enum ws_rx_rc
refuse(struct ws_rx *rx, int code, const char *why)
{
	rx->err = why;
	rx->code = code;
	return WS_RX_ERR;
}

/* Checks a data frame against the message in progress and the ceiling. */
static enum ws_rx_rc
check_data(struct ws_rx *rx, const struct ws_frame *f)
{
	if (f->op == WS_CONT && rx->mop == WS_CONT)
		return refuse(rx, 1002, "continuation frame with no message");
	if (f->op != WS_CONT && rx->mop != WS_CONT)
		return refuse(rx, 1002, "new message inside a fragmented one");
	if (f->len > rx->max - (f->op == WS_CONT ? rx->mlen : 0))
		return refuse(rx, 1009, "message over the size limit");
	return WS_RX_MORE;
}

/* Hands out a whole data message (checking a text one's UTF-8). */
static enum ws_rx_rc
deliver(
    struct ws_rx *rx, enum ws_op op, const char *p, size_t n, struct ws_msg *m)
{
	if (op == WS_TEXT && utf8_valid(p, n) != 0)
		return refuse(rx, 1007, "text message not valid UTF-8");
	m->op = op;
	m->data = p;
	m->len = n;
	return WS_RX_MSG;
}

/* Unmasks (if masked) the payload of f in place. */
static void
unmask(uint8_t *p, const struct ws_frame *f)
{
	uint64_t i;

	if (f->masked)
		for (i = 0; i < f->len; i++)
			p[i] ^= f->mask[i & 3];
}

enum ws_rx_rc
ws_rx_next(struct ws_rx *rx, struct ws_msg *m)
{
	struct ws_frame f;
	const char *why = NULL;
	uint8_t *p;
	int h;

	if (rx->err != NULL)
		return WS_RX_ERR;
	for (;;) {
		if (rx->len - rx->off < 2)
			return WS_RX_MORE;
		p = rx->in + rx->off;
		h = ws_frame_head(p, rx->len - rx->off, &f, &why);
		if (h < 0)
			return refuse(rx, 1002, why);
		if (h == 0)
			return WS_RX_MORE;
		if (f.masked)
			return refuse(rx, 1002, "masked frame from the server");
		if (!(f.op & 0x8) && check_data(rx, &f) == WS_RX_ERR)
			return WS_RX_ERR;
		if (rx->len - rx->off - (size_t)h < f.len)
			return WS_RX_MORE;
		p += h;
		rx->off += (size_t)h + (size_t)f.len;
		unmask(p, &f);
		if (f.op & 0x8) {
			m->op = f.op;
			m->data = (const char *)p;
			m->len = (size_t)f.len;
			return WS_RX_MSG;
		}
		if (f.op != WS_CONT && f.fin)
			return deliver(rx, f.op, (const char *)p, f.len, m);
		if (f.op != WS_CONT) {
			rx->mop = f.op;
			rx->mlen = 0;
		}
		grow(&rx->msg, &rx->mcap, rx->mlen + f.len + 1, 4096,
		    rx->max + 1);
		memcpy(rx->msg + rx->mlen, p, f.len);
		rx->mlen += f.len;
		if (f.fin) {
			f.op = rx->mop;
			rx->mop = WS_CONT;
			return deliver(rx, f.op, rx->msg, rx->mlen, m);
		}
	}
}

int
ws_close_code(const char *p, size_t n, const char **reason, size_t *rlen)
{
	const uint8_t *u = (const uint8_t *)p;

	if (n < 2) {
		*reason = "";
		*rlen = 0;
		return 1005;
	}
	*reason = p + 2;
	*rlen = n - 2;
	return u[0] << 8 | u[1];
}
