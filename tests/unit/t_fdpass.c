/*
 * Passing a descriptor (fdpass.c) as the master does to the companion on
 * SIGUSR1: over a datagram socketpair, without blocking, one at a time.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"
#include "tap.h"

int
main(void)
{
	int sv[2], p[2], fd;
	char buf[8] = { 0 };

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe(p) == -1)
		return 1;
	errno = 0;
	is_int(fd_recv(sv[1]), -1, "nothing sent: -1");
	is_int(errno, EAGAIN, "nothing sent: EAGAIN, without blocking");

	is_int(fd_send(sv[0], p[1]), 0, "a pipe's write end sent");
	close(p[1]);
	fd = fd_recv(sv[1]);
	ok(fd > 2, "received as a new descriptor (%d)", fd);
	ok(fd != -1 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "received close-on-exec");
	ok(fd != -1 && write(fd, "log", 3) == 3 && read(p[0], buf, 3) == 3 &&
		memcmp(buf, "log", 3) == 0,
	    "it is the same pipe: written through it, read at the other end");
	if (fd != -1)
		close(fd);

	/* A datagram without a descriptor is not one. */
	ok(send(sv[0], "x", 1, 0) == 1, "a plain byte sent");
	errno = 0;
	is_int(fd_recv(sv[1]), -1, "a byte without a descriptor: -1");
	is_int(errno, EBADMSG, "EBADMSG");

	close(sv[1]);
	is_int(fd_send(sv[0], p[0]), -1, "the peer gone: -1, no SIGPIPE");
	close(sv[0]);
	close(p[0]);
	return done_testing();
}
