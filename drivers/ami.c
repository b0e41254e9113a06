/*
 * The AMI driver (see ami.h).  The framing is in ami_frame.c; this file
 * owns the socket, the login and the correlation of replies.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ami.h"
#include "ami_frame.h"
#include "arena.h"
#include "log.h"
#include "netio.h"

#define AMI_BUF_INIT   16384
#define AMI_BUF_MAX    (AMI_FRAME_MAX + 65536)
#define AMI_READ_CHUNK 65536
#define AMI_HDR_LINE   1000 /* Asterisk drops request lines over 1024 */
#define AMI_ID_MAX     200  /* ours, and an id_tail of up to 150 */

struct ami {
	int fd;
	char *buf; /* received bytes not yet consumed */
	size_t len, cap;
	struct ami_scan scan;
	struct ami_hdr *h; /* scratch headers for the frame at buf */
	size_t hcap;
	unsigned long seq;
	size_t
	    handed; /* the frame ami_next() gave, consumed on the next call */
	char version[32];
};

/* What the reader is waiting for. */
struct rd {
	const char *id;
	const char *complete;
	int in_list;
	int echo; /* the response carried our ActionID */
};

enum verdict { V_SKIP, V_KEEP, V_LAST };

void
ami_close(void *p)
{
	struct ami *c = p;

	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c->buf);
	free(c->h);
	free(c);
}

static int
has_ctl(const char *s, size_t n)
{
	return memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL ||
	    memchr(s, '\0', n) != NULL;
}

/* Sets why for a failed read or write (n as it returned) and returns. */
static enum err
io_error(const char *what, ssize_t n, char *why, size_t whylen)
{
	if (n == 0) {
		snprintf(why, whylen, "AMI connection closed");
		return E_BACKEND;
	}
	if (errno == ETIMEDOUT) {
		snprintf(why, whylen, "AMI %s timed out", what);
		return E_TIMEOUT;
	}
	snprintf(why, whylen, "AMI %s failed (%d): %s", what, errno,
	    strerror(errno));
	return E_BACKEND;
}

/* Sets why for a server that broke the framing and returns E_PROTO. */
static enum err
proto_error(char *why, size_t whylen)
{
	snprintf(why, whylen, "AMI protocol error");
	return E_PROTO;
}

/* Makes room for a read.  Returns 0, or -1 at the ceiling. */
static int
conn_room(struct ami *c)
{
	size_t cap = c->cap ? c->cap : AMI_BUF_INIT;
	char *nb;

	while (cap - c->len < AMI_READ_CHUNK && cap < AMI_BUF_MAX)
		cap *= 2;
	if (cap > AMI_BUF_MAX)
		cap = AMI_BUF_MAX;
	if (cap == c->len)
		return -1;
	if (cap != c->cap) {
		if ((nb = realloc(c->buf, cap)) == NULL)
			fatal("realloc");
		c->buf = nb;
		c->cap = cap;
	}
	return 0;
}

