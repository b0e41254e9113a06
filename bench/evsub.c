/*
 * evsub: the latency of events from their source to N Server-Sent Events
 * subscribers (docs/PERFORMANCE.md, "Events to SSE subscribers").
 *
 * Subscribes N connections to an SSE location of nginx, says "ready" on
 * stdout and waits for a line on stdin (the caller checks that nchan has
 * registered them all), then sends COUNT events at RATE per second to
 * one of two targets:
 *
 *   -m ctl  a double's world control socket: the template is an
 *           "inject" argument (escaped: one line), the double writes it
 *           to its event connections and the companion publishes it;
 *   -m pub  nchan's publisher location: the template is the event's
 *           JSON, POSTed to /pub/CHANNEL on one kept HTTP/1.1
 *           connection, as the companion's publisher does (the ceiling).
 *
 * "@SEQ@" in the template becomes "bench-" and 7 digits (BASE + i); a
 * subscriber's stream is scanned for those markers, and each marker's
 * time from its send to its arrival is one sample.  Sends and arrivals
 * are timed on one clock (CLOCK_MONOTONIC) in this one process, which
 * does all of it on one thread with epoll: its own cost is in the
 * samples, and its CPU time is printed so that it can be judged.
 * Prints one JSON line of results.
 *
 *   evsub -p PORT -u PATH [-H HEADER] -n N -r RATE -c COUNT [-b BASE]
 *         -m ctl|pub -t SOCKET -f TEMPLATE [-C CHANNEL] [-e EVENT]
 *         [-w DRAIN_SECONDS]
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SUBS_MAX   1000
#define COUNT_MAX  1000000
#define MARK	   "bench-"
#define MARK_LEN   13 /* "bench-" and 7 digits */
#define RDBUF	   65536
#define HEAD_MAX   8192
#define OUTBUF_MAX (1 << 22) /* queued sends not yet written */

struct sub {
	int fd;
	int head_done;
	char head[HEAD_MAX];
	size_t head_len;
	char carry[MARK_LEN];
	size_t carry_len;
};

static struct sub *subs;
static int nsubs, count, base;
static double *sent_at;	    /* seconds, per event */
static unsigned char *seen; /* nsubs * count */
static float *lat;	    /* ms, one per arrival */
static size_t nlat, dups, stray;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "evsub: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
diex(const char *what)
{
	fprintf(stderr, "evsub: %s\n", what);
	exit(1);
}

/* One arrival of marker digits d (7 bytes) at subscriber k. */
static void
arrival(int k, const char *d, double t)
{
	long seq = 0;
	int i;

	for (i = 0; i < 7; i++)
		seq = seq * 10 + (d[i] - '0');
	seq -= base;
	if (seq < 0 || seq >= count || sent_at[seq] == 0) {
		stray++; /* an older run's, or one not sent yet */
		return;
	}
	if (seen[(size_t)k * count + seq]++) {
		dups++;
		return;
	}
	lat[nlat++] = (float)((t - sent_at[seq]) * 1000.0);
}

