/*
 * amiload: the AMI double's own limit, the ceiling of the benchmarks that
 * go through AMI.  Opens N logged-in AMI connections (as N pbxapi workers
 * would) and on each sends the steps one after the other as fast as the
 * server answers, for S seconds; prints rounds of steps per second.  A
 * step is an action with its headers, "Action,Key=Value,...";  its reply
 * is read to the end, and to the list's "EventList: Complete" event when
 * the reply starts a list.  Without steps: PJSIPShowEndpoints (sippeers).
 * Prints "<rounds per second> <p99 of a round in ms>".
 *
 *   amiload HOST PORT CONNECTIONS SECONDS USER SECRET [STEP ...]
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *host, *user, *secret;
static int port, seconds;
static const char *const *steps;
static int nsteps;
static _Atomic unsigned long done;
#define SAMPLES (1u << 18) /* round latencies kept per connection */
static uint32_t *lat[256]; /* microseconds, per connection */
static size_t nlat[256];
static _Atomic int stop;

/* Reads until needle has been seen; returns 0, or -1 at end of stream. */
static int
read_until(int fd, const char *needle, char *buf, size_t size, size_t *len)
{
	char *hit;
	ssize_t n;

	for (;;) {
		buf[*len] = '\0';
		if ((hit = strstr(buf, needle)) != NULL) {
			hit += strlen(needle);
			*len -= (size_t)(hit - buf);
			memmove(buf, hit, *len);
			return 0;
		}
		if (*len + 1 >= size) { /* keep the tail that may match */
			memmove(buf, buf + *len - 64, 64);
			*len = 64;
		}
		n = read(fd, buf + *len, size - 1 - *len);
		if (n <= 0)
			return -1;
		*len += (size_t)n;
	}
}

static int
send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes step ("Action,Key=Value,...") as an AMI action with id to req. */
static void
action(char *req, size_t size, const char *step, unsigned long id)
{
	size_t n = 0;
	const char *p;

	n += (size_t)snprintf(req + n, size - n, "Action: ");
	for (p = step; *p != '\0' && n + 8 < size; p++) {
		if (*p == ',')
			n += (size_t)snprintf(req + n, size - n, "\r\n");
		else if (*p == '=')
			n += (size_t)snprintf(req + n, size - n, ": ");
		else
			req[n++] = *p;
	}
	snprintf(req + n, size - n, "\r\nActionID: l-%lu\r\n\r\n", id);
}

/* Sends one step and reads its reply (and list).  Returns 0 or -1. */
static int
step(int fd, const char *st, unsigned long id, char *buf, size_t size,
    size_t *len)
{
	char req[512];
	char *end;
	int list;

	action(req, sizeof(req), st, id);
	if (send_all(fd, req, strlen(req)) == -1)
		return -1;
	/* The response block: is it the start of a list? */
	for (;;) {
		buf[*len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		ssize_t n = read(fd, buf + *len, size - 1 - *len);
		if (n <= 0)
			return -1;
		*len += (size_t)n;
	}
	*end = '\0';
	list = strstr(buf, "EventList: start") != NULL;
	end += 4;
	*len -= (size_t)(end - buf);
	memmove(buf, end, *len);
	if (!list)
		return 0;
	if (read_until(fd, "EventList: Complete\r\n", buf, size, len) == -1)
		return -1;
	return read_until(fd, "\r\n\r\n", buf, size, len);
}

static void *
run(void *arg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[65536], req[256];
	size_t len = 0;
	unsigned long id = 0;
	int fd, on = 1, i, slot = (int)(intptr_t)arg;
	struct timespec t0, t1;

	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, host, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	snprintf(req, sizeof(req),
	    "Action: login\r\nUsername: %s\r\nSecret: %s\r\nEvents: "
	    "off\r\n\r\n",
	    user, secret);
	if (send_all(fd, req, strlen(req)) == -1 ||
	    read_until(fd, "Authentication accepted\r\n\r\n", buf, sizeof(buf),
		&len) == -1)
		goto out;
	while (!atomic_load(&stop)) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < nsteps; i++)
			if (step(fd, steps[i], ++id, buf, sizeof(buf), &len) ==
			    -1)
				goto out;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (nlat[slot] < SAMPLES)
			lat[slot][nlat[slot]++] =
			    (uint32_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
				(t1.tv_nsec - t0.tv_nsec) / 1000);
		atomic_fetch_add(&done, 1);
	}
out:
	close(fd);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The 99th percentile of every connection's round latencies, in ms. */
static double
p99_ms(int n)
{
	size_t total = 0, k = 0, i;
	uint32_t *all;
	int c;

	for (c = 0; c < n; c++)
		total += nlat[c];
	if (total == 0 || (all = malloc(total * sizeof(*all))) == NULL)
		return 0.0;
	for (c = 0; c < n; c++)
		for (i = 0; i < nlat[c]; i++)
			all[k++] = lat[c][i];
	qsort(all, total, sizeof(*all), cmp_u32);
	k = (total * 99 + 99) / 100 - 1;
	return all[k] / 1000.0;
}

int
main(int argc, char *argv[])
{
	static const char *const sippeers[] = { "PJSIPShowEndpoints" };
	pthread_t th[256];
	int n, i;

	if (argc < 7) {
		fprintf(stderr,
		    "usage: amiload host port conns seconds user "
		    "secret [step ...]\n");
		return 2;
	}
	steps = argc > 7 ? (const char *const *)argv + 7 : sippeers;
	nsteps = argc > 7 ? argc - 7 : 1;
	host = argv[1];
	port = atoi(argv[2]);
	n = atoi(argv[3]);
	seconds = atoi(argv[4]);
	user = argv[5];
	secret = argv[6];
	if (n < 1 || n > 256)
		return 2;
	for (i = 0; i < n; i++) {
		if ((lat[i] = malloc(SAMPLES * sizeof(uint32_t))) == NULL)
			return 1;
		pthread_create(&th[i], NULL, run, (void *)(intptr_t)i);
	}
	sleep((unsigned)seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("%.1f %.3f\n", (double)atomic_load(&done) / seconds, p99_ms(n));
	return 0;
}
