/*
 * Replies (see reply.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "err.h"
#include "log.h"
#include "reply.h"

#define FILE_CHUNK (64 * 1024)
#define STREAM_AT  (32 * 1024)

static int
fcgx_write(void *out, const char *p, size_t n)
{
	size_t off = 0;
	int k;

	while (off < n) {
		k = FCGX_PutStr(p + off, (int)(n - off), out);
		if (k < 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

int (*reply_write)(void *, const char *, size_t) = fcgx_write;
void (*reply_on_headers)(void);

void
reply_init(struct reply *rp, struct arena *a, struct buf *body, void *out)
{
	memset(rp, 0, sizeof(*rp));
	rp->arena = a;
	rp->body = body;
	rp->out = out;
	rp->status = 200;
	rp->fd = -1;
	buf_clear(body);
}

void
reply_reset(struct reply *rp)
{
	if (rp->headers_sent)
		return;
	if (rp->fd != -1)
		close(rp->fd);
	rp->fd = -1;
	rp->status = 200;
	rp->reason = NULL;
	rp->ctype = NULL;
	rp->nhdr = 0;
	rp->parts = NULL;
	rp->nparts = 0;
	rp->head_only = REPLY_BODY;
	rp->is_json = 0;
	rp->streaming = 0;
	rp->php_empty_on_fail = 0;
	rp->overflow = 0;
	buf_clear(rp->body);
}

void
reply_status(struct reply *rp, int status)
{
	rp->status = status;
	rp->reason = NULL;
}

void
reply_status_reason(struct reply *rp, int status, const char *reason)
{
	size_t i;

	reply_status(rp, status);
	if (reason == NULL || *reason == '\0')
		return;
	for (i = 0; reason[i] != '\0'; i++)
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f ||
		    i >= 63)
			return;
	rp->reason = reason;
}

void
reply_header(struct reply *rp, const char *name, const char *value)
{
	size_t i;

	if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n:") != NULL) {
		log_warnx("reply header '%s' with CR or LF dropped", name);
		return;
	}
	/* Replace an existing header of the same name, as PHP's header(). */
	for (i = 0; i < rp->nhdr; i++)
		if (strcasecmp(rp->hdr[i].name, name) == 0)
			break;
	if (i == LIM_REPLY_HEADERS) {
		log_warnx("too many reply headers, '%s' dropped", name);
		return;
	}
	rp->hdr[i].name = arena_strdup(rp->arena, name);
	rp->hdr[i].value =
	    arena_strndup(rp->arena, value, strnlen(value, LIM_HEADER_VALUE));
	if (i == rp->nhdr)
		rp->nhdr++;
}

struct jw *
reply_json(struct reply *rp, unsigned flags)
{
	buf_clear(rp->body);
	rp->ctype = "application/json";
	rp->is_json = 1;
	rp->php_empty_on_fail = (flags & JW_PHP) != 0;
	jw_init(&rp->jw, rp->body, flags);
	return &rp->jw;
}

static int send_headers(struct reply *rp, long long length);

static int
stream_flush(void *ctx, struct buf *b)
{
	struct reply *rp = ctx;

	if (!rp->headers_sent && send_headers(rp, -1) == -1)
		return -1;
	if (reply_write(rp->out, b->data, b->len) == -1) {
		rp->failed = 1;
		return -1;
	}
	rp->bytes += b->len;
	return 0;
}

struct jw *
reply_json_stream(struct reply *rp, unsigned flags)
{
	struct jw *w = reply_json(rp, flags);

	rp->streaming = 1;
	w->flush = stream_flush;
	w->flush_ctx = rp;
	w->flush_at = STREAM_AT;
	return w;
}

void
reply_text(struct reply *rp, const char *ctype, const char *s, size_t n)
{
	buf_clear(rp->body);
	rp->ctype = ctype;
	rp->is_json = 0;
	rp->overflow = buf_add(rp->body, s, n) == -1;
}

void
reply_file_parts(
    struct reply *rp, int fd, const struct reply_part *parts, size_t n)
{
	if (rp->fd != -1 && rp->fd != fd)
		close(rp->fd);
	rp->fd = fd;
	rp->parts = parts;
	rp->nparts = n;
	rp->is_json = 0;
	buf_clear(rp->body);
}

void
reply_file(struct reply *rp, int fd, off_t size)
{
	struct reply_part *whole = arena_zalloc(rp->arena, sizeof(*whole));

	whole->len = size;
	reply_file_parts(rp, fd, whole, 1);
}

void
reply_head_only(struct reply *rp, int how)
{
	rp->head_only = how;
}

int
reply_committed(const struct reply *rp)
{
	return rp->headers_sent;
}

/* Writes the CGI response header block; length -1: no Content-Length. */
/*
 * Appends a formatted line to the header block at *n; a line that does
 * not fit is left out whole.  Returns 0, or -1 if it did not fit.
 */