/* Reads what arrives before the deadline.  Returns as net_read. */
static ssize_t
conn_fill(struct ami *c, uint64_t deadline)
{
	ssize_t n;

	if (conn_room(c) == -1) {
		errno = EMSGSIZE;
		return -1;
	}
	n = net_read(c->fd, c->buf + c->len, c->cap - c->len, deadline);
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* Drops the first n bytes of the buffer. */
static void
conn_consume(struct ami *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	memset(&c->scan, 0, sizeof(c->scan));
}

/* Parses the n-byte frame at the head of the buffer into c->h. */
static int
conn_parse(struct ami *c, size_t n, struct ami_frame *f)
{
	size_t need = ami_count_lines(c->buf, n);
	struct ami_hdr *h;

	if (need > AMI_HEADERS_MAX)
		need = AMI_HEADERS_MAX;
	if (need > c->hcap) {
		if ((h = realloc(c->h, need * sizeof(*h))) == NULL)
			fatal("realloc");
		c->h = h;
		c->hcap = need;
	}
	return ami_frame_parse(c->buf, n, f, c->h, c->hcap) == AMI_OK ? 0 : -1;
}

/*
 * Reads until a whole frame is at the head of the buffer and parses it.
 * Counts the bytes read in *got.  Returns E_OK or the error (set).
 */
static enum err
conn_frame(struct ami *c, uint64_t deadline, struct ami_frame *f, size_t *got,
    char *why, size_t whylen)
{
	enum ami_rc rc;
	size_t len;
	ssize_t n;

	for (;;) {
		rc = ami_frame_find(c->buf, c->len, &c->scan, &len);
		if (rc == AMI_OK && conn_parse(c, len, f) == 0)
			return E_OK;
		if (rc != AMI_MORE) {
			log_warnx("ami: protocol error from the server");
			return proto_error(why, whylen);
		}
		if ((n = conn_fill(c, deadline)) <= 0)
			return io_error("read", n, why, whylen);
		*got += (size_t)n;
	}
}

/*
 * Reads without waiting what a pooled connection has received since its
 * last request and drops whole frames (unsolicited events), at most
 * AMI_BUF_MAX bytes (a server that never stops talking is dealt with
 * under the action's deadline).  Returns 0 if the connection is usable,
 * -1 if the server closed it or sent garbage.
 */
static int
conn_drain(struct ami *c)
{
	struct ami_frame f;
	enum ami_rc rc;
	size_t len, total = 0;
	ssize_t n;

	if (c->handed > 0) { /* the frame ami_next() gave last */
		conn_consume(c, c->handed);
		c->handed = 0;
	}
	while (total < AMI_BUF_MAX) {
		while ((rc = ami_frame_find(c->buf, c->len, &c->scan, &len)) ==
		    AMI_OK) {
			if (conn_parse(c, len, &f) == -1)
				return -1;
			conn_consume(c, len);
		}
		if (rc == AMI_EPROTO || conn_room(c) == -1)
			return -1;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			total += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		return n == -1 && errno == EAGAIN ? 0 : -1;
	}
	return 0;
}

/* Returns 1 if the header of f (at p) called name equals val. */
static int
frame_is(
    const char *p, const struct ami_frame *f, const char *name, const char *val)
{
	size_t n;
	const char *v = ami_frame_get(p, f, name, &n);

	return v != NULL && strlen(val) == n && strncasecmp(v, val, n) == 0;
}

/* Returns 1 if the response f opens an event list. */
static int
opens_list(const char *p, const struct ami_frame *f, const char *complete)
{
	static const char wf[] = "will follow";
	const char *m;
	size_t n;

	if (!frame_is(p, f, "Response", "Success"))
		return 0;
	if (frame_is(p, f, "EventList", "start"))
		return 1;
	m = ami_frame_get(p, f, "Message", &n);
	return complete != NULL && m != NULL && n >= sizeof(wf) - 1 &&
	    strncasecmp(m + n - (sizeof(wf) - 1), wf, sizeof(wf) - 1) == 0;
}

/* Decides what a frame is to the action in flight. */
static enum verdict
classify(const char *p, const struct ami_frame *f, struct rd *st)
{
	const char *aid;
	size_t n;
	int mine;

	if (f->nh == 0)
		return V_SKIP;
	aid = ami_frame_get(p, f, "ActionID", &n);
	mine =
	    aid != NULL && n == strlen(st->id) && memcmp(aid, st->id, n) == 0;
	if (aid != NULL && !mine)
		return V_SKIP; /* stale, or not ours */
	if (!st->in_list) {
		if (ami_frame_get(p, f, "Response", &n) == NULL)
			return V_SKIP; /* an event before the response */
		st->echo = mine;
		if (!opens_list(p, f, st->complete))
			return V_LAST;
		st->in_list = 1;
		return V_KEEP;
	}
	if (st->echo && !mine)
		return V_SKIP; /* unsolicited, inside the list */
	if (frame_is(p, f, "EventList", "Complete") ||
	    (st->complete != NULL && frame_is(p, f, "Event", st->complete)))
		return V_LAST;
	return V_KEEP;
}

/* Returns 1 if the l-byte line (EOL included) is "ActionID: <id>". */
static int
is_our_id(const char *line, size_t l, const char *id)
{
	size_t idl = strlen(id);

	if (l < 11 + idl || strncasecmp(line, "ActionID: ", 10) != 0 ||
	    memcmp(line + 10, id, idl) != 0)
		return 0;
	return line[10 + idl] == '\n' ||
	    (line[10 + idl] == '\r' && l >= 12 + idl && line[11 + idl] == '\n');
}

/* Copies the n-byte frame at p to dst without our ActionID line. */
static size_t
copy_frame(char *dst, const char *p, size_t n, const char *id)
{
	const char *nl, *line = p, *end = p + n;
	size_t out = 0, l;

	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		l = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		if (!is_our_id(line, l, id)) {
			memcpy(dst + out, line, l);
			out += l;
		}
		line += l;
	}
	return out;
}

