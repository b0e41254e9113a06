/*
 * ari_double's /ari/events: the websocket a Stasis application opens
 * (RFC 6455, server side, as Asterisk 22 answers it: the 101 has no
 * Server or Date header).  The events are the captured ones, with the
 * client's app as "application".  The client's frames are parsed as
 * Asterisk's res_http_websocket does (masked, 7/16/64-bit lengths): a
 * ping is answered with a pong of its payload, a close with a close,
 * anything else dropped; each ping and close is logged.  While the
 * world is stalled ("stall MS", live.c) nothing is answered, as from
 * an Asterisk that hangs with its TCP stack still up.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "arena.h"
#include "buf.h"
#include "str.h"
#include "world.h"
#include "ari_double.h"

#define WS_GUID	  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_IN_MAX (1024 * 1024) /* a client frame kept, to be dropped */

/* A client frame's outcome (read_frame). */
enum { IN_OK, IN_GONE, IN_UNMASKED, IN_CTL_LONG, IN_TOO_BIG };

static int
ws_send_frame(int fd, int op, const char *p, size_t n)
{
	unsigned char h[10];
	size_t hl = 2, i;

	h[0] = (unsigned char)(0x80 | op);
	if (n < 126)
		h[1] = (unsigned char)n;
	else if (n < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)(n >> (56 - 8 * i));
		hl = 10;
	}
	if (dbl_send_all(fd, (const char *)h, hl) == -1)
		return -1;
	return n > 0 ? dbl_send_all(fd, p, n) : 0;
}

int
ws_send_text(int fd, const char *p, size_t n)
{
	return ws_send_frame(fd, 0x1, p, n);
}