static int __attribute__((format(printf, 4, 5)))
head_add(char *head, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(head + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= size - *n) {
		head[*n] = '\0';
		return -1;
	}
	*n += (size_t)k;
	return 0;
}

static int
send_headers(struct reply *rp, long long length)
{
	/* Room for the end of the block whatever the headers take. */
	char head[LIM_REPLY_HEADERS * (LIM_HEADER_VALUE + 64) + 256];
	size_t i, n = 0, size = sizeof(head) - 64;

	(void)head_add(head, size, &n, "Status: %d %s\r\n", rp->status,
	    rp->reason != NULL ? rp->reason : http_reason(rp->status));
	if (rp->ctype != NULL &&
	    head_add(head, size, &n, "Content-Type: %s\r\n", rp->ctype) == -1)
		log_warnx("Content-Type too long, dropped");
	for (i = 0; i < rp->nhdr; i++)
		if (head_add(head, size, &n, "%s: %s\r\n", rp->hdr[i].name,
			rp->hdr[i].value) == -1)
			log_warnx("reply headers over %zu bytes, '%s' dropped",
			    size, rp->hdr[i].name);
	/* After a reply_reset too: every answer names its request. */
	if (rp->id != NULL)
		(void)head_add(head, size, &n, "X-Request-Id: %s\r\n", rp->id);
	if (length >= 0)
		(void)head_add(
		    head, sizeof(head), &n, "Content-Length: %lld\r\n", length);
	(void)head_add(head, sizeof(head), &n, "\r\n");
	if (reply_on_headers != NULL)
		reply_on_headers();
	rp->headers_sent = 1;
	if (reply_write(rp->out, head, n) == -1) {
		rp->failed = 1;
		return -1;
	}
	return 0;
}

/* The Content-Length to announce for a body of length bytes (-1: none). */
static long long
announced(const struct reply *rp, long long length)
{
	return rp->head_only == REPLY_NO_LENGTH ? -1 : length;
}

/* Writes n body bytes.  Returns 0, or -1 (failed) if the write failed. */
static int
body_write(struct reply *rp, const char *p, size_t n)
{
	if (reply_write(rp->out, p, n) == -1) {
		rp->failed = 1;
		return -1;
	}
	rp->bytes += n;
	return 0;
}

/* Sends len bytes of the file from off.  Returns 0 or -1. */
static int
send_slice(struct reply *rp, off_t off, off_t len)
{
	char chunk[FILE_CHUNK];
	ssize_t n;

	while (len > 0) {
		n = pread(rp->fd, chunk,
		    len < (off_t)sizeof(chunk) ? (size_t)len : sizeof(chunk),
		    off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The file shrank: the client gets a short body. */
			log_warnx("file shorter than announced");
			rp->failed = 1;
			return -1;
		}
		if (body_write(rp, chunk, (size_t)n) == -1)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

long long
reply_body_length(const struct reply *rp)
{
	long long total = 0;
	size_t i;

	if (rp->head_only)
		return 0;
	if (rp->fd == -1)
		return (long long)rp->body->len;
	for (i = 0; i < rp->nparts; i++)
		total += (long long)rp->parts[i].len;
	return total;
}

static int
send_file(struct reply *rp)
{
	long long total = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < rp->nparts; i++)
		total += (long long)rp->parts[i].len;
	if (send_headers(rp, announced(rp, total)) == -1)
		return -1;
	for (i = 0; i < rp->nparts && rc == 0 && !rp->head_only; i++) {
		if (rp->parts[i].mem != NULL)
			rc = body_write(
			    rp, rp->parts[i].mem, (size_t)rp->parts[i].len);
		else
			rc = send_slice(rp, rp->parts[i].off, rp->parts[i].len);
	}
	return rc;
}

int
reply_finish(struct reply *rp)
{
	int rc;

	if (rp->fd != -1) {
		rc = send_file(rp);
		close(rp->fd);
		rp->fd = -1;
		return rc;
	}
	if (((rp->is_json && rp->jw.error) || rp->overflow) &&
	    !rp->headers_sent) {
		log_warnx("reply body over %zu bytes", rp->body->max);
		reply_reset(rp);
		rp->status = 500;
	}
	if (rp->is_json && rp->jw.failed && rp->php_empty_on_fail) {
		/* json_encode() returned false: PHP sends no body at all. */
		if (rp->headers_sent)
			log_warnx("invalid UTF-8 in a streamed reply");
		else
			buf_clear(rp->body);
	}
	if (rp->streaming && rp->headers_sent) {
		if (rp->body->len > 0 &&
		    reply_write(rp->out, rp->body->data, rp->body->len) == -1)
			return -1;
		rp->bytes += rp->body->len;
		return 0;
	}
	if (send_headers(rp, announced(rp, (long long)rp->body->len)) == -1)
		return -1;
	if (rp->head_only || rp->body->len == 0)
		return 0;
	return body_write(rp, rp->body->data, rp->body->len);
}
