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
 * The call world (tests/doubles/README, live.c): POST /ari/channels
 * creates a channel that walks the life a rule gives its destination
 * (control socket "rule {...}", or "call={...}" lines in the control
 * file), its events go out on every /ari/events websocket that sees it
 * (its app, or subscribeAll=true), DELETE, .../dtmf, .../hold, .../play and
 * /ari/bridges/{id}/addChannel|removeChannel act on it, and GET /ari/channels
 * shows it as it is now.  --world SOCKET opens the control socket (rule, call,
 * hangup, dtmf, hold, inject, drop, refuse MS, stall MS, state), logs the
 * events to --log, and stops the replay of the captured events.jsonl on
 * connect.  The websocket answers pings and closes (events.c).
 *
 * Common: binds 127.0.0.1 (port 0 unless --port), writes the port to
 * --port-file, logs every request as one JSON line to --log FILE (golden:
 * one .bin file per connection in --log DIR), exits after --lifetime
 * seconds (600; golden mode 3600).  In the log, "raw" and "body" hold the bytes
 * as code points U+0000-U+00FF (Python: s.encode("latin-1")).
 *
 * This file holds the state, the control file, the listener and
 * main(); ari_double.h lists the others.
 */
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "util.h"
#include "world.h"
#include "ari_double.h"

struct ari_state S = { .opt = { .lifetime = -1,
			   .user = "ari_user",
			   .secret = "ari_password",
			   .fixtures = "../shared/fixtures/ari",
			   .fault = "" },
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.logfd = -1 };

void
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

/*
 * The control file's "call={...}" lines are the call world's rules
 * (source 1), replaced at each read.
 */
static void
ctl_calls(const char *text)
{
	static char last[8192];
	const char *rules[64], *p;
	char copy[sizeof(last)], *line, *save = NULL;
	size_t n = 0;

	copyn(copy, sizeof(copy), text, strlen(text));
	if (strcmp(copy, last) == 0)
		return; /* unchanged: the world keeps its rules */
	memcpy(last, copy, sizeof(last));
	for (line = strtok_r(copy, "\r\n", &save); line != NULL && n < 64;
	     line = strtok_r(NULL, "\r\n", &save))
		if (strncmp(line, "call=", 5) == 0 && (p = line + 5) != NULL)
			rules[n++] = p;
	world_rules(1, rules, n);
}

/* Re-reads the control file into S.cur (under S.lock). */
void
ctl_read(void)
{
	struct ctl c = { .drip_ms = 50, .drip_bytes = 1, .huge = 16 << 20 };
	size_t len = 0, n;
	char *text = NULL;

	snprintf(c.fault, sizeof(c.fault), "%s", S.opt.fault);
	c.channels = S.opt.channels;
	if (S.opt.control != NULL)
		text = slurp(S.opt.control, &len);
	if (text != NULL && S.opt.golden != NULL) {
		n = strcspn(text, "\r\n");
		copyn(c.gcase, sizeof(c.gcase), text, n);
	} else if (text != NULL) {
		ctl_str(text, "fault=", c.fault, sizeof(c.fault));
		c.drip_ms = ctl_num(text, "drip_ms=", c.drip_ms);
		c.drip_bytes = ctl_num(text, "drip_bytes=", c.drip_bytes);
		c.cut = ctl_num(text, "cut=", 0);
		c.huge = ctl_num(text, "huge=", c.huge);
		c.channels = ctl_num(text, "channels=", c.channels);
		ctl_calls(text);
	}
	free(text);
	if (c.drip_bytes < 1)
		c.drip_bytes = 1;
	S.cur = c;
	if (strcmp(c.gcase, S.cur_case) != 0) {
		snprintf(S.cur_case, sizeof(S.cur_case), "%s", c.gcase);
		S.used = 0;
	}
}

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

	if (S.opt.port_file == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", S.opt.port_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		die("cannot write '%s': %s", tmp, strerror(errno));
	n = snprintf(text, sizeof(text), "%d\n", port);
	(void)!write(fd, text, (size_t)n);
	close(fd);
	if (rename(tmp, S.opt.port_file) == -1)
		die("cannot rename '%s': %s", tmp, strerror(errno));
}

