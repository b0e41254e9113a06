/*
 * A connection of ari_double's normal mode: HTTP requests read and
 * logged, the control file's fault applied, the reply sent.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "world.h"
#include "ari_double.h"

/* ---- requests ---- */

const char *
header(const char *head, const char *name)
{
	size_t n = strlen(name);
	const char *p = strstr(head, "\r\n");

	for (; p != NULL && p[2] != '\r'; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
			return p + 3 + n + strspn(p + 3 + n, " \t");
	return NULL;
}

/* Parses the head in q->raw (NUL-terminated at its blank line). */
static int
parse_head(struct request *q)
{
	const char *v;
	char *sp, *sp2;

	sp = strchr(q->raw, ' ');
	if (sp == NULL || (size_t)(sp - q->raw) >= sizeof(q->method))
		return -1;
	memcpy(q->method, q->raw, (size_t)(sp - q->raw));
	q->method[sp - q->raw] = '\0';
	sp2 = strchr(sp + 1, ' ');
	if (sp2 == NULL)
		return -1;
	q->target = strndup(sp + 1, (size_t)(sp2 - sp - 1));
	q->path = strdup(q->target);
	sp = strchr(q->path, '?');
	q->query = sp != NULL ? sp + 1 : q->path + strlen(q->path);
	if (sp != NULL)
		*sp = '\0';
	q->close = strncmp(sp2 + 1, "HTTP/1.0", 8) == 0;
	v = header(q->raw, "Connection");
	if (v != NULL && strncasecmp(v, "close", 5) == 0)
		q->close = 1;
	q->auth = header(q->raw, "Authorization");
	return 0;
}

static void
request_free(struct request *q)
{
	free(q->target);
	free(q->path);
	free(q->raw);
	memset(q, 0, sizeof(*q));
}

/* Reads one request.  Returns 1, or 0 at EOF or on a broken request. */
static int
read_request(struct conn *c)
{
	struct request *q = &c->q;
	char tmp[16384], *end;
	const char *cl;
	size_t head, body = 0;
	ssize_t k;

	for (;;) {
		end = c->in.len ? memmem(c->in.data, c->in.len, "\r\n\r\n", 4)
				: NULL;
		if (end != NULL) {
			head = (size_t)(end - c->in.data) + 4;
			c->in.data[head - 2] = '\0';
			cl = header(c->in.data, "Content-Length");
			c->in.data[head - 2] = '\r';
			body = cl != NULL ? strtoul(cl, NULL, 10) : 0;
			if (body > BODY_MAX)
				return 0;
			if (c->in.len >= head + body)
				break;
		} else if (c->in.len > HEAD_MAX)
			return 0;
		k = recv(c->fd, tmp, sizeof(tmp), 0);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0 || buf_add(&c->in, tmp, (size_t)k) == -1)
			return 0;
	}
	q->rawlen = head + body;
	q->headlen = head;
	q->raw = malloc(q->rawlen + 1);
	memcpy(q->raw, c->in.data, q->rawlen);
	q->raw[q->rawlen] = '\0';
	memmove(c->in.data, c->in.data + q->rawlen, c->in.len - q->rawlen);
	c->in.len -= q->rawlen;
	q->raw[head - 2] = '\0';
	if (parse_head(q) == -1)
		return 0;
	q->raw[head - 2] = '\r';
	return 1;
}

/* One JSON line per request into the --log file. */
static void
log_request(const struct conn *c)
{
	const struct request *q = &c->q;
	const char *p, *e, *colon;
	struct buf b;

	if (S.logfd == -1)
		return;
	buf_init(&b, (size_t)-1);
	buf_printf(&b, "{\"conn\":%lu,\"t\":%.6f,\"method\":", c->n, elapsed());
	jstr(&b, q->method, strlen(q->method));
	buf_adds(&b, ",\"path\":");
	jstr(&b, q->target, strlen(q->target));
	buf_adds(&b, ",\"headers\":[");
	p = strstr(q->raw, "\r\n") + 2;
	for (; p < q->raw + q->headlen - 2; p = e + 2) {
		e = strstr(p, "\r\n");
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon == NULL)
			continue;
		buf_adds(&b, p == strstr(q->raw, "\r\n") + 2 ? "[" : ",[");
		jstr(&b, p, (size_t)(colon - p));
		buf_addc(&b, ',');
		colon++;
		colon += strspn(colon, " \t");
		jstr(&b, colon, (size_t)(e - colon));
		buf_addc(&b, ']');
	}
	buf_adds(&b, "],\"body\":");
	jstr(&b, q->raw + q->headlen, q->rawlen - q->headlen);
	buf_adds(&b, ",\"raw\":");
	jstr(&b, q->raw, q->rawlen);
	buf_adds(&b, "}\n");
	pthread_mutex_lock(&S.lock);
	(void)!write(S.logfd, b.data, b.len);
	pthread_mutex_unlock(&S.lock);
	buf_free(&b);
}