static int
digits7(const char *p)
{
	int i;

	for (i = 0; i < 7; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/*
 * Scans what subscriber k read for complete markers.  What could be the
 * start of a marker cut by the read is carried to the next one; a
 * complete marker is never carried, so none is counted twice.
 */
static void
scan(int k, const char *data, size_t len, double t)
{
	static char tmp[RDBUF + MARK_LEN];
	struct sub *s = &subs[k];
	size_t n = s->carry_len + len, off = 0, keep;
	const char *p;

	memcpy(tmp, s->carry, s->carry_len);
	memcpy(tmp + s->carry_len, data, len);
	while ((p = memmem(tmp + off, n - off, MARK, 6)) != NULL) {
		if ((size_t)(p - tmp) + MARK_LEN > n)
			break;
		if (digits7(p + 6)) {
			arrival(k, p + 6, t);
			off = (size_t)(p - tmp) + MARK_LEN;
		} else
			off = (size_t)(p - tmp) + 1;
	}
	keep = n - off < MARK_LEN - 1 ? n - off : MARK_LEN - 1;
	memcpy(s->carry, tmp + n - keep, keep);
	s->carry_len = keep;
}

/* Reads subscriber k; returns -1 when it ended. */
static int
sub_read(int k)
{
	static char buf[RDBUF];
	struct sub *s = &subs[k];
	ssize_t r;
	char *e;
	size_t rest;

	if ((r = read(s->fd, buf, sizeof(buf))) <= 0)
		return r == -1 && errno == EAGAIN ? 0 : -1;
	if (s->head_done) {
		scan(k, buf, (size_t)r, now());
		return 0;
	}
	if (s->head_len + (size_t)r >= HEAD_MAX)
		diex("a subscriber's reply head is too long");
	memcpy(s->head + s->head_len, buf, (size_t)r);
	s->head_len += (size_t)r;
	s->head[s->head_len] = '\0';
	if ((e = strstr(s->head, "\r\n\r\n")) == NULL)
		return 0;
	if (strncmp(s->head, "HTTP/1.1 200", 12) != 0) {
		fprintf(stderr, "evsub: subscriber %d: %.*s\n", k,
		    (int)strcspn(s->head, "\r"), s->head);
		exit(1);
	}
	s->head_done = 1;
	rest = s->head_len - (size_t)(e + 4 - s->head);
	scan(k, e + 4, rest, now());
	return 0;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect to nginx");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		diex("socket path too long");
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die(path);
	return fd;
}

static void
nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		die("fcntl");
}

static void
writeall(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

#define EV_TIMER  0xfffffffe
#define EV_TARGET 0xfffffffd

static struct {
	const char *path, *hdr, *mode, *target, *tplf, *channel, *event;
	double rate, drain;
	int port;
} o = { .channel = "default", .event = "update", .drain = 5 };

/*
 * The target.  ctl: every event is written as it comes, the double
 * answers a line each.  pub: one POST in flight at a time, the next
 * after its reply, on a kept connection opened again when nginx closes
 * it (keepalive_requests), as fcgi/companion/publish.c does.
 */
static struct {
	int fd, ep, pub;
	char *out;
	size_t outlen;
	char in[RDBUF];
	size_t inlen;
	int posted, inflight; /* pub: events POSTed; one awaits its reply */
	size_t ok, bad, reconnects;
} tg;

static const char *tpl, *tpl_at;

static void
target_open(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_TARGET };

	tg.fd = unix_connect(o.target);
	nonblock(tg.fd);
	if (epoll_ctl(tg.ep, EPOLL_CTL_ADD, tg.fd, &ev) == -1)
		die("epoll_ctl");
	tg.inlen = tg.outlen = 0;
}

static void
target_reopen(void)
{
	close(tg.fd);
	tg.reconnects++;
	target_open();
}

static void
target_flush(void)
{
	ssize_t w;

	while (tg.outlen > 0) {
		if ((w = write(tg.fd, tg.out, tg.outlen)) == -1) {
			if (errno == EAGAIN)
				return;
			die("write to the target");
		}
		memmove(tg.out, tg.out + w, tg.outlen - (size_t)w);
		tg.outlen -= (size_t)w;
	}
}

/* Queues event i: the template with its marker, as the target wants. */
static void
queue_event(int i)
{
	char mark[32], head[256];
	size_t pre = (size_t)(tpl_at - tpl), post = strlen(tpl_at + 5), n;
	int h;

	snprintf(mark, sizeof(mark), MARK "%07d", base + i);
	n = pre + MARK_LEN + post;
	if (tg.pub)
		h = snprintf(head, sizeof(head),
		    "POST /pub/%s HTTP/1.1\r\nHost: pbxapi\r\n"
		    "Content-Type: application/json\r\n"
		    "X-EventSource-Event: %s\r\nContent-Length: %zu\r\n\r\n",
		    o.channel, o.event, n);
	else
		h = snprintf(head, sizeof(head), "inject ");
	if (tg.outlen + (size_t)h + n + 1 > OUTBUF_MAX)
		diex("the target does not keep up: its queue is full");
	memcpy(tg.out + tg.outlen, head, (size_t)h);
	tg.outlen += (size_t)h;
	memcpy(tg.out + tg.outlen, tpl, pre);
	memcpy(tg.out + tg.outlen + pre, mark, MARK_LEN);
	memcpy(tg.out + tg.outlen + pre + MARK_LEN, tpl_at + 5, post);
	tg.outlen += n;
	if (!tg.pub)
		tg.out[tg.outlen++] = '\n';
}

/* pub: POSTs the next event made (sent) when none is in flight. */
static void
post_next(int sent)
{
	if (tg.inflight || tg.posted >= sent)
		return;
	queue_event(tg.posted++);
	tg.inflight = 1;
	target_flush();
}

/* Event i is made now: timed, and sent (ctl) or queued (pub). */
static void
make_event(int i)
{
	sent_at[i] = now();
	if (tg.pub) {
		post_next(i + 1);
		return;
	}
	queue_event(i);
	target_flush();
}

/*
 * The length of the complete HTTP reply at the start of tg.in, 0 if it
 * is not all there; *last: it says Connection: close.
 */
static size_t
http_reply(int *last)
{
	char *e, *cl;
	size_t need;

	tg.in[tg.inlen] = '\0';
	if ((e = strstr(tg.in, "\r\n\r\n")) == NULL)
		return 0;
	need = (size_t)(e + 4 - tg.in);
	if ((cl = strcasestr(tg.in, "\ncontent-length:")) != NULL && cl < e)
		need += strtoul(cl + 16, NULL, 10);
	*last =
	    (cl = strcasestr(tg.in, "\nconnection: close")) != NULL && cl < e;
	return need > tg.inlen ? 0 : need;
}

/* Consumes the complete replies in tg.in; sent: events made so far. */
static void
replies(int sent)
{
	size_t need;
	char *e;
	int last = 0;

	for (;;) {
		if (tg.pub) {
			if ((need = http_reply(&last)) == 0)
				return;
		} else if ((e = memchr(tg.in, '\n', tg.inlen)) != NULL)
			need = (size_t)(e + 1 - tg.in);
		else
			return;
		if (strncmp(tg.in, tg.pub ? "HTTP/1.1 20" : "ok",
			tg.pub ? 11 : 2) == 0)
			tg.ok++;
		else
			tg.bad++;
		memmove(tg.in, tg.in + need, tg.inlen - need);
		tg.inlen -= need;
		if (!tg.pub)
			continue;
		tg.inflight = 0;
		if (last)
			target_reopen();
		post_next(sent);
		return;
	}
}

static void
target_read(int sent)
{
	ssize_t r;

	if (tg.inlen == RDBUF - 1)
		diex("a reply of the target is too long");
	r = read(tg.fd, tg.in + tg.inlen, RDBUF - 1 - tg.inlen);
	if (r == 0 && tg.pub && !tg.inflight) {
		/* Closed while idle: open again, as the publisher does. */
		target_reopen();
		return;
	}
	if (r == 0)
		diex("the target closed its connection");
	if (r == -1 && errno != EAGAIN)
		die("read from the target");
	if (r > 0) {
		tg.inlen += (size_t)r;
		replies(sent);
	}
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t i = (size_t)((double)nlat * p / 100.0);

	if (nlat == 0)
		return 0;
	return lat[i < nlat ? i : nlat - 1];
}

static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		die(path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strstr(buf, "@SEQ@") == NULL)
		diex("the template has no @SEQ@");
	return buf;
}

