/*
 * Socket I/O under deadlines, shared by the line protocols (AMI, ESL).
 * Every call takes an absolute deadline on the monotonic clock (from
 * net_deadline()); nothing blocks past it.
 */
#ifndef PBXAPI_NETIO_H
#define PBXAPI_NETIO_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* Returns the monotonic time in milliseconds ms from now. */
uint64_t net_deadline(long ms);

/* Returns the milliseconds left until deadline (0 if past). */
long net_left(uint64_t deadline);

/*
 * Watches stop for the calling thread (NULL: nothing, the default).
 * While it is set, every wait of netio and of the drivers built on it
 * (ws.c; ari.c through curl's progress callback) gives up within
 * NET_WATCH_MS, with errno ECANCELED.  An event source sets it around
 * its connect and rebuild, whose deadlines are longer than the second
 * in which it must see a stop (event.h).
 */
#define NET_WATCH_MS 250
void net_watch(const _Atomic int *stop);

/* Whether the calling thread's watched flag (net_watch) is set. */
int net_stopped(void);

/*
 * Waits until fd has events (POLLIN, POLLOUT), the deadline passes or
 * the watched flag is set.  Returns 0, or -1 with errno (ETIMEDOUT,
 * ECANCELED, poll's).
 */
int net_wait(int fd, short events, uint64_t deadline);

/*
 * Connects to host:port (TCP, or a unix socket if host starts with '/').
 * Returns a blocking, close-on-exec fd, or -1 with errno set and a
 * message in the PHP fsockopen style in err ("Connection refused",
 * "php_network_getaddresses: getaddrinfo for X failed: ..."); errno is
 * ETIMEDOUT past the deadline, ECANCELED on a stop (net_watch).  The
 * name lookup itself is not bounded by either.
 */
int net_connect(const char *host, const char *port, uint64_t deadline,
    char *err, size_t errlen);

/*
 * Reads at most n bytes.  Returns the count, 0 at end of stream, or -1
 * with errno set (ETIMEDOUT past the deadline).
 */
ssize_t net_read(int fd, void *buf, size_t n, uint64_t deadline);

/* Writes all n bytes.  Returns 0, or -1 with errno set. */
int net_write(int fd, const void *buf, size_t n, uint64_t deadline);

#endif
