/*
 * The workers' client of the companion (see client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "client.h"
#include "conf.h"
#include "limits.h"
#include "local_proto.h"
#include "netio.h"
#include "scoreboard.h"

static int fd = -1;

int
companion_alive(void)
{
	struct sb_slot *s;
	size_t i;

	if (sb_pool() == NULL)
		return 0;
	for (i = 0; i < SB_SLOTS; i++) {
		s = sb_slot(i);
		if (atomic_load(&s->role) == SB_COMPANION &&
		    atomic_load(&s->pid) != 0 &&
		    atomic_load(&s->state) == SB_IDLE)
			return 1;
	}
	return 0;
}

void
companion_hangup(void)
{
	if (fd != -1)
		close(fd);
	fd = -1;
}

/* Sets why from errno (n as net_read returned) and returns the error. */
static enum err
io_failed(const char *what, ssize_t n, char *why, size_t whylen)
{
	enum err e = n == -1 && errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;

	if (n == 0)
		snprintf(why, whylen, "companion closed the connection");
	else
		snprintf(why, whylen, "companion %s: %s", what,
		    e == E_TIMEOUT ? "timed out" : strerror(errno));
	companion_hangup();
	return e;
}

/* Reads the head; leftover body bytes are copied to *got. */
static enum err
read_head(uint64_t dl, int *ok, size_t *len, char *rest, size_t *nrest,
    char *why, size_t whylen)
{
	char h[LOCAL_HEAD_MAX + 256];
	size_t have = 0, used;
	enum local_rc rc;
	ssize_t n;

	for (;;) {
		n = net_read(fd, h + have, sizeof(h) - have, dl);
		if (n <= 0)
			return io_failed("read", n, why, whylen);
		have += (size_t)n;
		rc = local_parse_head(h, have, ok, len, &used);
		if (rc == LOCAL_OK)
			break;
		if (rc == LOCAL_EPROTO || have == sizeof(h)) {
			snprintf(why, whylen, "companion: bad reply");
			companion_hangup();
			return E_PROTO;
		}
	}
	*nrest = have - used;
	memcpy(rest, h + used, *nrest);
	return E_OK;
}

/* One exchange, under the deadline dl. */
static enum err
ask_once(const struct conf *c, struct arena *a, const char *line, uint64_t dl,
    const char **body, size_t *len, char *why, size_t whylen)
{
	char rest[LOCAL_HEAD_MAX + 256], err[128], req[LIM_LOCAL_LINE], *out;
	size_t n = strlen(line), nrest = 0, got;
	enum err e;
	ssize_t k;
	int ok;

	if (fd == -1 &&
	    (fd = net_connect(
		 c->companion_socket, NULL, dl, err, sizeof(err))) == -1) {
		snprintf(why, whylen, "companion '%s': %s", c->companion_socket,
		    err);
		return errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;
	}
	if (n + 1 > LIM_LOCAL_LINE) {
		snprintf(why, whylen, "companion: request too long");
		return E_BADREQ;
	}
	memcpy(req, line, n);
	req[n] = '\n';
	if (net_write(fd, req, n + 1, dl) == -1)
		return io_failed("write", -1, why, whylen);
	if ((e = read_head(dl, &ok, len, rest, &nrest, why, whylen)) != E_OK)
		return e;
	out = arena_alloc(a, *len + 1);
	got = nrest < *len ? nrest : *len;
	memcpy(out, rest, got);
	while (got < *len) {
		k = net_read(fd, out + got, *len - got, dl);
		if (k <= 0)
			return io_failed("read", k, why, whylen);
		got += (size_t)k;
	}
	out[*len] = '\0';
	*body = out;
	if (nrest > *len) { /* more than one reply: not ours to have */
		companion_hangup();
		snprintf(why, whylen, "companion: stray bytes after a reply");
		return E_PROTO;
	}
	if (!ok) {
		snprintf(why, whylen, "companion: %s", out);
		return E_NOTFOUND;
	}
	return E_OK;
}

/*
 * A kept connection the companion closed (it was replaced by a reload,
 * or restarted) fails at once: that one is tried again on a new one.
 */
static enum err
ask_within(const struct conf *c, long ms, struct arena *a, const char *line,
    const char **body, size_t *len, char *why, size_t whylen)
{
	uint64_t dl = net_deadline(ms);
	int kept = fd != -1;
	enum err e;

	e = ask_once(c, a, line, dl, body, len, why, whylen);
	if (e == E_BACKEND && kept && fd == -1)
		e = ask_once(c, a, line, dl, body, len, why, whylen);
	return e;
}

enum err
companion_ask(const struct conf *c, struct arena *a, const char *line,
    const char **body, size_t *len, char *why, size_t whylen)
{
	return ask_within(c, c->companion_ms, a, line, body, len, why, whylen);
}

enum err
companion_ask_wait(const struct conf *c, struct arena *a, const char *line,
    const char **body, size_t *len, char *why, size_t whylen)
{
	return ask_within(
	    c, c->companion_wait_ms, a, line, body, len, why, whylen);
}
