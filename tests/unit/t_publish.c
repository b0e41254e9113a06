/*
 * The publisher to nchan (fcgi/companion/publish.c) against a fake
 * nchan on a unix socket: messages arrive in order as POST /pub/CHANNEL
 * with X-EventSource-Event on one kept connection; a reply cut in pieces
 * is read whole; a refused message (not 2xx) is dropped and counted; a
 * connection closed before the reply keeps the message, which is sent
 * again on a new connection; nothing listening: errors counted, the
 * message kept until nchan is back; a full queue drops and counts.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "publish.h"
#include "tap.h"

static char path[108];

/* What the fake does with each request, in turn. */
enum act { A_CREATED, A_SPLIT, A_REFUSE, A_CLOSE };

struct fake {
	int lfd;
	const enum act *acts;
	size_t nacts;
	char log[8192]; /* "channel event body|" per request */
	int conns;
};

static int
listen_unix(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	unlink(path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 4) == -1) {
		perror("listen");
		exit(1);
	}
	return fd;
}

/* Reads one request (head and Content-Length body) from fd into log. */
static int
read_req(int fd, struct fake *f)
{
	char b[4096], ch[64], ev[64], *end, *cl, *xe;
	size_t got = 0;
	ssize_t r;
	long n;

	while ((end = memmem(b, got, "\r\n\r\n", 4)) == NULL) {
		if ((r = read(fd, b + got, sizeof(b) - 1 - got)) <= 0)
			return -1;
		got += (size_t)r;
	}
	b[got] = '\0';
	cl = strstr(b, "Content-Length: ");
	xe = strstr(b, "X-EventSource-Event: ");
	n = cl ? strtol(cl + 16, NULL, 10) : 0;
	while ((long)(got - (size_t)(end + 4 - b)) < n) {
		if ((r = read(fd, b + got, sizeof(b) - 1 - got)) <= 0)
			return -1;
		got += (size_t)r;
		b[got] = '\0';
		end = strstr(b, "\r\n\r\n");
	}
	if (sscanf(b, "POST /pub/%63s HTTP/1.1", ch) != 1 || xe == NULL ||
	    sscanf(xe + 21, "%63[^\r]", ev) != 1)
		return -1;
	if (n < 0 || n > 256)
		return -1;
	snprintf(f->log + strlen(f->log), sizeof(f->log) - strlen(f->log),
	    "%s %s %.*s|", ch, ev, (int)n, end + 4);
	return 0;
}