/* Percent-decodes the query parameter key into dst; 0 if absent. */
int
qparam(const char *query, const char *key, char *dst, size_t size)
{
	size_t kl = strlen(key), o = 0;
	const char *p = query;
	unsigned v;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			for (p += kl + 1;
			     *p != '\0' && *p != '&' && o + 1 < size; p++) {
				if (*p == '%' &&
				    sscanf(p + 1, "%2x", &v) == 1) {
					dst[o++] = (char)v;
					p += 2;
				} else
					dst[o++] = *p == '+' ? ' ' : *p;
			}
			dst[o] = '\0';
			return 1;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* ---- faults and the connection loop ---- */

/* Holds the socket until the client closes it. */
static void
stall(int fd)
{
	char tmp[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		if (poll(&p, 1, -1) == -1 && errno == EINTR)
			continue;
		if (recv(fd, tmp, sizeof(tmp), 0) <= 0)
			return;
	}
}

/* The head and half the body (at least one byte short). */
static size_t
half_body(const char *p, size_t n)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);
	size_t head = e != NULL ? (size_t)(e - p) + 4 : 0;

	return head + (n - head) / 2 < n ? head + (n - head) / 2 : n - 1;
}

/* Sends c->out under the fault f.  Returns 0 to go on, -1 to close. */
static int
send_reply(struct conn *c, const struct ctl *f)
{
	const char *p = c->out.data;
	size_t n = c->out.len, k;

	if (strcmp(f->fault, "slow-drip") == 0) {
		for (; n > 0; p += k, n -= k) {
			k = n < (size_t)f->drip_bytes ? n
						      : (size_t)f->drip_bytes;
			if (dbl_send_all(c->fd, p, k) == -1)
				return -1;
			dbl_sleep_ms(f->drip_ms);
		}
		return c->q.close ? -1 : 0;
	}
	if (strcmp(f->fault, "truncate") == 0) {
		k = f->cut > 0 && (size_t)f->cut < n ? (size_t)f->cut
						     : half_body(p, n);
		dbl_send_all(c->fd, p, k);
		return -1;
	}
	if (dbl_send_all(c->fd, p, n) == -1)
		return -1;
	if (strcmp(f->fault, "length-mismatch") == 0) {
		stall(c->fd);
		return -1;
	}
	return c->q.close ? -1 : 0;
}

/* One request: log it, apply the fault, reply.  Returns 0 or -1. */
static int
serve_one(struct conn *c)
{
	static const char junk[] = "\x00\xff\xfeNOT HTTP AT ALL\r\n\r\n";
	struct ctl f;
	int rc;

	log_request(c);
	pthread_mutex_lock(&S.lock);
	ctl_read();
	chan_sync(S.cur.channels);
	f = S.cur;
	pthread_mutex_unlock(&S.lock);
	/* A refusing server also drops the connections it had. */
	if (strcmp(f.fault, "close") == 0 || strncmp(f.fault, "refuse", 6) == 0)
		return -1;
	if (strcmp(f.fault, "garbage") == 0) {
		dbl_send_all(c->fd, junk, sizeof(junk) - 1);
		return -1;
	}
	if (strcmp(f.fault, "stall") == 0) {
		stall(c->fd);
		return -1;
	}
	if (strcmp(c->q.method, "GET") == 0 &&
	    strcmp(c->q.path, "/ari/events") == 0)
		return events_serve(c) ? -1 : send_reply(c, &f);
	pthread_mutex_lock(&S.lock);
	S.cl_extra = strcmp(f.fault, "length-mismatch") == 0 ? 100 : 0;
	c->start[0] = '\0';
	route(c);
	pthread_mutex_unlock(&S.lock);
	rc = send_reply(c, &f);
	/* An originated call walks its life once its reply is out. */
	if (c->start[0] != '\0')
		world_start(c->start);
	return rc;
}

void *
serve_conn(void *arg)
{
	struct conn *c = arg;

	buf_init(&c->in, HEAD_MAX + BODY_MAX);
	buf_init(&c->out, REPLY_MAX);
	while (read_request(c)) {
		int rc = serve_one(c);

		request_free(&c->q);
		if (rc == -1)
			break;
	}
	request_free(&c->q);
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	return NULL;
}
