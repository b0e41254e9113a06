/*
 * The event-socket client (drivers/esl.c) against the ESL double
 * (tests/doubles/esl/, run from $PBXAPI_BUILD or build/): auth, api,
 * bgapi with Job-UUID, sendevent, reuse after idle events, refusal of CR
 * and LF, and the faults that must end in an error within the deadline.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "esl.h"
#include "netio.h"
#include "tap.h"
#include "testlib.h"

static char port[16];
static pid_t dbl;

/* Writes the scenario file the double plays. */
#define scenario(text) tl_put("scenario", (text))

/* Starts the double; returns 0, or -1 if it is not built. */
static int
start(void)
{
	const char *b = getenv("PBXAPI_BUILD");
	const char *pf = tl_path("port");
	char bin[512];
	struct timespec ts = { 0, 20000000 };
	FILE *fp;
	int i;

	snprintf(bin, sizeof(bin), "%s/doubles/esl_double", b ? b : "build");
	if (access(bin, X_OK) != 0)
		return -1;
	scenario("");
	if ((dbl = fork()) == 0) {
		execl(bin, bin, "-P", pf, "-s", tl_path("scenario"), "-l",
		    tl_path("log"), "-t", "60", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 250 && (fp = fopen(pf, "r")) == NULL; i++)
		nanosleep(&ts, NULL);
	if (fp == NULL || fgets(port, sizeof(port), fp) == NULL)
		return -1;
	port[strcspn(port, "\n")] = '\0';
	fclose(fp);
	return 0;
}

static struct esl *
open_one(const char *password, enum err want, const char *name)
{
	struct esl_conf cf = { "127.0.0.1", port, password };
	struct esl *c = NULL;
	char why[256];

	is_int(esl_open(&cf, net_deadline(2000), &c, why, sizeof(why)), want,
	    name);
	return c;
}

static void
commands(struct arena *a)
{
	struct esl *c = open_one("ClueCon", E_OK, "auth accepted");
	const char *hdrs[] = { "Event-Name", "CUSTOM", "Event-Subclass",
		"fusion::file" };
	char why[256], *body;
	size_t n;

	if (c == NULL)
		return;
	is_int(esl_api(c, "status", net_deadline(2000), a, &body, &n, why,
		   sizeof(why)),
	    E_OK, "api status");
	ok(strncmp(body, "UP ", 3) == 0, "api/response body");
	is_int(esl_bgapi(c, "originate loopback/100/x &park()",
		   "7f4de4bc-0000-4000-8000-000000000001", net_deadline(2000),
		   why, sizeof(why)),
	    E_OK, "bgapi with Job-UUID");
	is_int(esl_sendevent(
		   c, "CUSTOM", hdrs, 2, net_deadline(2000), why, sizeof(why)),
	    E_OK, "sendevent");
	is_int(esl_api(c, "nosuch", net_deadline(2000), a, &body, &n, why,
		   sizeof(why)),
	    E_OK, "unknown api");
	is_str(body, "-ERR nosuch Command not found!\n", "its -ERR text");
	is_int(esl_api(c, "status\n\napi system x", net_deadline(2000), a,
		   &body, &n, why, sizeof(why)),
	    E_BADREQ, "a command with LF is refused");
	ok(!esl_broken(c), "and the connection stays usable");
	ok(esl_usable(c), "usable when idle");
	esl_close(c);
	open_one("wrong", E_BACKEND, "a wrong password is E_BACKEND");
}

/* One fault on originate: the call must fail within its deadline. */
static void
fault(struct arena *a, const char *sc, enum err want, const char *name)
{
	struct esl *c;
	char why[256], *body;
	size_t n;
	time_t t0 = time(NULL);

	scenario(sc);
	if ((c = open_one("ClueCon", E_OK, name)) == NULL)
		return;
	is_int(esl_api(c, "originate a b", net_deadline(1000), a, &body, &n,
		   why, sizeof(why)),
	    want, name);
	ok(time(NULL) - t0 <= 3, "%s: within the deadline", name);
	ok(want == E_OK || esl_broken(c), "%s: connection dropped", name);
	esl_close(c);
}

/* Polls until an api answer or the deadline; counts events and waits. */
static enum err
poll_api(struct esl *c, long ms, const char **body, size_t *n, int *quiet,
    int *events)
{
	uint64_t end = net_deadline(ms);
	enum esl_poll_kind k = ESL_POLL_NONE;
	char why[256];
	enum err e = E_OK;

	*quiet = *events = 0;
	while (e == E_OK && k != ESL_POLL_API && net_left(end) > 0) {
		e = esl_poll(
		    c, net_deadline(20), &k, body, n, why, sizeof(why));
		*quiet += e == E_OK && k == ESL_POLL_NONE;
		*events += e == E_OK && k == ESL_POLL_EVENT;
	}
	return e == E_OK && k != ESL_POLL_API ? E_TIMEOUT : e;
}

/* The event stream: subscribe, quiet polls, an api answer in between. */
static void
stream(void)
{
	struct esl *c = open_one("ClueCon", E_OK, "stream: auth");
	const char *body;
	enum esl_poll_kind k;
	char why[256];
	int quiet, events;
	size_t n;

	if (c == NULL)
		return;
	is_int(esl_subscribe(c, "CHANNEL_CREATE CHANNEL_DESTROY",
		   net_deadline(2000), why, sizeof(why)),
	    E_OK, "event json: +OK event listener enabled json");
	is_int(esl_poll(c, net_deadline(50), &k, &body, &n, why, sizeof(why)),
	    E_OK, "a quiet poll is no error");
	is_int(k, ESL_POLL_NONE, "nothing came");
	ok(!esl_broken(c), "the connection stays usable");
	is_int(esl_subscribe(c, "CHANNEL_CREATE\napi system x",
		   net_deadline(2000), why, sizeof(why)),
	    E_BADREQ, "an LF in the event list is refused");
	ok(!esl_broken(c), "nothing was sent: still usable");
	is_int(esl_api_send(c, "status", net_deadline(2000), why, sizeof(why)),
	    E_OK, "api sent without waiting");
	is_int(poll_api(c, 2000, &body, &n, &quiet, &events), E_OK,
	    "its answer comes from the poll");
	ok(n > 3 && memcmp(body, "UP ", 3) == 0, "the api/response body");
	scenario("fault cmd=status drip 2\n");
	esl_api_send(c, "status", net_deadline(2000), why, sizeof(why));
	is_int(poll_api(c, 5000, &body, &n, &quiet, &events), E_OK,
	    "a dripped answer across quiet polls");
	ok(quiet > 1, "polls ran out of time mid-message (%d)", quiet);
	ok(n > 3 && memcmp(body, "UP ", 3) == 0, "and it came whole");
	scenario("fault cmd=status disconnect\n");
	esl_api_send(c, "status", net_deadline(2000), why, sizeof(why));
	is_int(poll_api(c, 2000, &body, &n, &quiet, &events), E_BACKEND,
	    "a disconnect notice ends the stream");
	ok(esl_broken(c), "the connection is broken then");
	scenario("");
	esl_close(c);
}

int
main(void)
{
	struct arena *a = arena_new();

	tl_tmpdir("t_esl");
	if (start() == -1) {
		printf("1..0 # SKIP esl_double not built\n");
		tl_rmtmp();
		return 0;
	}
	commands(a);
	fault(a, "fault cmd=originate stall\n", E_TIMEOUT, "stall");
	fault(a, "fault cmd=originate close-after 30\n", E_BACKEND,
	    "close mid-reply");
	fault(a, "fault cmd=originate garbage clen-neg\n", E_PROTO,
	    "negative Content-Length");
	fault(a, "fault cmd=originate garbage clen-huge\n", E_PROTO,
	    "huge Content-Length");
	fault(a, "fault cmd=originate garbage endless\n", E_PROTO,
	    "endless header line");
	fault(a, "fault cmd=originate events\n", E_OK, "events first");
	fault(a, "fault cmd=originate coalesce\n", E_OK, "coalesced");
	fault(a, "fault cmd=originate drip 1\n", E_OK, "dripped");
	stream();
	kill(dbl, SIGTERM);
	waitpid(dbl, NULL, 0);
	tl_rmtmp();
	arena_free(a);
	return done_testing();
}
