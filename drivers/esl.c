/*
 * FreeSWITCH event-socket client (see esl.h).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "esl.h"
#include "esl_frame.h"
#include "netio.h"

#define ESL_READ_CHUNK 16384
#define ESL_BUF_MAX    (ESL_HEAD_MAX + ESL_BODY_MAX + ESL_READ_CHUNK)
#define ESL_CMD_MAX    8192 /* one command packet */
#define ESL_TOKEN_MAX  64   /* a dial-string field */

struct esl {
	int fd;
	int broken;
	char *buf; /* bytes read and not yet consumed */
	size_t len, cap;
	size_t pending; /* bytes of the message handed out last */
	struct esl_frame_state st;
	struct esl_msg msg;
};

static enum err
fail(struct esl *c, enum err e, char *errbuf, size_t errlen, const char *what)
{
	if (e != E_BADREQ)
		c->broken = 1;
	snprintf(errbuf, errlen, "%s", what);
	return e;
}

int
esl_broken(const struct esl *c)
{
	return c->broken;
}

void
esl_close(void *p)
{
	struct esl *c = p;

	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

/* Drops the message handed out last. */
static void
consume(struct esl *c)
{
	if (c->pending == 0)
		return;
	memmove(c->buf, c->buf + c->pending, c->len - c->pending);
	c->len -= c->pending;
	c->pending = 0;
	memset(&c->st, 0, sizeof(c->st));
}

/* Makes room for one more read.  Returns 0 or -1 past ESL_BUF_MAX. */
static int
room(struct esl *c)
{
	size_t ncap;
	char *nb;

	if (c->cap - c->len >= ESL_READ_CHUNK)
		return 0;
	ncap = c->cap ? c->cap * 2 : ESL_READ_CHUNK * 2;
	while (ncap - c->len < ESL_READ_CHUNK)
		ncap *= 2;
	if (ncap > ESL_BUF_MAX)
		ncap = ESL_BUF_MAX;
	if (ncap - c->len < ESL_READ_CHUNK)
		return -1;
	if ((nb = realloc(c->buf, ncap)) == NULL)
		abort();
	c->buf = nb;
	c->cap = ncap;
	return 0;
}

/*
 * Reads the next whole message into c->msg.  Returns E_OK, E_BACKEND at
 * end of stream, E_TIMEOUT or E_PROTO.  With idle set, running out of
 * time is no failure: the bytes of a message in part are kept for the
 * next call and the connection stays usable (an event stream is quiet
 * between calls).
 */
static enum err
read_upto(
    struct esl *c, uint64_t deadline, int idle, char *errbuf, size_t errlen)
{
	enum esl_frame_rc rc;
	ssize_t n;
	size_t used = 0;

	consume(c);
	for (;;) {
		rc = esl_frame_parse(c->buf, c->len, &c->st, &c->msg, &used);
		if (rc == ESL_FRAME_OK) {
			c->pending = used;
			return E_OK;
		}
		if (rc == ESL_FRAME_ERR)
			return fail(c, E_PROTO, errbuf, errlen, c->msg.err);
		if (room(c) == -1)
			return fail(
			    c, E_PROTO, errbuf, errlen, "message too large");
		n = net_read(c->fd, c->buf + c->len, c->cap - c->len, deadline);
		if (n == 0)
			return fail(c, E_BACKEND, errbuf, errlen,
			    "connection closed by FreeSWITCH");
		if (n < 0 && errno == ETIMEDOUT && idle)
			return E_TIMEOUT;
		if (n < 0)
			return fail(c,
			    errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND, errbuf,
			    errlen,
			    errno == ETIMEDOUT
				? "FreeSWITCH did not answer in time"
				: "cannot read from FreeSWITCH");
		c->len += (size_t)n;
	}
}

static enum err
read_msg(struct esl *c, uint64_t deadline, char *errbuf, size_t errlen)
{
	return read_upto(c, deadline, 0, errbuf, errlen);
}

/*
 * Waits for a message of Content-Type want (or, when also is not NULL,
 * of that type), skipping events and log lines.  Returns as read_msg, or
 * E_BACKEND for a disconnect notice or an access rejection.
 */
static enum err
wait_for(struct esl *c, const char *want, const char *also, uint64_t deadline,
    char *errbuf, size_t errlen)
{
	enum err e;

	for (;;) {
		if ((e = read_msg(c, deadline, errbuf, errlen)) != E_OK)
			return e;
		if (esl_msg_is(&c->msg, "Content-Type", want) ||
		    (also != NULL && esl_msg_is(&c->msg, "Content-Type", also)))
			return E_OK;
		if (esl_msg_is(
			&c->msg, "Content-Type", "text/disconnect-notice"))
			return fail(c, E_BACKEND, errbuf, errlen,
			    "FreeSWITCH closed the connection");
		if (esl_msg_is(&c->msg, "Content-Type", "text/rude-rejection"))
			return fail(c, E_BACKEND, errbuf, errlen,
			    "FreeSWITCH rejected the connection (ACL)");
	}
}

static int
has_ctl(const char *s, size_t n)
{
	return memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL ||
	    memchr(s, '\0', n) != NULL;
}

/*
 * Sends "<line>\n" + the n headers hdrs[2i]: hdrs[2i+1] + "\n".  Returns
 * E_OK, E_BADREQ for CR/LF/NUL anywhere (nothing is sent), E_BACKEND.
 */
static enum err
send_packet(struct esl *c, const char *line, const char *const *hdrs, size_t n,
    uint64_t deadline, char *errbuf, size_t errlen)
{
	struct buf b;
	enum err e = E_OK;
	size_t i;

	if (has_ctl(line, strlen(line)))
		return fail(c, E_BADREQ, errbuf, errlen,
		    "command contains CR, LF or NUL");
	for (i = 0; i < 2 * n; i++)
		if (has_ctl(hdrs[i], strlen(hdrs[i])))
			return fail(c, E_BADREQ, errbuf, errlen,
			    "header contains CR, LF or NUL");
	buf_init(&b, ESL_CMD_MAX);
	buf_adds(&b, line);
	buf_addc(&b, '\n');
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s: %s\n", hdrs[2 * i], hdrs[2 * i + 1]);
	buf_addc(&b, '\n');
	if (b.overflow)
		e = fail(c, E_BADREQ, errbuf, errlen, "command too long");
	else if (net_write(c->fd, b.data, b.len, deadline) == -1)
		e = fail(c, errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND, errbuf,
		    errlen, "cannot write to FreeSWITCH");
	buf_free(&b);
	return e;
}

/* Returns 1 if the last message's Reply-Text starts with prefix. */
static int
reply_is(const struct esl *c, const char *prefix)
{
	const char *v;
	size_t len, n = strlen(prefix);

	v = esl_msg_get(&c->msg, "Reply-Text", &len);
	return v != NULL && len >= n && memcmp(v, prefix, n) == 0;
}

static enum err
authenticate(struct esl *c, const char *password, uint64_t deadline,
    char *errbuf, size_t errlen)
{
	char line[1024];
	enum err e;

	if ((e = wait_for(c, "auth/request", NULL, deadline, errbuf, errlen)) !=
	    E_OK)
		return e;
	if ((size_t)snprintf(line, sizeof(line), "auth %s", password) >=
	    sizeof(line))
		return fail(c, E_BACKEND, errbuf, errlen,
		    "the event-socket password is too long");
	e = send_packet(c, line, NULL, 0, deadline, errbuf, errlen);
	if (e == E_BADREQ)
		return fail(c, E_BACKEND, errbuf, errlen,
		    "the event-socket password contains CR, LF or NUL");
	if (e == E_OK)
		e = wait_for(
		    c, "command/reply", NULL, deadline, errbuf, errlen);
	if (e == E_OK && !esl_msg_is(&c->msg, "Reply-Text", "+OK accepted"))
		e = fail(c, E_BACKEND, errbuf, errlen,
		    "FreeSWITCH rejected the event-socket password");
	return e;
}

enum err
esl_open(const struct esl_conf *cf, uint64_t deadline, struct esl **out,
    char *errbuf, size_t errlen)
{
	struct esl *c;
	char why[256];
	enum err e;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->fd = net_connect(cf->host, cf->port, deadline, why, sizeof(why));
	if (c->fd == -1) {
		snprintf(errbuf, errlen, "cannot connect to %s:%s: %s",
		    cf->host, cf->port, why);
		e = errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;
		esl_close(c);
		return e;
	}
	if ((e = authenticate(c, cf->password, deadline, errbuf, errlen)) !=
	    E_OK) {
		esl_close(c);
		return e;
	}
	consume(c);
	*out = c;
	return E_OK;
}

int
esl_usable(struct esl *c)
{
	enum esl_frame_rc rc;
	size_t used = 0;
	ssize_t n;

	if (c->broken)
		return 0;
	consume(c);
	for (;;) {
		if (room(c) == -1)
			return 0;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 0;
		if (n < 0)
			break;
		c->len += (size_t)n;
	}
	/* Whole messages that arrived while idle are events or notices. */
	for (;;) {
		memset(&c->st, 0, sizeof(c->st));
		rc = esl_frame_parse(c->buf, c->len, &c->st, &c->msg, &used);
		if (rc == ESL_FRAME_MORE)
			return 1;
		if (rc == ESL_FRAME_ERR ||
		    esl_msg_is(
			&c->msg, "Content-Type", "text/disconnect-notice"))
			return 0;
		c->pending = used;
		consume(c);
	}
}

enum err
esl_api(struct esl *c, const char *cmd, uint64_t deadline, struct arena *a,
    char **body, size_t *blen, char *errbuf, size_t errlen)
{
	const char *v;
	char *line;
	enum err e;
	size_t n;

	line = arena_printf(a, "api %s", cmd);
	if ((e = send_packet(c, line, NULL, 0, deadline, errbuf, errlen)) !=
	    E_OK)
		return e;
	e = wait_for(
	    c, "api/response", "command/reply", deadline, errbuf, errlen);
	if (e != E_OK)
		return e;
	if (c->msg.body != NULL) {
		v = c->msg.body;
		n = c->msg.blen;
	} else if ((v = esl_msg_get(&c->msg, "Reply-Text", &n)) == NULL) {
		v = "";
		n = 0;
	}
	*body = arena_strndup(a, v, n);
	*blen = n;
	consume(c);
	return E_OK;
}

enum err
esl_bgapi(struct esl *c, const char *cmd, const char *job_uuid,
    uint64_t deadline, char *errbuf, size_t errlen)
{
	const char *hdrs[2] = { "Job-UUID", job_uuid };
	char line[ESL_CMD_MAX], want[128];
	enum err e;

	if ((size_t)snprintf(line, sizeof(line), "bgapi %s", cmd) >=
	    sizeof(line))
		return fail(c, E_BADREQ, errbuf, errlen, "command too long");
	snprintf(want, sizeof(want), "+OK Job-UUID: %s", job_uuid);
	if ((e = send_packet(c, line, hdrs, 1, deadline, errbuf, errlen)) !=
	    E_OK)
		return e;
	e = wait_for(c, "command/reply", NULL, deadline, errbuf, errlen);
	if (e == E_OK && !esl_msg_is(&c->msg, "Reply-Text", want))
		e = fail(c, E_BACKEND, errbuf, errlen,
		    "FreeSWITCH refused the background job");
	consume(c);
	return e;
}

enum err
esl_sendevent(struct esl *c, const char *name, const char *const *hdrs,
    size_t n, uint64_t deadline, char *errbuf, size_t errlen)
{
	char line[256];
	enum err e;

	if ((size_t)snprintf(line, sizeof(line), "sendevent %s", name) >=
	    sizeof(line))
		return fail(c, E_BADREQ, errbuf, errlen, "event name too long");
	if ((e = send_packet(c, line, hdrs, n, deadline, errbuf, errlen)) !=
	    E_OK)
		return e;
	e = wait_for(c, "command/reply", NULL, deadline, errbuf, errlen);
	if (e == E_OK && !reply_is(c, "+OK"))
		e = fail(c, E_BACKEND, errbuf, errlen,
		    "FreeSWITCH refused the event");
	consume(c);
	return e;
}

enum err
esl_subscribe(struct esl *c, const char *names, uint64_t deadline, char *errbuf,
    size_t errlen)
{
	char line[ESL_CMD_MAX];
	enum err e;

	if ((size_t)snprintf(line, sizeof(line), "event json %s", names) >=
	    sizeof(line))
		return fail(c, E_BADREQ, errbuf, errlen, "event list too long");
	if ((e = send_packet(c, line, NULL, 0, deadline, errbuf, errlen)) !=
	    E_OK)
		return e;
	e = wait_for(c, "command/reply", NULL, deadline, errbuf, errlen);
	/* mod_event_socket.c: "+OK event listener enabled %s", format2str */
	if (e == E_OK &&
	    !esl_msg_is(
		&c->msg, "Reply-Text", "+OK event listener enabled json"))
		e = fail(c, E_BACKEND, errbuf, errlen,
		    "FreeSWITCH refused the event subscription");
	consume(c);
	return e;
}

enum err
esl_api_send(struct esl *c, const char *cmd, uint64_t deadline, char *errbuf,
    size_t errlen)
{
	char line[ESL_CMD_MAX];

	if ((size_t)snprintf(line, sizeof(line), "api %s", cmd) >= sizeof(line))
		return fail(c, E_BADREQ, errbuf, errlen, "command too long");
	return send_packet(c, line, NULL, 0, deadline, errbuf, errlen);
}

/* What a message is to esl_poll(); -1: the end of the connection. */
static int
poll_kind(const struct esl_msg *m)
{
	if (esl_msg_is(m, "Content-Type", "text/event-json"))
		return ESL_POLL_EVENT;
	if (esl_msg_is(m, "Content-Type", "api/response"))
		return ESL_POLL_API;
	if (esl_msg_is(m, "Content-Type", "text/disconnect-notice") ||
	    esl_msg_is(m, "Content-Type", "text/rude-rejection"))
		return -1;
	return ESL_POLL_NONE; /* log/data, text/event-plain ... */
}

enum err
esl_poll(struct esl *c, uint64_t deadline, enum esl_poll_kind *kind,
    const char **body, size_t *blen, char *errbuf, size_t errlen)
{
	enum err e;
	int k;

	*kind = ESL_POLL_NONE;
	*body = NULL;
	*blen = 0;
	if (c->broken)
		return fail(c, E_BACKEND, errbuf, errlen,
		    "the event socket connection is broken");
	for (;;) {
		e = read_upto(c, deadline, 1, errbuf, errlen);
		if (e == E_TIMEOUT && !c->broken)
			return E_OK;
		if (e != E_OK)
			return e;
		if ((k = poll_kind(&c->msg)) == -1)
			return fail(c, E_BACKEND, errbuf, errlen,
			    "FreeSWITCH closed the connection");
		if (k == ESL_POLL_NONE)
			continue;
		*kind = (enum esl_poll_kind)k;
		*body = c->msg.body != NULL ? c->msg.body : "";
		*blen = c->msg.body != NULL ? c->msg.blen : 0;
		return E_OK;
	}
}

int
esl_dial_token_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ESL_TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') ||
			strchr("_.*#+-", s[i]) != NULL) ||
		    s[i] == '\0')
			return 0;
	return 1;
}