/* Appends the frame at the head of the buffer to the reply. */
static enum err
keep(struct arena *a, struct ami *c, size_t len, const char *id,
    struct ami_reply *out, size_t *cap)
{
	struct ami_msg *m;
	struct ami_hdr *h;
	char *raw;
	size_t n, nh;

	if (out->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		m = arena_alloc(a, *cap * sizeof(*m));
		if (out->n > 0)
			memcpy(m, out->msg, out->n * sizeof(*m));
		out->msg = m;
	}
	raw = arena_alloc(a, len + 1);
	n = copy_frame(raw, c->buf, len, id);
	raw[n] = '\0';
	nh = ami_count_lines(raw, n);
	h = arena_alloc(a, (nh ? nh : 1) * sizeof(*h));
	m = &out->msg[out->n];
	if (ami_frame_parse(raw, n, &m->f, h, nh) != AMI_OK)
		return E_PROTO;
	m->raw = raw;
	m->len = n;
	out->n++;
	return E_OK;
}

/*
 * Writes the action and reads its reply.  Sets out->sent once the action
 * is written and counts the reply bytes in out->got.
 */
static enum err
exchange(struct ami *c, struct arena *a, const char *frame, size_t flen,
    struct rd *st, uint64_t deadline, struct ami_reply *out, char *why,
    size_t whylen)
{
	struct ami_frame f;
	enum verdict v;
	size_t cap = 0;
	enum err e;

	if (net_write(c->fd, frame, flen, deadline) == -1)
		return io_error("write", -1, why, whylen);
	out->sent = 1;
	for (;;) {
		e = conn_frame(c, deadline, &f, &out->got, why, whylen);
		if (e != E_OK)
			return e;
		v = classify(c->buf, &f, st);
		if (v != V_SKIP && keep(a, c, f.len, st->id, out, &cap) != E_OK)
			return proto_error(why, whylen);
		conn_consume(c, f.len);
		if (v == V_LAST)
			break;
	}
	out->list = st->in_list;
	return E_OK;
}

/* Reads the greeting line. */
static enum err
read_greeting(struct ami *c, uint64_t deadline, char *why, size_t whylen)
{
	enum ami_rc rc;
	size_t used;
	ssize_t n;

	for (;;) {
		rc = ami_greeting(
		    c->buf, c->len, &used, c->version, sizeof(c->version));
		if (rc == AMI_OK) {
			conn_consume(c, used);
			return E_OK;
		}
		if (rc == AMI_EPROTO)
			return proto_error(why, whylen);
		if ((n = conn_fill(c, deadline)) <= 0)
			return io_error("read", n, why, whylen);
	}
}

/*
 * Logs in with Events: off and checks the answer: the first Response
 * frame must say Success (the reference never looked).
 */