/* Reads exactly n bytes.  Returns 0, or -1 when the client is gone. */
static int
recv_all(int fd, void *p, size_t n)
{
	unsigned char *q = p;
	ssize_t r;

	while (n > 0) {
		r = recv(fd, q, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * One client frame (RFC 6455 §5.2): its opcode into *op and its
 * unmasked payload into *data (realloc'd, *n bytes).  Returns IN_OK, or
 * why not: the client is gone, or broke the protocol (a frame without
 * its mask, a control frame over 125 bytes, a frame over WS_IN_MAX).
 */
static int
read_frame(int fd, int *op, unsigned char **data, size_t *n)
{
	unsigned char h[8], mask[4];
	uint64_t len;
	size_t i;
	int masked;

	if (recv_all(fd, h, 2) == -1)
		return IN_GONE;
	*op = h[0] & 0x0f;
	masked = (h[1] & 0x80) != 0;
	len = h[1] & 0x7f;
	if (len == 126) {
		if (recv_all(fd, h, 2) == -1)
			return IN_GONE;
		len = (uint64_t)h[0] << 8 | h[1];
	} else if (len == 127) {
		if (recv_all(fd, h, 8) == -1)
			return IN_GONE;
		for (len = 0, i = 0; i < 8; i++)
			len = len << 8 | h[i];
	}
	if (!masked)
		return IN_UNMASKED;
	if (*op >= 0x8 && len > 125)
		return IN_CTL_LONG;
	if (len > WS_IN_MAX)
		return IN_TOO_BIG;
	if (recv_all(fd, mask, 4) == -1)
		return IN_GONE;
	if ((*data = realloc(*data, (size_t)len + 1)) == NULL)
		abort();
	if (recv_all(fd, *data, (size_t)len) == -1)
		return IN_GONE;
	for (i = 0; i < len; i++)
		(*data)[i] ^= mask[i % 4];
	*n = (size_t)len;
	return IN_OK;
}

/* A ping or close from the client, as one JSON line in the --log file. */
static void
log_frame(const struct conn *c, const char *what, const unsigned char *p,
    size_t n, int answered)
{
	struct buf b;

	if (S.logfd == -1)
		return;
	buf_init(&b, (size_t)-1);
	buf_printf(&b,
	    "{\"conn\":%lu,\"t\":%.6f,\"ws\":\"%s\",\"answered\":%s,"
	    "\"raw\":",
	    c->n, elapsed(), what, answered ? "true" : "false");
	jstr(&b, (const char *)p, n);
	buf_adds(&b, "}\n");
	pthread_mutex_lock(&S.lock);
	(void)!write(S.logfd, b.data, b.len);
	pthread_mutex_unlock(&S.lock);
	buf_free(&b);
}

/*
 * Sends a control frame unless the world is stalled; under the world's
 * lock, so that it never lands inside an event frame the world is
 * writing.  Returns whether it went out.
 */
static int
answer(int fd, int op, const unsigned char *p, size_t n)
{
	int sent = 0;

	world_lock();
	if (!live_stalled_locked())
		sent = ws_send_frame(fd, op, (const char *)p, n) == 0;
	world_unlock();
	return sent;
}

/* The client's frames until it closes, breaks the protocol or goes. */
static void
client_frames(struct conn *c)
{
	static const unsigned char bad[] = { 0x03, 0xea }, /* 1002 */
	    big[] = { 0x03, 0xf1 };			   /* 1009 */
	unsigned char *data = NULL;
	size_t n = 0;
	int op, rc;

	while ((rc = read_frame(c->fd, &op, &data, &n)) == IN_OK) {
		if (op == 0x9)
			log_frame(
			    c, "ping", data, n, answer(c->fd, 0xa, data, n));
		else if (op == 0x8) {
			/* The close answered with its status code, no reason.
			 */
			log_frame(c, "close", data, n,
			    answer(c->fd, 0x8, data, n < 2 ? n : 2));
			break;
		}
	}
	if (rc == IN_UNMASKED || rc == IN_CTL_LONG)
		answer(c->fd, 0x8, bad, sizeof(bad));
	else if (rc == IN_TOO_BIG)
		answer(c->fd, 0x8, big, sizeof(big));
	free(data);
}

/* The captured events, "application" set to app, one frame each. */
static void
send_events(int fd, const char *app)
{
	static const char from[] = "\"application\":\"pbxapi\"";
	char path[4096], *text, *line, *next, *at;
	size_t n;
	struct buf b;

	snprintf(path, sizeof(path), "%s/events.jsonl", S.opt.fixtures);
	if ((text = slurp(path, &n)) == NULL)
		return;
	buf_init(&b, 1024 * 1024);
	for (line = text; line < text + n && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			next = line + strlen(line);
		else
			*next++ = '\0';
		buf_clear(&b);
		if ((at = strstr(line, from)) != NULL) {
			buf_add(&b, line, (size_t)(at - line));
			buf_printf(&b, "\"application\":\"%s\"", app);
			buf_adds(&b, at + sizeof(from) - 1);
		} else
			buf_adds(&b, line);
		if (b.len > 0 && ws_send_text(fd, b.data, b.len) == -1)
			break;
	}
	buf_free(&b);
	free(text);
}

int
events_serve(struct conn *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char app[128], keybuf[256], tag[64], arg[200], all[16];
	struct arena *a;
	const char *key, *up;
	unsigned mdlen = 0;
	size_t kn;
	int ok;

	pthread_mutex_lock(&S.lock);
	ok = auth_check(c) == 0;
	pthread_mutex_unlock(&S.lock);
	if (!ok)
		return 0;
	up = header(c->q.raw, "Upgrade");
	key = header(c->q.raw, "Sec-WebSocket-Key");
	if (up == NULL || strncasecmp(up, "websocket", 9) != 0 || key == NULL) {
		buf_clear(&c->out);
		buf_adds(&c->out,
		    "HTTP/1.1 426 Upgrade Required\r\n"
		    "Content-Length: 0\r\n\r\n");
		return 0;
	}
	if (!qparam(c->q.query, "app", app, sizeof(app)) || app[0] == '\0' ||
	    strspn(app,
		"abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(app)) {
		buf_clear(&c->out);
		buf_adds(&c->out,
		    "HTTP/1.1 400 Bad Request\r\n"
		    "Content-Length: 0\r\n\r\n");
		return 0;
	}
	kn = strcspn(key, "\r\n");
	if (kn > 128)
		kn = 128;
	snprintf(keybuf, sizeof(keybuf), "%.*s" WS_GUID, (int)kn, key);
	EVP_Digest(keybuf, strlen(keybuf), md, &mdlen, EVP_sha1(), NULL);
	a = arena_new();
	buf_clear(&c->out);
	buf_printf(&c->out,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: %.*s\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n",
	    (int)strcspn(up, "\r\n"), up, base64(a, md, mdlen));
	arena_free(a);
	snprintf(tag, sizeof(tag), "ari-%lu", c->n);
	snprintf(arg, sizeof(arg), "%s\t%d", app,
	    qparam(c->q.query, "subscribeAll", all, sizeof(all)) &&
		strcmp(all, "true") == 0);
	/* The 101, then live events: none before it, none missed after. */
	world_lock();
	if (dbl_send_all(c->fd, c->out.data, c->out.len) == -1) {
		world_unlock();
		return 1;
	}
	/* The captured events, unless the world is driven (--world). */
	if (S.opt.world == NULL)
		send_events(c->fd, app);
	world_sub_locked(c->fd, tag, arg);
	world_unlock();
	client_frames(c);
	world_unsub(tag);
	return 1;
}
