/*
 * amiload: the ceiling for the sippeers benchmark.  Opens N logged-in AMI
 * connections (as N pbxapi workers would) and sends PJSIPShowEndpoints on
 * each as fast as the server answers, reading every reply to its
 * EndpointListComplete event, for S seconds; prints actions per second.
 *
 *   amiload HOST PORT CONNECTIONS SECONDS USER SECRET
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *host, *user, *secret;
static int port, seconds;
static _Atomic unsigned long done;
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

static void *
run(void *arg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[65536], req[256];
	size_t len = 0;
	unsigned long id = 0;
	int fd, on = 1;

	(void)arg;
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
		snprintf(req, sizeof(req),
		    "Action: PJSIPShowEndpoints\r\nActionID: l-%lu\r\n\r\n",
		    ++id);
		if (send_all(fd, req, strlen(req)) == -1 ||
		    read_until(fd, "EventList: Complete\r\n", buf, sizeof(buf),
			&len) == -1 ||
		    read_until(fd, "\r\n\r\n", buf, sizeof(buf), &len) == -1)
			break;
		atomic_fetch_add(&done, 1);
	}
out:
	close(fd);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t th[256];
	int n, i;

	if (argc != 7) {
		fprintf(stderr,
		    "usage: amiload host port conns seconds user "
		    "secret\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	n = atoi(argv[3]);
	seconds = atoi(argv[4]);
	user = argv[5];
	secret = argv[6];
	if (n < 1 || n > 256)
		return 2;
	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, run, NULL);
	sleep((unsigned)seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("%.1f\n", (double)atomic_load(&done) / seconds);
	return 0;
}
