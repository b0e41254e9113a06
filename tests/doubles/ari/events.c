/*
 * ari_double's /ari/events: the websocket a Stasis application opens
 * (RFC 6455, server side, as Asterisk 22 answers it: the 101 has no
 * Server or Date header).  The events are the captured ones, with the
 * client's app as "application"; frames from the client are read and
 * dropped until it closes.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "arena.h"
#include "buf.h"
#include "str.h"
#include "world.h"
#include "ari_double.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int
ws_send_text(int fd, const char *p, size_t n)
{
	unsigned char h[10];
	size_t hl = 2, i;

	h[0] = 0x81;
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
	return dbl_send_all(fd, p, n);
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
	char app[128], in[4096], keybuf[256], tag[64], arg[200], all[16];
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
	while (recv(c->fd, in, sizeof(in), 0) > 0)
		;
	world_unsub(tag);
	return 1;
}
