/*
 * Socket I/O under deadlines (see netio.h).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netio.h"

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
net_deadline(long ms)
{
	return mono_ms() + (uint64_t)(ms > 0 ? ms : 0);
}

long
net_left(uint64_t deadline)
{
	uint64_t now = mono_ms();

	return now >= deadline ? 0 : (long)(deadline - now);
}

/* The calling thread's stop flag (net_watch), or NULL. */
static _Thread_local const _Atomic int *watched;

void
net_watch(const _Atomic int *stop)
{
	watched = stop;
}

int
net_stopped(void)
{
	return watched != NULL && atomic_load(watched) != 0;
}

int
net_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long left, slice = watched != NULL ? NET_WATCH_MS : 60000;
	int n;

	for (;;) {
		if (net_stopped()) {
			errno = ECANCELED;
			return -1;
		}
		left = net_left(deadline);
		if (left == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)(left > slice ? slice : left));
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
connect_one(const struct sockaddr *sa, socklen_t len, uint64_t deadline)
{
	int fd, fl, soerr = 0;
	socklen_t sl = sizeof(soerr);

	fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, sa, len) == -1) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto fail;
		if (net_wait(fd, POLLOUT, deadline) == -1)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		goto fail;
	if (sa->sa_family != AF_UNIX) {
		fl = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &fl, sizeof(fl));
	}
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

int
net_connect(const char *host, const char *port, uint64_t deadline, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	int fd = -1, rc, saved = 0;

	if (host[0] == '/') {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(host) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		memcpy(sun.sun_path, host, strlen(host));
		fd =
		    connect_one((struct sockaddr *)&sun, sizeof(sun), deadline);
		if (fd == -1)
			snprintf(err, errlen, "%s", strerror(errno));
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen,
		    "php_network_getaddresses: getaddrinfo for %s failed: %s",
		    host, gai_strerror(rc));
		errno = 0;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = connect_one(ai->ai_addr, ai->ai_addrlen, deadline);
		if (fd != -1)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		errno = saved;
		snprintf(err, errlen, "%s",
		    saved == ETIMEDOUT ? "Connection timed out"
				       : strerror(saved));
	}
	return fd;
}

ssize_t
net_read(int fd, void *buf, size_t n, uint64_t deadline)
{
	ssize_t r;

	for (;;) {
		if (net_wait(fd, POLLIN, deadline) == -1)
			return -1;
		r = recv(fd, buf, n, MSG_DONTWAIT);
		if (r >= 0)
			return r;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
}

int
net_write(int fd, const void *buf, size_t n, uint64_t deadline)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (net_wait(fd, POLLOUT, deadline) == -1)
			return -1;
	}
	return 0;
}
