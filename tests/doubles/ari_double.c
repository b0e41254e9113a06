/*
 * ari_double: an Asterisk ARI (HTTP/1.1) test double on loopback
 * (doubles/README.md §1, §4).
 *
 * Normal mode serves the real Asterisk 22 captures of fixtures/ari by
 * method and path template, checks Basic auth (or ?api_key=) and answers
 * 401 with WWW-Authenticate like Asterisk, keeps connections alive, and
 * holds the channels created through it (POST /ari/channels, DELETE ...)
 * so that GET /ari/channels lists them, a hung-up channel is a 404 and a
 * channel outside Stasis a 409.  A fault mode (--fault, or "fault=" in
 * the --control file, re-read for every request) breaks every /ari reply:
 *
 *   refuse          the listener is closed: connection refused
 *   refuse-accept   accept, then close at once
 *   close           read the request, close without a reply
 *   stall           read the request, never answer, keep the socket
 *   slow-drip       the reply drip_bytes (1) at a time, drip_ms (50) apart
 *   truncate        the first cut bytes (default: half the reply), close
 *   length-mismatch Content-Length 100 bytes past the body, then stall
 *   html404         the HTML 404 of an Asterisk without ARI loaded
 *   huge            GET /ari/channels: a valid list of at least huge bytes
 *   auth-fail       every request is a bad-credentials 401
 *   garbage         bytes that are not HTTP, then close
 *
 * Other control keys: channels=N (re-seeds N Stasis channels when the
 * value changes), drip_ms=, drip_bytes=, cut=, huge=.
 *
 * Golden mode (--golden CASES.jsonl --control FILE --port 18088 --log
 * DIR) replays backend.ari[n] of the case named in the control file to
 * the n-th connection of that case, as shared/tools/golden-double does:
 * a recorded server chunk is sent once the client has sent as many
 * request heads (CRLF CRLF) as at that point of the recording, and a
 * recorded server close closes.  While the case's state holds ari_down or
 * asterisk_stopped the listener is closed (connection refused).
 *
 * Common: binds 127.0.0.1 (port 0 unless --port), writes the port to
 * --port-file, logs every request as one JSON line to --log FILE (golden:
 * one .bin file per connection in --log DIR), exits after --lifetime
 * seconds (600; golden mode 3600).  In the log, "raw" and "body" hold the bytes
 * as code points U+0000-U+00FF (Python: s.encode("latin-1")).
 */
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "phpin.h"
#include "pv.h"

#define HEAD_MAX    (64 * 1024)
#define BODY_MAX    (1024 * 1024)
#define REPLY_MAX   (256 * 1024 * 1024)
#define CHAN_MAX    4096
#define FILE_MAX    (64 * 1024 * 1024)
#define GOLDEN_WAIT 120 /* seconds a replayed connection may last */

static const char html404[] =
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n"
    "<html><head>\r\n<title>404 Not Found</title>\r\n</head><body>\r\n"
    "<h1>Not Found</h1>\r\n"
    "<p>The requested URL was not found on this server.</p>\r\n"
    "<hr />\r\n<address>Asterisk Server</address>\r\n</body></html>\r\n";

struct opts {
	int port;
	const char *port_file, *log, *fixtures, *control, *golden;
	const char *user, *secret, *fault;
	long lifetime, channels;
};

struct fixture {
	const char *name, *method, *path; /* path with its query */
	const char *http;		  /* the raw response */
	size_t len;
};

struct step {
	size_t need; /* request heads the client must have sent */
	const char *data;
	size_t len; /* 0 with data NULL: close */
};

struct gconn {
	struct step *steps;
	size_t nsteps;
};

struct gcase {
	const char *id;
	int down; /* ari_down or asterisk_stopped */
	struct gconn *conns;
	size_t nconns;
};

struct chan {
	char id[128];
	char *json;
	int stasis;
};

struct ctl {
	char fault[32];
	long drip_ms, drip_bytes, cut, huge, channels;
	char gcase[256];
};

static struct opts opt = { .lifetime = -1,
	.user = "ari_user",
	.secret = "ari_password",
	.fixtures = "../shared/fixtures/ari",
	.fault = "" };