static enum err
login(struct ami *c, const struct ami_conf *cf, uint64_t deadline, char *why,
    size_t whylen)
{
	struct ami_frame f;
	size_t got = 0, n;
	char frame[2 * AMI_HDR_LINE + 64];
	int len;
	enum err e;

	len = snprintf(frame, sizeof(frame),
	    "Action: login\r\nUsername: %s\r\nSecret: %s\r\nEvents: %s\r\n\r\n",
	    cf->user, cf->secret, cf->events ? cf->events : "off");
	if (len < 0 || (size_t)len >= sizeof(frame)) {
		snprintf(why, whylen, "AMI credentials are too long");
		return E_BACKEND;
	}
	if (net_write(c->fd, frame, (size_t)len, deadline) == -1)
		return io_error("write", -1, why, whylen);
	for (;;) {
		if ((e = conn_frame(c, deadline, &f, &got, why, whylen)) !=
		    E_OK)
			return e;
		if (ami_frame_get(c->buf, &f, "Response", &n) != NULL)
			break;
		conn_consume(c, f.len);
	}
	e = frame_is(c->buf, &f, "Response", "Success") ? E_OK : E_BACKEND;
	conn_consume(c, f.len);
	if (e != E_OK) {
		log_warnx("ami: login as '%s' rejected", cf->user);
		snprintf(why, whylen, "AMI authentication failed");
	}
	return e;
}

enum err
ami_open(const struct ami_conf *cf, uint64_t deadline, struct ami **out,
    char *why, size_t whylen)
{
	char err[256];
	struct ami *c;
	enum err e;
	int fd;

	if (has_ctl(cf->user, strlen(cf->user)) ||
	    has_ctl(cf->secret, strlen(cf->secret)) ||
	    (cf->events && has_ctl(cf->events, strlen(cf->events)))) {
		snprintf(why, whylen, "AMI credentials contain CR or LF");
		return E_BACKEND;
	}
	fd = net_connect(cf->host, cf->port, deadline, err, sizeof(err));
	if (fd == -1) {
		snprintf(
		    why, whylen, "AMI connection failed (%d): %s", errno, err);
		return E_BACKEND;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->fd = fd;
	if ((e = read_greeting(c, deadline, why, whylen)) != E_OK ||
	    (e = login(c, cf, deadline, why, whylen)) != E_OK) {
		ami_close(c);
		return e;
	}
	*out = c;
	return E_OK;
}

int
ami_usable(void *c)
{
	return conn_drain(c) == 0;
}

enum err
ami_check(const struct ami_kv *kv, size_t nkv, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < nkv; i++) {
		if (has_ctl(kv[i].value, kv[i].vlen)) {
			snprintf(why, whylen,
			    "AMI header '%s' contains CR, LF or NUL",
			    kv[i].name);
			return E_BADREQ;
		}
		if (strlen(kv[i].name) + 2 + kv[i].vlen > AMI_HDR_LINE) {
			snprintf(why, whylen, "AMI header '%s' is too long",
			    kv[i].name);
			return E_BADREQ;
		}
	}
	return E_OK;
}

/* Builds the action frame, our ActionID last. */
static char *
build(struct arena *a, const char *action, const struct ami_kv *kv, size_t nkv,
    const char *id, size_t *len)
{
	size_t i, n = strlen(action) + strlen(id) + 32, o;
	char *s;

	for (i = 0; i < nkv; i++)
		n += strlen(kv[i].name) + kv[i].vlen + 4;
	s = arena_alloc(a, n);
	o = (size_t)snprintf(s, n, "Action: %s\r\n", action);
	for (i = 0; i < nkv; i++) {
		o += (size_t)snprintf(s + o, n - o, "%s: ", kv[i].name);
		memcpy(s + o, kv[i].value, kv[i].vlen);
		o += kv[i].vlen;
		memcpy(s + o, "\r\n", 2);
		o += 2;
	}
	o += (size_t)snprintf(s + o, n - o, "ActionID: %s\r\n\r\n", id);
	*len = o;
	return s;
}