/* Subscribes n connections; returns when every one has its 200 head. */
static void
subscribe(int ep, int port, const char *path, const char *hdr)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	char req[1024];
	int k, n, i, heads = 0;

	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Accept: text/event-stream\r\n%s%s\r\n",
	    path, hdr ? hdr : "", hdr ? "\r\n" : "");
	for (k = 0; k < nsubs; k++) {
		subs[k].fd = tcp_connect(port);
		writeall(subs[k].fd, req, strlen(req));
		nonblock(subs[k].fd);
		ev.data.u32 = (uint32_t)k;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, subs[k].fd, &ev) == -1)
			die("epoll_ctl");
	}
	while (heads < nsubs) {
		if ((n = epoll_wait(ep, evs, 64, 10000)) <= 0)
			diex("subscribers' heads did not come within 10 s");
		for (i = 0; i < n; i++) {
			k = (int)evs[i].data.u32;
			if (subs[k].head_done)
				continue;
			if (sub_read(k) == -1)
				diex("a subscriber was closed");
			heads += subs[k].head_done;
		}
	}
}

static void
usage(void)
{
	diex("usage: see the comment atop bench/evsub.c");
}

static void
parse_args(int argc, char *argv[])
{
	int c;

	while ((c = getopt(argc, argv, "p:u:H:n:r:c:b:m:t:f:C:e:w:")) != -1)
		switch (c) {
		case 'p':
			o.port = (int)strtol(optarg, NULL, 10);
			break;
		case 'u':
			o.path = optarg;
			break;
		case 'H':
			o.hdr = optarg;
			break;
		case 'n':
			nsubs = (int)strtol(optarg, NULL, 10);
			break;
		case 'r':
			o.rate = strtod(optarg, NULL);
			break;
		case 'c':
			count = (int)strtol(optarg, NULL, 10);
			break;
		case 'b':
			base = (int)strtol(optarg, NULL, 10);
			break;
		case 'm':
			o.mode = optarg;
			break;
		case 't':
			o.target = optarg;
			break;
		case 'f':
			o.tplf = optarg;
			break;
		case 'C':
			o.channel = optarg;
			break;
		case 'e':
			o.event = optarg;
			break;
		case 'w':
			o.drain = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	if (!o.port || !o.path || !o.mode || !o.target || !o.tplf ||
	    nsubs < 1 || nsubs > SUBS_MAX || count < 1 || count > COUNT_MAX ||
	    o.rate <= 0 || base < 0 || base + count > 9999999)
		usage();
}

static void
watch(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl");
}

/* A timer firing RATE times a second, the first in 1 ms. */
static int
pace(double rate)
{
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	long ns = (long)(1e9 / rate);
	int tfd;

	if ((tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) == -1)
		die("timerfd_create");
	its.it_interval =
	    (struct timespec){ ns / 1000000000L, ns % 1000000000L };
	if (timerfd_settime(tfd, 0, &its, NULL) == -1)
		die("timerfd_settime");
	return tfd;
}

/*
 * Sends the events on the timer's ticks and reads the subscribers until
 * all arrived or DRAIN seconds after the last send.  Returns the seconds
 * the sending took; *lag is the latest a send was behind its schedule.
 */
static double
run(int ep, int tfd, double *lag)
{
	struct epoll_event evs[256];
	double t0 = now(), tl = 0, t;
	int i, n, sent = 0;
	uint64_t exp;

	while (sent < count ||
	    (nlat < (size_t)nsubs * count && now() < tl + o.drain)) {
		if ((n = epoll_wait(ep, evs, 256, 100)) == -1 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_TARGET) {
				target_read(sent);
				continue;
			}
			if (evs[i].data.u32 != EV_TIMER) {
				if (sub_read((int)evs[i].data.u32) == -1)
					diex("a subscriber was closed");
				continue;
			}
			if (read(tfd, &exp, sizeof(exp)) != sizeof(exp))
				continue;
			/* How late the client sends: its own cost. */
			t = now() - t0 - 0.001 - sent / o.rate;
			if (sent < count && t > *lag)
				*lag = t;
			while (exp-- > 0 && sent < count)
				make_event(sent++);
			if (sent == count && tl == 0)
				tl = now();
		}
		target_flush();
	}
	return tl - t0;
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int
main(int argc, char *argv[])
{
	double cpu, t0, took, lag = 0;
	size_t want;
	char line[64];
	int ep, tfd;

	parse_args(argc, argv);
	tpl = slurp(o.tplf);
	tpl_at = strstr(tpl, "@SEQ@");
	tg.pub = strcmp(o.mode, "pub") == 0;
	want = (size_t)nsubs * (size_t)count;
	subs = calloc((size_t)nsubs, sizeof(*subs));
	sent_at = calloc((size_t)count, sizeof(*sent_at));
	seen = calloc(want, 1);
	lat = calloc(want, sizeof(*lat));
	tg.out = malloc(OUTBUF_MAX);
	if (!subs || !sent_at || !seen || !lat || !tg.out)
		diex("out of memory");
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	subscribe(ep, o.port, o.path, o.hdr);
	printf("ready\n");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		diex("no go on stdin");
	tg.ep = ep;
	target_open();
	watch(ep, tfd = pace(o.rate), EV_TIMER);
	cpu = cpu_seconds();
	t0 = now();
	took = run(ep, tfd, &lag);
	cpu = cpu_seconds() - cpu;
	qsort(lat, nlat, sizeof(*lat), cmp_float);
	printf("{\"subscribers\": %d, \"sent\": %d, \"expected\": %zu, "
	       "\"received\": %zu, \"missing\": %zu, \"duplicates\": %zu, "
	       "\"stray\": %zu, \"target_ok\": %zu, \"target_bad\": %zu, "
	       "\"reconnects\": %zu, "
	       "\"p50_ms\": %.3f, \"p95_ms\": %.3f, \"p99_ms\": %.3f, "
	       "\"max_ms\": %.3f, \"send_seconds\": %.3f, "
	       "\"send_lag_max_ms\": %.3f, \"cpu_seconds\": %.3f, "
	       "\"wall_seconds\": %.3f}\n",
	    nsubs, count, want, nlat, want - nlat, dups, stray, tg.ok, tg.bad,
	    tg.reconnects, pct(50), pct(95), pct(99),
	    nlat ? lat[nlat - 1] : 0.0, took, lag * 1000, cpu, now() - t0);
	return 0;
}