static struct arena *A;
static struct fixture *fx;
static size_t nfx;
static struct gcase *gc;
static size_t ngc;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct chan chans[CHAN_MAX];
static size_t nchan;
static unsigned long seq, nconn;
static long seeded = -1;
static struct ctl cur;
static char cur_case[256];
static size_t used; /* connections of the current golden case */
static int logfd = -1;
static long cl_extra; /* length-mismatch: Content-Length past the body */
static struct timespec t0;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ari_double: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* Copies n bytes of s into dst (size bytes), cut and NUL-terminated. */
static void
copyn(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static double
elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) +
	    (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static char *
slurp(const char *path, size_t *len)
{
	struct buf b;
	char tmp[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return NULL;
	buf_init(&b, FILE_MAX);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_add(&b, tmp, (size_t)n) == -1)
			break;
	close(fd);
	*len = b.len;
	buf_addc(&b, '\0');
	return b.data != NULL ? b.data : strdup("");
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Appends the bytes as a JSON string of code points U+0000-U+00FF. */
static void
jstr(struct buf *b, const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

/* Appends s JSON-escaped as Asterisk writes strings (UTF-8 raw). */
static void
jesc(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			buf_addc(b, *s);
	}
}

static size_t
b64_decode(const char *s, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
	    "xyz0123456789+/";
	unsigned v = 0, bits = 0;
	size_t i, o = 0;
	const char *p;

	for (i = 0; i < n && s[i] != '='; i++) {
		p = strchr(tab, s[i]);
		if (p == NULL || s[i] == '\0')
			continue;
		v = (v << 6) | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	return o;
}

/* ---- control file ---- */

static long
ctl_num(const char *text, const char *key, long def)
{
	const char *p = strstr(text, key);

	if (p == NULL || (p != text && p[-1] != '\n'))
		return def;
	return strtol(p + strlen(key), NULL, 10);
}

static void
ctl_str(const char *text, const char *key, char *dst, size_t size)
{
	const char *p = strstr(text, key);
	size_t n;

	if (p == NULL || (p != text && p[-1] != '\n'))
		return;
	p += strlen(key);
	n = strcspn(p, "\r\n");
	copyn(dst, size, p, n);
}

/* Re-reads the control file into cur (under the lock). */
static void
ctl_read(void)
{
	struct ctl c = { .drip_ms = 50, .drip_bytes = 1, .huge = 16 << 20 };
	size_t len = 0, n;
	char *text = NULL;

	snprintf(c.fault, sizeof(c.fault), "%s", opt.fault);
	c.channels = opt.channels;
	if (opt.control != NULL)
		text = slurp(opt.control, &len);
	if (text != NULL && opt.golden != NULL) {
		n = strcspn(text, "\r\n");
		copyn(c.gcase, sizeof(c.gcase), text, n);
	} else if (text != NULL) {
		ctl_str(text, "fault=", c.fault, sizeof(c.fault));
		c.drip_ms = ctl_num(text, "drip_ms=", c.drip_ms);
		c.drip_bytes = ctl_num(text, "drip_bytes=", c.drip_bytes);
		c.cut = ctl_num(text, "cut=", 0);
		c.huge = ctl_num(text, "huge=", c.huge);
		c.channels = ctl_num(text, "channels=", c.channels);
	}
	free(text);
	if (c.drip_bytes < 1)
		c.drip_bytes = 1;
	cur = c;
	if (strcmp(c.gcase, cur_case) != 0) {
		snprintf(cur_case, sizeof(cur_case), "%s", c.gcase);
		used = 0;
	}
}

#include "ari_rest.h"

/* ---- faults and the connection loop ---- */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

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
			if (write_all(c->fd, p, k) == -1)
				return -1;
			sleep_ms(f->drip_ms);
		}
		return c->q.close ? -1 : 0;
	}
	if (strcmp(f->fault, "truncate") == 0) {
		k = f->cut > 0 && (size_t)f->cut < n ? (size_t)f->cut
						     : half_body(p, n);
		write_all(c->fd, p, k);
		return -1;
	}
	if (write_all(c->fd, p, n) == -1)
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

	log_request(c);
	pthread_mutex_lock(&lock);
	ctl_read();
	if (cur.channels != seeded)
		chan_seed(cur.channels);
	f = cur;
	pthread_mutex_unlock(&lock);
	/* A refusing server also drops the connections it had. */
	if (strcmp(f.fault, "close") == 0 || strncmp(f.fault, "refuse", 6) == 0)
		return -1;
	if (strcmp(f.fault, "garbage") == 0) {
		write_all(c->fd, junk, sizeof(junk) - 1);
		return -1;
	}
	if (strcmp(f.fault, "stall") == 0) {
		stall(c->fd);
		return -1;
	}
	pthread_mutex_lock(&lock);
	cl_extra = strcmp(f.fault, "length-mismatch") == 0 ? 100 : 0;
	route(c);
	pthread_mutex_unlock(&lock);
	return send_reply(c, &f);
}

static void *
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

#include "ari_golden.h"

/* ---- listener and main ---- */

static int
listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 128) == -1)
		die("bind 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

static void
write_port_file(int port)
{
	char tmp[1024], text[32];
	int fd, n;

	if (opt.port_file == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.port_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		die("cannot write '%s': %s", tmp, strerror(errno));
	n = snprintf(text, sizeof(text), "%d\n", port);
	(void)!write(fd, text, (size_t)n);
	close(fd);
	if (rename(tmp, opt.port_file) == -1)
		die("cannot rename '%s': %s", tmp, strerror(errno));
}

/* Whether the listener should be open now (under the lock). */
static int
wanted(void)
{
	const struct gcase *g;

	if (opt.golden != NULL) {
		g = gcase_find(cur_case);
		return g == NULL || !g->down;
	}
	return strcmp(cur.fault, "refuse") != 0;
}

static void
spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_attr_t at;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, fn, arg) != 0)
		die("pthread_create failed");
	pthread_attr_destroy(&at);
}

