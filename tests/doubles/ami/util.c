/*
 * What both modes of ami_double share: memory, time, files, the client
 * buffer, the JSON-lines log, replies, JSON members and the listener.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <yajl_tree.h>

#include "ami_double.h"

void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("ami_double: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		die("out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, len = 0, r;

	if (fp == NULL)
		return NULL;
	do {
		if (cap - len < 65536)
			p = xrealloc(p, cap = cap * 2 + 65536);
		r = fread(p + len, 1, cap - len - 1, fp);
		len += r;
	} while (r > 0);
	fclose(fp);
	p[len] = '\0';
	*n = len;
	return p;
}

/* ---- the JSON-lines log ---- */

/* Logs a received message (its headers parsed leniently) or an event. */
void
log_line(const struct client *c, const char *event, const char *raw, size_t n)
{
	const char *line, *end = raw + n, *nl, *colon, *v;
	int first = 1;

	if (S.log == NULL)
		return;
	pthread_mutex_lock(&S.lock);
	fprintf(S.log, "{\"conn\":%d,\"t\":%.6f", c->n, now() - S.start);
	if (event != NULL) {
		fprintf(S.log, ",\"event\":\"%s\",\"partial\":", event);
		dbl_json_str(S.log, raw, n);
	} else {
		fputs(",\"raw\":", S.log);
		dbl_json_str(S.log, raw, n);
		fputs(",\"headers\":[", S.log);
		for (line = raw; line < end; line = nl + 1) {
			if ((nl = memchr(line, '\n', (size_t)(end - line))) ==
			    NULL)
				nl = end;
			colon = memchr(line, ':', (size_t)(nl - line));
			if (colon == NULL)
				continue;
			for (v = colon + 1; v < nl && *v == ' '; v++)
				;
			fputs(first ? "[" : ",[", S.log);
			first = 0;
			dbl_json_str(S.log, line, (size_t)(colon - line));
			fputc(',', S.log);
			dbl_json_str(S.log, v,
			    (size_t)(nl - v) -
				(nl > v && nl[-1] == '\r' && nl != end));
			fputc(']', S.log);
		}
		fputc(']', S.log);
	}
	fputs("}\n", S.log);
	fflush(S.log);
	pthread_mutex_unlock(&S.lock);
}

/* ---- messages from the client ---- */

/* Returns the value of header name in the message, or NULL (malloc). */
char *
header(const char *m, size_t n, const char *name)
{
	const char *line = m, *end = m + n, *nl, *v;
	size_t nlen = strlen(name), l;

	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if ((size_t)(nl - line) > nlen &&
		    strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			for (v = line + nlen + 1; v < nl && *v == ' '; v++)
				;
			l = (size_t)(nl - v);
			if (l > 0 && v[l - 1] == '\r')
				l--;
			return xstrndup(v, l);
		}
	}
	return NULL;
}

/*
 * Waits up to ms for bytes.  Returns 1 if some arrived, 0 on timeout, -1
 * at EOF or error (or past MSG_MAX without a message end).
 */
int
client_read(struct client *c, int ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t r;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (c->cap - c->len < 4096) {
		if (c->cap >= MSG_MAX)
			return -1;
		c->cap = c->cap * 2 + 8192;
		c->buf = xrealloc(c->buf, c->cap);
	}
	r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
	if (r <= 0)
		return -1;
	c->len += (size_t)r;
	return 1;
}

/* Length of the first whole message (through its CRLF CRLF), or 0. */
size_t
client_msg(const struct client *c)
{
	const char *e;

	if (c->len == 0)
		return 0;
	e = memmem(c->buf, c->len, "\r\n\r\n", 4);
	return e ? (size_t)(e - c->buf) + 4 : 0;
}

void
client_drop(struct client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

void
client_close(struct client *c)
{
	log_line(c, "close", c->buf, c->len);
	close(c->fd);
	free(c->buf);
}

/* ---- replies ---- */

void
out_add(struct out *o, const char *s, size_t n)
{
	if (o->cap - o->len < n + 1) {
		o->cap = (o->len + n) * 2 + 256;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

void
out_adds(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

/* Copies a reply with its ActionID lines set to id (dropped if NULL). */
void
with_id(struct out *o, const char *r, size_t n, const char *id)
{
	const char *end = r + n, *nl;
	size_t l;

	for (; r < end; r += l) {
		nl = memchr(r, '\n', (size_t)(end - r));
		l = nl ? (size_t)(nl - r) + 1 : (size_t)(end - r);
		if (l < 9 || strncasecmp(r, "ActionID:", 9) != 0) {
			out_add(o, r, l);
		} else if (id != NULL) {
			out_adds(o, "ActionID: ");
			out_adds(o, id);
			out_adds(o, "\r\n");
		}
	}
}

const char *
jstr(yajl_val v, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);

	return s ? YAJL_GET_STRING(s) : NULL;
}

long
jnum(yajl_val v, const char *key, long def)
{
	const char *path[] = { key, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_number);

	return s && YAJL_IS_INTEGER(s) ? (long)YAJL_GET_INTEGER(s) : def;
}

/* The length of a JSON array (0 for anything else). */
size_t
jlen(yajl_val a)
{
	return YAJL_IS_ARRAY(a) ? a->u.array.len : 0;
}

/* Element i of a JSON array (NULL past its end). */
yajl_val
jat(yajl_val a, size_t i)
{
	return i < jlen(a) ? a->u.array.values[i] : NULL;
}

/* Binds 127.0.0.1:port (0: any), writes the port to port_file. */
int
listen_on(int port, const char *port_file)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char tmp[4096];
	FILE *fp;
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1)
		die("cannot listen on port %d: %s", port, strerror(errno));
	if (port_file != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		if ((fp = fopen(tmp, "w")) == NULL)
			die("cannot write '%s'", tmp);
		fprintf(fp, "%d\n", ntohs(sin.sin_port));
		fclose(fp);
		if (rename(tmp, port_file) == -1)
			die("cannot rename '%s'", tmp);
	}
	printf("ami_double: listening on 127.0.0.1:%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	return fd;
}