enum err
ami_action(struct ami *c, struct arena *a, const struct ami_action *act,
    uint64_t deadline, struct ami_reply *out, char *why, size_t whylen)
{
	struct rd st = { .complete = act->complete };
	char id[AMI_ID_MAX];
	const char *frame;
	size_t flen;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = ami_check(act->kv, act->nkv, why, whylen)) != E_OK)
		return e;
	if (c->handed > 0) { /* the frame ami_next() gave last */
		conn_consume(c, c->handed);
		c->handed = 0;
	}
	snprintf(id, sizeof(id), "pbxapi-%ld-%lu%.150s", (long)getpid(),
	    ++c->seq, act->id_tail != NULL ? act->id_tail : "");
	st.id = id;
	frame = build(a, act->action, act->kv, act->nkv, id, &flen);
	e = exchange(c, a, frame, flen, &st, deadline, out, why, whylen);
	if (e == E_TIMEOUT && out->sent && (act->flags & AMI_SENT_OK)) {
		memset(out, 0, sizeof(*out));
		out->sent = out->timed_out = 1;
		return E_OK;
	}
	return e;
}

enum err
ami_send(struct ami *c, struct arena *a, const struct ami_action *act,
    const char *id, uint64_t deadline, char *why, size_t whylen)
{
	const char *frame;
	size_t flen;
	enum err e;

	if ((e = ami_check(act->kv, act->nkv, why, whylen)) != E_OK)
		return e;
	frame = build(a, act->action, act->kv, act->nkv, id, &flen);
	if (net_write(c->fd, frame, flen, deadline) == -1)
		return io_error("write", -1, why, whylen);
	return E_OK;
}

enum err
ami_next(struct ami *c, uint64_t deadline, struct ami_msg *m, char *why,
    size_t whylen)
{
	size_t got = 0;
	enum err e;

	if (c->handed > 0) {
		conn_consume(c, c->handed);
		c->handed = 0;
	}
	memset(m, 0, sizeof(*m));
	if ((e = conn_frame(c, deadline, &m->f, &got, why, whylen)) != E_OK)
		return e;
	m->raw = c->buf;
	m->len = m->f.len;
	c->handed = m->f.len;
	return E_OK;
}

const char *
ami_get(const struct ami_msg *m, const char *name, size_t *vlen)
{
	return ami_frame_get(m->raw, &m->f, name, vlen);
}

int
ami_is(const struct ami_msg *m, const char *name, const char *value)
{
	return frame_is(m->raw, &m->f, name, value);
}

size_t
ami_cut_after(const char *p, size_t n, const char *needle)
{
	const char *nl, *line = p, *end = p + n;
	size_t l;

	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		l = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		if (memmem(line, l, needle, strlen(needle)) != NULL)
			return (size_t)(line + l - p);
		line += l;
	}
	return n;
}

const char *
ami_reply_text(
    struct arena *a, const struct ami_reply *rep, const char *cut, size_t *len)
{
	size_t i, n = 0, l;
	char *s;

	for (i = 0; i < rep->n; i++)
		n += rep->msg[i].len;
	s = arena_alloc(a, n + 1);
	n = 0;
	for (i = 0; i < rep->n; i++) {
		l = rep->msg[i].len;
		if (cut != NULL && i + 1 == rep->n)
			l = ami_cut_after(rep->msg[i].raw, l, cut);
		memcpy(s + n, rep->msg[i].raw, l);
		n += l;
	}
	s[n] = '\0';
	*len = n;
	return s;
}

/* Splits the Follows text into lines. */
static void
follows_lines(const char *p, size_t n,
    void (*fn)(void *arg, const char *line, size_t n), void *arg)
{
	const char *nl, *end = p + n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			fn(arg, p, (size_t)(end - p));
			break;
		}
		fn(arg, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

void
ami_command_lines(const struct ami_reply *rep,
    void (*fn)(void *arg, const char *line, size_t n), void *arg)
{
	const struct ami_msg *m;
	const struct ami_hdr *h;
	size_t i;

	if (rep->n == 0)
		return;
	m = &rep->msg[0];
	if (m->f.follows) {
		follows_lines(m->raw + m->f.body, m->f.blen, fn, arg);
		return;
	}
	for (i = 0; i < m->f.nh; i++) {
		h = &m->f.h[i];
		if (h->nlen == 6 &&
		    strncasecmp(m->raw + h->name, "Output", 6) == 0)
			fn(arg, m->raw + h->value, h->vlen);
	}
}