/* Whether the listener should be open now (under the lock). */
static int
wanted(void)
{
	const struct gcase *g;

	if (S.opt.golden != NULL) {
		g = gcase_find(S.cur_case);
		return g == NULL || !g->down;
	}
	return strcmp(S.cur.fault, "refuse") != 0;
}

/* A new connection: its job, under the control read at accept. */
static void
accepted(int fd)
{
	struct gjob *j;
	struct conn *c;

	pthread_mutex_lock(&S.lock);
	ctl_read();
	if (S.opt.golden != NULL) {
		j = calloc(1, sizeof(*j));
		j->fd = fd;
		j->n = ++S.nconn;
		j->gc = gcase_find(S.cur_case);
		j->idx = S.used++;
		snprintf(j->id, sizeof(j->id), "%s", S.cur_case);
		pthread_mutex_unlock(&S.lock);
		if (dbl_spawn(golden_conn, j) != 0)
			die("pthread_create failed");
		return;
	}
	if (strcmp(S.cur.fault, "refuse-accept") == 0 || world_refusing()) {
		pthread_mutex_unlock(&S.lock);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	c->fd = fd;
	c->n = ++S.nconn;
	pthread_mutex_unlock(&S.lock);
	if (dbl_spawn(serve_conn, c) != 0)
		die("pthread_create failed");
}

/* inotify on the control file's directory, -1 if none. */
static int
watch_control(void)
{
	char dir[1024], *slash;
	int fd;

	if (S.opt.control == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", S.opt.control);
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
	int lfd = -1, port = S.opt.port, want, fd, ino = watch_control();
	char ev[4096], id[sizeof(S.cur_case)];

	for (;;) {
		pthread_mutex_lock(&S.lock);
		ctl_read();
		want = wanted();
		snprintf(id, sizeof(id), "%s", S.cur_case);
		pthread_mutex_unlock(&S.lock);
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
		if (S.opt.golden != NULL)
			dbl_ack(S.opt.control, "ari", id);
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
	    "                  [--control FILE] [--world SOCKET]\n"
	    "       ari_double --golden CASES.jsonl --control FILE --port N\n"
	    "                  [--log DIR] [--lifetime S]\n");
	exit(2);
}

#define OPT(n, t, m)                                                      \
	{                                                                 \
		.name = (n), .type = (t), .off = offsetof(struct opts, m) \
	}

static const struct dbl_opt opts[] = {
	OPT("port", DBL_INT, port),
	OPT("port-file", DBL_STR, port_file),
	OPT("lifetime", DBL_LONG, lifetime),
	OPT("log", DBL_STR, log),
	OPT("fixtures", DBL_STR, fixtures),
	OPT("user", DBL_STR, user),
	OPT("secret", DBL_STR, secret),
	OPT("fault", DBL_STR, fault),
	OPT("channels", DBL_LONG, channels),
	OPT("control", DBL_STR, control),
	OPT("golden", DBL_STR, golden),
	OPT("world", DBL_STR, world),
};

static void
options(int argc, char **argv)
{
	if (dbl_opt_args(&S.opt, opts, nitems(opts), argc, argv) == -1)
		usage();
	if (S.opt.golden != NULL && S.opt.control == NULL)
		usage();
	if (S.opt.lifetime < 0) /* a golden run outlasts a test file */
		S.opt.lifetime = S.opt.golden != NULL ? 3600 : 600;
}

int
main(int argc, char **argv)
{
	const char *shared = getenv("PBXAPI_SHARED");

	if (shared != NULL)
		S.opt.fixtures =
		    arena_printf(arena_new(), "%s/fixtures/ari", shared);
	options(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &S.t0);
	signal(SIGPIPE, SIG_IGN);
	S.arena = arena_new();
	if (S.opt.golden != NULL)
		load_golden();
	else
		load_fixtures();
	if (S.opt.golden == NULL && S.opt.log != NULL) {
		S.logfd = open(
		    S.opt.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (S.logfd == -1)
			die("cannot open '%s': %s", S.opt.log, strerror(errno));
	}
	if (S.opt.lifetime > 0)
		alarm((unsigned)S.opt.lifetime);
	if (S.opt.golden == NULL)
		live_init();
	serve();
}
