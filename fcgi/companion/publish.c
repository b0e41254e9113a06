/*
 * The publisher to nchan (see publish.h).
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "netio.h"
#include "publish.h"

#define PUB_TIMEOUT_MS	2000 /* one POST and its reply */
#define PUB_CONNECT_MS	1000
#define PUB_BACKOFF_MIN 100
#define PUB_BACKOFF_MAX 5000
#define PUB_HEAD_MAX	4096 /* the reply's head; nchan's is ~150 bytes */
#define PUB_CHANNEL_MAX 64   /* a tenant's name (LIM_TENANT_NAME) */
#define PUB_EVENT_MAX	32

struct pmsg {
	char channel[PUB_CHANNEL_MAX];
	char event[PUB_EVENT_MAX];
	char *body;
	size_t len;
};

struct publisher {
	char path[108]; /* sun_path */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pmsg *q; /* a ring of cap */
	size_t cap, head, n;
	pthread_t thread;
	int started;
	_Atomic int stop;
	int fd;
	struct pub_stats st; /* under lock */
};

struct publisher *
pub_new(const char *target, size_t cap, char *err, size_t errlen)
{
	struct publisher *p;
	pthread_condattr_t ca;

	if (strncmp(target, "unix:", 5) != 0 || target[5] != '/') {
		snprintf(err, errlen,
		    "'events.publish': '%s' is not unix:/path/to/socket",
		    target);
		return NULL;
	}
	if (strlen(target + 5) >= sizeof(p->path)) {
		snprintf(err, errlen, "'events.publish': the path is too long");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->q = calloc(cap, sizeof(*p->q))) == NULL) {
		free(p);
		snprintf(err, errlen, "calloc: %s", strerror(errno));
		return NULL;
	}
	strcpy(p->path, target + 5);
	p->cap = cap;
	p->fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	return p;
}

int
pub_push(struct publisher *p, const char *channel, const char *event,
    const char *body, size_t len)
{
	struct pmsg *m;
	char *copy;

	if (strlen(channel) >= PUB_CHANNEL_MAX ||
	    strlen(event) >= PUB_EVENT_MAX || (copy = malloc(len)) == NULL) {
		pthread_mutex_lock(&p->lock);
		p->st.dropped++;
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	memcpy(copy, body, len);
	pthread_mutex_lock(&p->lock);
	if (p->n == p->cap) {
		p->st.dropped++;
		pthread_mutex_unlock(&p->lock);
		free(copy);
		return -1;
	}
	m = &p->q[(p->head + p->n++) % p->cap];
	strcpy(m->channel, channel);
	strcpy(m->event, event);
	m->body = copy;
	m->len = len;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void
pub_stats(struct publisher *p, struct pub_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	out->queued = p->n;
	pthread_mutex_unlock(&p->lock);
}

/* Drops the head of the queue, counted in *counter. */
static void
pop(struct publisher *p, uint64_t *counter)
{
	pthread_mutex_lock(&p->lock);
	free(p->q[p->head].body);
	p->q[p->head].body = NULL;
	p->head = (p->head + 1) % p->cap;
	p->n--;
	(*counter)++;
	pthread_mutex_unlock(&p->lock);
}

/*
 * Waits (a second at most, to see stop) for a message and copies the
 * head's header fields into *m (its body stays owned by the queue, which
 * only this thread pops).  Returns 1 with a message, 0 without.
 */
static int
peek(struct publisher *p, struct pmsg *m)
{
	struct timespec until;
	int got;

	pthread_mutex_lock(&p->lock);
	if (p->n == 0 && !atomic_load(&p->stop)) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&p->cond, &p->lock, &until);
	}
	if ((got = p->n > 0))
		*m = p->q[p->head];
	pthread_mutex_unlock(&p->lock);
	return got;
}

static void
set_connected(struct publisher *p, int up)
{
	pthread_mutex_lock(&p->lock);
	p->st.connected = up;
	if (!up)
		p->st.errors++;
	pthread_mutex_unlock(&p->lock);
}

static void
hangup(struct publisher *p)
{
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
}

/*
 * Reads the reply's head into h (PUB_HEAD_MAX + 1 bytes) up to its blank
 * line.  Returns the bytes read (the body's first ones may follow the
 * head), with *end at the blank line, or -1 with the reason in err.
 */
static ssize_t
read_head(struct publisher *p, char *h, char **end, uint64_t dl, char *err,
    size_t errlen)
{
	size_t got = 0;
	ssize_t r;

	for (;;) {
		if (got == PUB_HEAD_MAX) {
			snprintf(err, errlen, "the reply's head is too long");
			return -1;
		}
		r = net_read(p->fd, h + got, PUB_HEAD_MAX - got, dl);
		if (r <= 0) {
			snprintf(err, errlen, "reading the reply: %s",
			    r == 0 ? "closed" : strerror(errno));
			return -1;
		}
		got += (size_t)r;
		h[got] = '\0';
		if ((*end = strstr(h, "\r\n\r\n")) != NULL)
			return (ssize_t)got;
	}
}

/*
 * Reads the reply and skips its body (nchan answers with a
 * Content-Length).  Returns the status, or -1 with the reason in err;
 * *keep is 0 if the connection must not be reused.
 */
