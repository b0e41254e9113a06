/*
 * esl_double: a FreeSWITCH event socket (mod_event_socket, inbound) for
 * tests (doubles/README.md §1, §3; fusionpbx.md §6).  It binds 127.0.0.1
 * only, writes the chosen port to a file, serves each connection in its
 * own process, records every packet it receives as one JSON line, fakes
 * the APIs FusionPBX uses (originate, status, reloadxml, memcache, and
 * system, which is recorded and never run) and those pbxapi's ARI
 * dialect uses (show channels as json, uuid_*), and misbehaves on
 * request.
 *
 * usage: esl_double -P portfile [-p port] [-w password] [-l log]
 *                   [-t lifetime_s] [-a auth_timeout_s] [-s scenario]
 *                   [-W world_socket]
 * (long forms --port-file, --port, --password, --log, --lifetime (0: no
 * limit), --auth-timeout, --scenario, as the other doubles take them)
 *
 * The scenario file is read again for every connection and every
 * command, so a test changes behaviour by rewriting it.  Lines:
 *
 *   originate +OK | -ERR <CAUSE> | -USAGE   what api originate answers
 *   delay <ms>                              wait before each api answer
 *   fault <scope> <mode> [arg]              misbehave
 *   channel <JSON object>                   a row of show channels
 *   var <uuid> <name> <value>               what uuid_getvar answers
 *   reply <api> <text>                      the output of that API
 *   call <JSON object>                      a rule of the call world
 *
 * (every channel, var and reply line counts, not just the last; chan.c
 * says what the uuid_* APIs answer.)
 *
 * scope: all, conn=<n> (the n-th connection, from 1), cmd=<word> (the
 * command, or for api/bgapi the API: cmd=originate, cmd=auth).  Modes at
 * accept: refuse (close before the greeting), rude (text/rude-rejection),
 * silent (no greeting, never answer).  Modes on a reply: stall (never
 * answer), close-after <n> (send n bytes of it, then close), drip <ms>
 * (one byte per write), split (headers and body in two writes), events
 * (unsolicited event and log line before it), coalesce (it and an event
 * in one write), disconnect (the disconnect notice instead, then close),
 * auth-fail (refuse any password), garbage <kind> with kind nocolon,
 * longhead, endless, nonutf8, nul, clen-neg, clen-huge, clen-nan,
 * clen-short.
 *
 * The call world (tests/doubles/README, live.c): an originate (api or
 * bgapi) to a destination a "call" line or the control socket's "rule"
 * names creates a channel that walks that life ({"dest": "600",
 * "ring_ms": 50, "answer_ms": 100, "outcome": "answer|busy|noanswer|
 * fail|congestion", "cause": 17, "hangup_after_ms": 0, "media": true}),
 * its events (CHANNEL_CREATE ... CHANNEL_DESTROY) go to every connection
 * that asked for them with "event json|plain ALL|NAMES", and uuid_kill,
 * uuid_send_dtmf, uuid_hold, uuid_exists, uuid_bridge and show channels
 * as json act on it.  --world (-W) SOCKET opens the control socket (rule, call,
 * hangup, dtmf, hold, inject, drop, refuse MS, state) and logs the
 * events to --log.
 *
 * Log lines: {"conn":n,"t":secs,"raw":"...","command":"...",
 * "headers":[["name","value"],...],"body":"..."}; strings map each byte
 * to one code point (decode them as latin-1 to get the bytes).
 *
 * This file holds the listener and main(); esl_double.h lists the
 * others.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "world.h"
#include "esl_double.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

double
now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int
listen_on(const struct opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd, one = 1;
	FILE *fp;

	sa.sin_port = htons((unsigned short)o->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		perror("esl_double: listen");
		exit(1);
	}
	/* Written whole under a temporary name, so readers never see half. */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->portfile);
	if ((fp = fopen(tmp, "w")) == NULL) {
		perror("esl_double: port file");
		exit(1);
	}
	fprintf(fp, "%d\n", ntohs(sa.sin_port));
	fclose(fp);
	rename(tmp, o->portfile);
	return fd;
}

static void
child(const struct opts *o, int fd, int n, double deadline)
{
	struct conn c = { .fd = fd, .n = n, .o = o };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	alarm((unsigned)(deadline - now()) + 1);
	serve(&c);
	/* The world may hold the socket too (events): end it for both. */
	shutdown(fd, SHUT_RDWR);
	close(fd);
	_exit(0);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: esl_double -P|--port-file FILE [-p|--port N] "
	    "[-w|--password PW] [-l|--log FILE] [-t|--lifetime S] "
	    "[-a|--auth-timeout S] [-s|--scenario FILE] "
	    "[-W|--world SOCKET]\n");
	exit(2);
}

#define OPT(n, c, t, m)                              \
	{                                            \
		.name = (n), .ch = (c), .type = (t), \
		.off = offsetof(struct opts, m)      \
	}

static const struct dbl_opt opts[] = {
	OPT("port-file", 'P', DBL_STR, portfile),
	OPT("port", 'p', DBL_INT, port),
	OPT("password", 'w', DBL_STR, password),
	OPT("log", 'l', DBL_STR, logfile),
	OPT("lifetime", 't', DBL_INT, lifetime),
	OPT("auth-timeout", 'a', DBL_INT, auth_timeout),
	OPT("scenario", 's', DBL_STR, scenario),
	OPT("world", 'W', DBL_STR, world),
};

/*
 * Sets o from the command line as getopt_long reads it by the table
 * opts ("-P FILE", "--port-file FILE", "--port-file=FILE"); usage() at
 * an unknown option.
 */
static void
options(int argc, char *argv[], struct opts *o)
{
	struct option longs[nitems(opts) + 1] = { { .name = NULL } };
	char shorts[2 * nitems(opts) + 1] = "";
	size_t i;
	int ch;

	for (i = 0; i < nitems(opts); i++) {
		longs[i] = (struct option){ .name = opts[i].name,
			.has_arg = required_argument,
			.val = opts[i].ch };
		shorts[2 * i] = (char)opts[i].ch;
		shorts[2 * i + 1] = ':';
	}
	while ((ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		for (i = 0; i < nitems(opts) && opts[i].ch != ch; i++)
			;
		if (i == nitems(opts))
			usage();
		dbl_opt_put(o, &opts[i], optarg);
	}
}

int
main(int argc, char *argv[])
{
	struct opts o = {
		.password = "ClueCon", .lifetime = 300, .auth_timeout = 25
	};
	struct pollfd pfd;
	struct sigaction sa;
	double deadline;
	int lfd, fd, n = 0;

	options(argc, argv, &o);
	if (o.portfile == NULL)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	lfd = listen_on(&o);
	live_init(&o);
	/* --lifetime 0: until stopped. */
	deadline = now() + (o.lifetime > 0 ? o.lifetime : 1e9);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	while (!stop && now() < deadline) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (world_refusing()) { /* "refuse N_ms": the backend is down */
			close(fd);
			continue;
		}
		n++;
		if (fork() == 0) {
			close(lfd);
			child(&o, fd, n, deadline);
		}
		close(fd);
	}
	close(lfd);
	/* The children stop with their parent (PR_SET_PDEATHSIG). */
	return 0;
}