int
esl_domain_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
			s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

char *
esl_rawurlencode(struct arena *a, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = arena_alloc(a, 3 * n + 1), *o = out;
	unsigned char ch;
	size_t i;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~') {
			*o++ = (char)ch;
			continue;
		}
		*o++ = '%';
		*o++ = hex[ch >> 4];
		*o++ = hex[ch & 15];
	}
	*o = '\0';
	return out;
}

/* Checks one dial-string field.  Returns 0, or -1 naming it in errbuf. */
static int
field_ok(
    const char *name, const char *v, int domain, char *errbuf, size_t errlen)
{
	size_t n = v ? strlen(v) : 0;

	if (domain ? esl_domain_ok(v, n) : esl_dial_token_ok(v, n))
		return 0;
	snprintf(errbuf, errlen, "invalid %s", name);
	return -1;
}

enum err
esl_originate_cmd(struct arena *a, const struct esl_originate *o, char **cmd,
    char *errbuf, size_t errlen)
{
	const char *name = "";
	char *vars;

	if (field_ok("caller_id_number", o->cid_number, 0, errbuf, errlen) ||
	    field_ok("destination_a", o->dest_a, 0, errbuf, errlen) ||
	    field_ok("destination_b", o->dest_b, 0, errbuf, errlen) ||
	    field_ok("domain", o->domain, 1, errbuf, errlen))
		return E_BADREQ;
	if (o->cid_name != NULL && *o->cid_name != '\0')
		name = arena_printf(a, ",effective_caller_id_name=%s",
		    esl_rawurlencode(a, o->cid_name, strlen(o->cid_name)));
	vars = arena_printf(a,
	    "{ignore_early_media=true,originate_timeout=%d,"
	    "effective_caller_id_number=%s%s}",
	    o->timeout, o->cid_number, name);
	*cmd = arena_printf(a,
	    "originate %sloopback/%s/%s '&bridge(%sloopback/%s/%s)'", vars,
	    o->dest_b, o->domain, vars, o->dest_a, o->domain);
	return E_OK;
}