/* A peer that accepts and closes at once, for a second: counts them. */
static void *
slam_thread(void *arg)
{
	struct fake *f = arg;
	struct pollfd pfd = { .fd = f->lfd, .events = POLLIN };
	struct timespec t0, t;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (poll(&pfd, 1, 50) == 1 &&
		    (fd = accept(f->lfd, NULL, NULL)) != -1) {
			f->conns++;
			close(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (
	    (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 <
	    1000);
	return NULL;
}

static void *
fake_thread(void *arg)
{
	static const char ok[] = "HTTP/1.1 201 Created\r\nContent-Length: "
				 "5\r\nConnection: keep-alive\r\n\r\nhello";
	static const char no[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: "
				 "0\r\n\r\n";
	struct fake *f = arg;
	size_t i = 0;
	int fd = -1;

	while (i < f->nacts) {
		if (fd == -1) {
			if ((fd = accept(f->lfd, NULL, NULL)) == -1)
				break;
			f->conns++;
		}
		if (read_req(fd, f) == -1) {
			close(fd);
			fd = -1;
			continue;
		}
		switch (f->acts[i++]) {
		case A_CREATED:
			(void)!write(fd, ok, sizeof(ok) - 1);
			break;
		case A_SPLIT:
			/* The head and body in three writes. */
			(void)!write(fd, ok, 10);
			usleep(20000);
			(void)!write(fd, ok + 10, 40);
			usleep(20000);
			(void)!write(fd, ok + 50, sizeof(ok) - 51);
			break;
		case A_REFUSE:
			(void)!write(fd, no, sizeof(no) - 1);
			break;
		case A_CLOSE:
			close(fd);
			fd = -1;
			break;
		}
	}
	if (fd != -1) {
		/* Let the publisher read the last reply before closing. */
		usleep(100000);
		close(fd);
	}
	return NULL;
}

/* Polls the stats until published + refused reach n (5 s at most). */
static struct pub_stats
settle(struct publisher *p, uint64_t n)
{
	struct timespec ts = { 0, 10 * 1000000L };
	struct pub_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		pub_stats(p, &st);
		if (st.published + st.refused >= n && st.queued == 0)
			break;
		nanosleep(&ts, NULL);
	}
	return st;
}

int
main(void)
{
	static const enum act acts[] = { A_CREATED, A_SPLIT, A_REFUSE, A_CLOSE,
		A_CREATED, A_CREATED };
	struct fake f = { .acts = acts, .nacts = sizeof(acts) / sizeof(*acts) };
	struct publisher *p;
	struct pub_stats st;
	pthread_t th;
	char err[256], target[120];
	int i;

	snprintf(path, sizeof(path), "/tmp/t_publish.%d.sock", (int)getpid());
	snprintf(target, sizeof(target), "unix:%s", path);

	ok(pub_new("tcp:1.2.3.4:80", 4, err, sizeof(err)) == NULL &&
		strstr(err, "unix:/path") != NULL,
	    "a target that is not unix:/path is refused (%s)", err);

	/* Nothing listens yet: the message waits, errors count. */
	unlink(path);
	p = pub_new(target, 3, err, sizeof(err));
	ok(p != NULL, "pub_new");
	ok(pub_start(p, err, sizeof(err)) == 0, "pub_start");
	is_int(pub_push(p, "acme", "created", "{\"id\":1}", 8), 0, "queued 1");
	for (i = 0; i < 500; i++) {
		pub_stats(p, &st);
		if (st.errors >= 1)
			break;
		usleep(10000);
	}
	ok(st.errors >= 1 && st.queued == 1 && !st.connected,
	    "no nchan: errors counted (%llu), the message kept",
	    (unsigned long long)st.errors);

	f.lfd = listen_unix();
	pthread_create(&th, NULL, fake_thread, &f);
	st = settle(p, 1);
	is_int((long long)st.published, 1, "nchan back: the kept one sent");
	/* 2: a split reply; 3: refused; 4: the connection is closed
	 * before the reply, so 4 is sent again on a new connection. */
	for (i = 2; i <= 4; i++) {
		char b[32];

		snprintf(b, sizeof(b), "{\"id\":%d}", i);
		pub_push(p, i == 3 ? "beta" : "acme",
		    i == 4 ? "hangup" : "state", b, strlen(b));
	}
	st = settle(p, 4);
	is_int((long long)st.refused, 1, "a 403 is dropped and counted");
	is_int((long long)st.published, 3,
	    "a split reply read whole; unanswered: sent again and published");
	pub_push(p, "acme", "destroyed", "{\"id\":5}", 8);
	st = settle(p, 5);
	is_int(
	    (long long)st.published, 4, "the next one on the new connection");
	pthread_join(th, NULL);
	ok(f.conns == 2, "two connections in all (%d)", f.conns);
	is_str(f.log,
	    "acme created {\"id\":1}|acme state {\"id\":2}|beta state "
	    "{\"id\":3}|acme hangup {\"id\":4}|acme hangup {\"id\":4}|"
	    "acme destroyed {\"id\":5}|",
	    "in order, with channel and event; the unanswered one twice");

	/* The fake is gone: a full queue drops the newest and counts. */
	close(f.lfd);
	unlink(path);
	for (i = 0; i < 6; i++)
		pub_push(p, "acme", "state", "{}", 2);
	pub_stats(p, &st);
	ok(st.dropped >= 3 && st.queued <= 3,
	    "a full queue drops (dropped %llu, queued %zu of 3)",
	    (unsigned long long)st.dropped, st.queued);
	ok(pub_push(p,
	       "a-channel-name-longer-than-sixty-four-bytes-is-"
	       "not-a-tenant-of-pbxapi",
	       "state", "{}", 2) == -1,
	    "an over-long channel is refused");
	pub_free(p);

	/*
	 * A peer that accepts and closes (a wrong socket, an nginx dropping
	 * connections): the publisher backs off as when it cannot connect,
	 * not a connection per loop.
	 */
	{
		struct fake g = { 0 };

		g.lfd = listen_unix();
		p = pub_new(target, 3, err, sizeof(err));
		ok(p != NULL && pub_start(p, err, sizeof(err)) == 0,
		    "a publisher to a peer that closes at once");
		pub_push(p, "acme", "state", "{}", 2);
		pthread_create(&th, NULL, slam_thread, &g);
		pthread_join(th, NULL);
		pub_stats(p, &st);
		ok(g.conns >= 2 && g.conns <= 8,
		    "it backs off: %d connections in a second", g.conns);
		ok(st.queued == 1, "the message is kept");
		pub_free(p);
		close(g.lfd);
		unlink(path);
	}
	return done_testing();
}
