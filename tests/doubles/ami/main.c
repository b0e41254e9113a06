/*
 * ami_double: an Asterisk Manager Interface server for the tests
 * (shared/doubles/README.md §1-§2).  Loopback only, port 0 by default,
 * the chosen port written to a file; stops by itself after --lifetime
 * seconds (0: only when killed).
 *
 * Scripted mode replays shared/fixtures/ami: a request is answered by the
 * fixture whose request has the same headers (ActionID aside), else by
 * the fixture named like its action (or <Action>_*), with the client's
 * ActionID substituted (removed when it sent none).  Login checks the
 * user and secret (a failure waits --auth-delay-ms, answers
 * "Authentication failed" and closes); actions before login get
 * "Permission denied"; Logoff says goodbye and closes.  A scenario file
 * (JSON) adds replies and faults per connection or per request:
 *
 *   {"version": "11.0.0", "username": "admin", "secret": "amp111",
 *    "auth_delay_ms": 0,
 *    "rules": [
 *      {"conn": 2, "fault": "refuse"},
 *      {"conn": 3, "fault": "stall", "greet": true},
 *      {"fault": "chatty", "interval_ms": 5},    (0: a flood)
 *      {"action": "Status", "headers": {"Channel": "x"},
 *       "reply": "Status_Channel" | "text": "Response: ...",
 *       "fault": "close-mid-reply", "bytes": 12, "times": 1}]}
 *
 * A rule without "action" applies to whole connections (refuse, stall,
 * chatty, garbage greeting); with one ("*" = any) to matching requests:
 * stall, close-mid-reply (bytes), slow-drip (chunk, delay_ms), coalesce
 * (events around the reply in one write), garbage (kind: nocolon, huge,
 * endless, binary, nul, neverend), auth-fail (for login).  "conn" limits
 * a rule to the n-th connection (1-based), "times" to its first uses.
 * Every received message is logged as one JSON line: {"conn", "t", "raw"
 * (bytes as \u00XX-escaped latin-1), "headers": [[name, value], ...]};
 * accepts and closes too (with any unterminated bytes as "partial").
 *
 * The call world (tests/doubles/README, live.c): an Originate whose
 * Channel dials a destination a rule names (scenario "calls": [{"dest":
 * "600", "ring_ms": 50, "answer_ms": 100, "outcome": "answer|busy|
 * noanswer|fail|congestion", "cause": 17, "hangup_after_ms": 0}], or the
 * control socket's "rule") walks that life, with its events (Newchannel,
 * DialBegin, Newstate, DialEnd, OriginateResponse, HangupRequest,
 * Hangup, ...) sent to every connection logged in with events on;
 * Hangup, PlayDTMF and CoreShowChannels act on the world.  --world
 * SOCKET opens the control socket (rule, call, hangup, dtmf, hold,
 * inject, drop, refuse MS, state) and logs the events to --log.
 *
 * Golden mode (--golden CASES.jsonl --control FILE) serves the AMI side
 * of recorded golden cases like shared/tools/golden-double.
 *
 * This file holds the state and main(); ami_double.h lists the others.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "ami_double.h"

struct ami_state S = { .user = "admin",
	.secret = "amp111",
	.version = "11.0.0",
	.version_arg = "11.0.0",
	.auth_delay_ms = 1000,
	.lock = PTHREAD_MUTEX_INITIALIZER };

static void
usage(void)
{
	fputs(
	    "usage: ami_double [--port N] [--port-file FILE] [--fixtures DIR] [--scenario FILE]\n"
	    "                  [--log FILE] [--lifetime SECONDS] "
	    "[--version V] [--auth-delay-ms N]\n"
	    "                  [--world SOCKET]\n"
	    "       ami_double --golden CASES.jsonl --control FILE "
	    "[--port 15038] [--port-file FILE]\n"
	    "                  [--log DIR] [--lifetime SECONDS]\n",
	    stderr);
	exit(2);
}

/* The command line. */
struct args {
	const char *port_file, *scenario, *log, *golden, *control, *fixtures;
	const char *version, *world;
	long lifetime, port, auth_delay_ms;
};

#define ARG(n, t, m)                                                      \
	{                                                                 \
		.name = (n), .type = (t), .off = offsetof(struct args, m) \
	}

static const struct dbl_opt opts[] = {
	ARG("port", DBL_LONG, port),
	ARG("port-file", DBL_STR, port_file),
	ARG("fixtures", DBL_STR, fixtures),
	ARG("scenario", DBL_STR, scenario),
	ARG("log", DBL_STR, log),
	ARG("lifetime", DBL_LONG, lifetime),
	ARG("version", DBL_STR, version),
	ARG("auth-delay-ms", DBL_LONG, auth_delay_ms),
	ARG("golden", DBL_STR, golden),
	ARG("control", DBL_STR, control),
	ARG("world", DBL_STR, world),
};

int
main(int argc, char **argv)
{
	static char fx[4096];
	struct args o = { .fixtures = "../shared/fixtures/ami",
		.version = S.version_arg,
		.lifetime = 300,
		.auth_delay_ms = S.auth_delay_ms };
	int lfd;

	signal(SIGPIPE, SIG_IGN);
	if (getenv("PBXAPI_SHARED") != NULL) {
		snprintf(
		    fx, sizeof(fx), "%s/fixtures/ami", getenv("PBXAPI_SHARED"));
		o.fixtures = fx;
	}
	if (dbl_opt_args(&o, opts, nitems(opts), argc, argv) == -1 ||
	    (o.golden != NULL && o.control == NULL))
		usage();
	S.version = S.version_arg = o.version;
	S.auth_delay_ms = o.auth_delay_ms;
	S.start = now();
	if (o.lifetime <= 0) /* 0: until killed (make demo) */
		o.lifetime = 10L * 365 * 86400;
	if (o.golden != NULL) {
		golden(o.golden, o.control, (int)o.port, o.port_file, o.log,
		    S.start + (double)o.lifetime);
		return 0;
	}
	load_fixtures(o.fixtures);
	live_init(o.log, o.world);
	if (o.scenario != NULL && load_scenario(o.scenario) == -1)
		die("cannot load '%s'", o.scenario);
	S.scenario = o.scenario;
	if (o.log != NULL && (S.log = fopen(o.log, "a")) == NULL)
		die("cannot open '%s'", o.log);
	lfd = listen_on((int)o.port, o.port_file);
	scripted(lfd, S.start + (double)o.lifetime);
	return 0;
}