static int
reply(struct publisher *p, uint64_t dl, int *keep, char *err, size_t errlen)
{
	char h[PUB_HEAD_MAX + 1], skip[512], *end, *v;
	long clen = -1, have;
	ssize_t got, r;
	int status;

	if ((got = read_head(p, h, &end, dl, err, errlen)) == -1)
		return -1;
	if (sscanf(h, "HTTP/1.%*1[01] %3d", &status) != 1) {
		snprintf(err, errlen, "not an HTTP reply");
		return -1;
	}
	*end = '\0';
	*keep = strncmp(h, "HTTP/1.1", 8) == 0;
	for (v = strstr(h, "\r\n"); v != NULL; v = strstr(v + 2, "\r\n")) {
		if (strncasecmp(v + 2, "Content-Length:", 15) == 0)
			clen = strtol(v + 17, NULL, 10);
		else if (strncasecmp(v + 2, "Connection: close", 17) == 0 ||
		    strncasecmp(v + 2, "Transfer-Encoding:", 18) == 0)
			*keep = 0; /* chunks are not nchan's way: not parsed */
	}
	if (clen < 0)
		*keep = 0;
	for (have = (long)(got - (end + 4 - h)); have < clen; have += r) {
		r = net_read(p->fd, skip,
		    (size_t)(clen - have) < sizeof(skip) ? (size_t)(clen - have)
							 : sizeof(skip),
		    dl);
		if (r <= 0) {
			*keep = 0;
			break;
		}
	}
	return status;
}

/*
 * POSTs m on the kept connection.  Returns the reply's status, or -1
 * (the connection failed: the message stays queued).
 */
static int
post(struct publisher *p, const struct pmsg *m, char *err, size_t errlen)
{
	uint64_t dl = net_deadline(PUB_TIMEOUT_MS);
	char head[256];
	int n, status, keep = 0;

	n = snprintf(head, sizeof(head),
	    "POST /pub/%s HTTP/1.1\r\nHost: pbxapi\r\n"
	    "Content-Type: application/json\r\n"
	    "X-EventSource-Event: %s\r\nContent-Length: %zu\r\n\r\n",
	    m->channel, m->event, m->len);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    net_write(p->fd, head, (size_t)n, dl) == -1 ||
	    net_write(p->fd, m->body, m->len, dl) == -1) {
		snprintf(err, errlen, "sending: %s", strerror(errno));
		return -1;
	}
	if ((status = reply(p, dl, &keep, err, errlen)) == -1)
		return -1;
	if (!keep)
		hangup(p);
	return status;
}

/*
 * Whether nginx closed the kept connection while it was idle (after its
 * keepalive_timeout): nchan sends nothing unasked, so anything readable
 * is the end.  Seen before a POST, it costs a reconnect and no warning.
 */
static int
peer_closed(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/* Sleeps ms, waking every 100 ms to see stop. */
static void
nap(struct publisher *p, long ms)
{
	struct timespec ts = { 0, 100 * 1000000L };

	for (; ms > 0 && !atomic_load(&p->stop); ms -= 100)
		nanosleep(&ts, NULL);
}

/*
 * A failure to connect or to get an answer: logged once per outage
 * (*down), then a nap of *delay, which doubles up to PUB_BACKOFF_MAX.
 * Only an answer ends the outage (answered()): a peer that accepts and
 * closes at once must not make a busy loop.
 */
static void
failed(struct publisher *p, const char *err, long *delay, int *down)
{
	if (!(*down)++)
		log_warnx("events.publish '%s': %s; retrying", p->path, err);
	hangup(p);
	set_connected(p, 0);
	nap(p, *delay);
	*delay = *delay * 2 > PUB_BACKOFF_MAX ? PUB_BACKOFF_MAX : *delay * 2;
}

static void
answered(struct publisher *p, long *delay, int *down)
{
	if (*down)
		log_info("events.publish '%s': publishing again", p->path);
	*down = 0;
	*delay = PUB_BACKOFF_MIN;
}

/*
 * Opens the kept connection if it is not open (replacing one nginx
 * closed while idle).  Returns 0, or -1 after failed().
 */
static int
dial(struct publisher *p, long *delay, int *down)
{
	char err[256];

	if (p->fd != -1 && peer_closed(p->fd))
		hangup(p);
	if (p->fd != -1)
		return 0;
	p->fd = net_connect(
	    p->path, NULL, net_deadline(PUB_CONNECT_MS), err, sizeof(err));
	if (p->fd == -1) {
		failed(p, err, delay, down);
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	p->st.connected = 1;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/*
 * The publisher's thread: sends the head of the queue until it is
 * accepted or refused; a failed connection keeps it for the next one.
 */
static void *
pub_thread(void *arg)
{
	struct publisher *p = arg;
	long delay = PUB_BACKOFF_MIN;
	int down = 0, status;
	char err[256];
	struct pmsg m;

	while (!atomic_load(&p->stop)) {
		if (!peek(p, &m) || dial(p, &delay, &down) == -1)
			continue;
		if ((status = post(p, &m, err, sizeof(err))) == -1) {
			failed(p, err, &delay, &down);
			continue;
		}
		answered(p, &delay, &down);
		if (status >= 200 && status < 300)
			pop(p, &p->st.published);
		else {
			log_warnx("events.publish '%s': channel '%s': nchan "
				  "answered %d; message dropped",
			    p->path, m.channel, status);
			pop(p, &p->st.refused);
		}
	}
	hangup(p);
	return NULL;
}

int
pub_start(struct publisher *p, char *err, size_t errlen)
{
	int rc;

	if ((rc = pthread_create(&p->thread, NULL, pub_thread, p)) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		return -1;
	}
	p->started = 1;
	return 0;
}

void
pub_free(struct publisher *p)
{
	size_t i;

	if (p == NULL)
		return;
	atomic_store(&p->stop, 1);
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	for (i = 0; i < p->n; i++)
		free(p->q[(p->head + i) % p->cap].body);
	free(p->q);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