/* A new connection: its job, under the control read at accept. */
static void
accepted(int fd)
{
	struct gjob *j;
	struct conn *c;

	pthread_mutex_lock(&lock);
	ctl_read();
	if (opt.golden != NULL) {
		j = calloc(1, sizeof(*j));
		j->fd = fd;
		j->n = ++nconn;
		j->gc = gcase_find(cur_case);
		j->idx = used++;
		snprintf(j->id, sizeof(j->id), "%s", cur_case);
		pthread_mutex_unlock(&lock);
		spawn(golden_conn, j);
		return;
	}
	if (strcmp(cur.fault, "refuse-accept") == 0) {
		pthread_mutex_unlock(&lock);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	c->fd = fd;
	c->n = ++nconn;
	pthread_mutex_unlock(&lock);
	spawn(serve_conn, c);
}

/* inotify on the control file's directory, -1 if none. */
static int
watch_control(void)
{
	char dir[1024], *slash;
	int fd;

	if (opt.control == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", opt.control);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		*slash = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd != -1 &&
	    inotify_add_watch(fd, dir[0] ? dir : "/",
		IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void __attribute__((noreturn)) serve(void)
{
	struct pollfd p[2];
	int lfd = -1, port = opt.port, want, fd, ino = watch_control();
	char ev[4096];

	for (;;) {
		pthread_mutex_lock(&lock);
		ctl_read();
		want = wanted();
		pthread_mutex_unlock(&lock);
		if (want && lfd == -1) {
			lfd = listen_on(port);
			if (port == 0) {
				struct sockaddr_in sa;
				socklen_t sl = sizeof(sa);

				getsockname(lfd, (struct sockaddr *)&sa, &sl);
				port = ntohs(sa.sin_port);
				write_port_file(port);
			}
		} else if (!want && lfd != -1) {
			close(lfd);
			lfd = -1;
		}
		p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = ino, .events = POLLIN };
		if (poll(p, 2, 20) <= 0)
			continue;
		if (p[1].revents)
			while (read(ino, ev, sizeof(ev)) > 0)
				;
		if (lfd != -1 && (p[0].revents & POLLIN)) {
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd != -1)
				accepted(fd);
		}
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ari_double [--port N] [--port-file F] [--lifetime S]\n"
	    "                  [--log FILE] [--fixtures DIR] [--user U]\n"
	    "                  [--secret S] [--fault MODE] [--channels N]\n"
	    "                  [--control FILE]\n"
	    "       ari_double --golden CASES.jsonl --control FILE --port N\n"
	    "                  [--log DIR] [--lifetime S]\n");
	exit(2);
}

static void
options(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		i++;
		if (strcmp(k, "--port") == 0)
			opt.port = (int)strtol(v, NULL, 10);
		else if (strcmp(k, "--port-file") == 0)
			opt.port_file = v;
		else if (strcmp(k, "--lifetime") == 0)
			opt.lifetime = strtol(v, NULL, 10);
		else if (strcmp(k, "--log") == 0)
			opt.log = v;
		else if (strcmp(k, "--fixtures") == 0)
			opt.fixtures = v;
		else if (strcmp(k, "--user") == 0)
			opt.user = v;
		else if (strcmp(k, "--secret") == 0)
			opt.secret = v;
		else if (strcmp(k, "--fault") == 0)
			opt.fault = v;
		else if (strcmp(k, "--channels") == 0)
			opt.channels = strtol(v, NULL, 10);
		else if (strcmp(k, "--control") == 0)
			opt.control = v;
		else if (strcmp(k, "--golden") == 0)
			opt.golden = v;
		else
			usage();
	}
	if (opt.golden != NULL && opt.control == NULL)
		usage();
	if (opt.lifetime < 0) /* a golden run outlasts a test file */
		opt.lifetime = opt.golden != NULL ? 3600 : 600;
}

int
main(int argc, char **argv)
{
	const char *shared = getenv("PBXAPI_SHARED");

	if (shared != NULL)
		opt.fixtures =
		    arena_printf(arena_new(), "%s/fixtures/ari", shared);
	options(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	signal(SIGPIPE, SIG_IGN);
	A = arena_new();
	if (opt.golden != NULL)
		load_golden();
	else
		load_fixtures();
	if (opt.golden == NULL && opt.log != NULL) {
		logfd = open(
		    opt.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd == -1)
			die("cannot open '%s': %s", opt.log, strerror(errno));
	}
	if (opt.lifetime > 0)
		alarm((unsigned)opt.lifetime);
	serve();
}
