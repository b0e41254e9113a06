/*
 * evsource: runs one event source (fcgi/companion/event.h) against a
 * tenant made of KEY=VALUE settings and prints what it gives its sink,
 * one JSON object a line, for the integration tests of the sources.
 *
 * usage: evsource [-n runs] [-w wait_ms] BACKEND [KEY=VALUE ...]
 *
 * BACKEND is a source's name (esl).  The source runs -n times (default
 * 1, 0: until a signal), -w milliseconds apart (default 100).  SIGTERM
 * or SIGINT sets the source's stop flag.  Lines:
 *
 *	{"sync":"begin"}  {"sync":"end"}
 *	{"type":"created","ts_ms":N,"backend":"esl","chan":{...},...}
 *	{"down":"why"}
 *	{"return":"E_BACKEND","why":"...","run":N}
 *
 * An event's NULL fields are left out; chan.state is ARI's name.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "event.h"
#include "src_esl.h"

static const struct {
	const char *name;
	ev_source_fn fn;
} sources[] = {
	{ "esl", src_esl },
};

static const char *const err_names[] = {
#define X(name, status, text) #name,
	ERR_TABLE
#undef X
};

static _Atomic int stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* s as a JSON string. */
static void
str(const char *s)
{
	unsigned char ch;

	putchar('"');
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* ,"key":"value" when value is not NULL. */
static void
field(const char *key, const char *value)
{
	if (value == NULL)
		return;
	printf(",\"%s\":", key);
	str(value);
}

static void
chan(const struct ev_chan *c)
{
	printf(",\"chan\":{\"state\":\"%s\"", ev_state_name(c->state));
	field("id", c->id);
	field("name", c->name);
	field("caller_num", c->caller_num);
	field("caller_name", c->caller_name);
	field("connected_num", c->connected_num);
	field("connected_name", c->connected_name);
	field("accountcode", c->accountcode);
	field("context", c->context);
	field("exten", c->exten);
	printf(",\"priority\":%ld", c->priority);
	field("app", c->app);
	field("app_data", c->app_data);
	field("linkedid", c->linkedid);
	field("bridge", c->bridge);
	field("language", c->language);
	printf(",\"created_ms\":%lld}", (long long)c->created_ms);
}

static void
on_event(struct ev_sink *s, const struct ev *e)
{
	(void)s;
	printf("{\"type\":\"%s\",\"ts_ms\":%lld", ev_type_name(e->type),
	    (long long)e->ts_ms);
	field("backend", e->backend);
	chan(&e->chan);
	field("peer", e->peer);
	field("dialstatus", e->dialstatus);
	field("digit", e->digit);
	printf(",\"duration_ms\":%ld,\"cause\":%d", e->duration_ms, e->cause);
	field("cause_txt", e->cause_txt);
	field("peer_state", e->peer_state);
	field("queue", e->queue);
	field("member", e->member);
	field("member_state", e->member_state);
	printf("}\n");
	fflush(stdout);
}

static void
on_begin(struct ev_sink *s)
{
	(void)s;
	printf("{\"sync\":\"begin\"}\n");
	fflush(stdout);
}

static void
on_end(struct ev_sink *s)
{
	(void)s;
	printf("{\"sync\":\"end\"}\n");
	fflush(stdout);
}

static void
on_down(struct ev_sink *s, const char *why)
{
	(void)s;
	printf("{\"down\":");
	str(why);
	printf("}\n");
	fflush(stdout);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: evsource [-n runs] [-w wait_ms] BACKEND [KEY=VALUE ...]\n");
	exit(2);
}

static ev_source_fn
source(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(name, sources[i].name) == 0)
			return sources[i].fn;
	fprintf(stderr, "evsource: no source '%s'\n", name);
	exit(2);
}

/* Runs fn runs times (0: until a signal), wait_ms apart. */
static int
loop(ev_source_fn fn, const struct tenant *t, long runs, long wait_ms)
{
	struct ev_sink sink = { .begin_sync = on_begin,
		.end_sync = on_end,
		.event = on_event,
		.down = on_down };
	struct timespec ts = { wait_ms / 1000, (wait_ms % 1000) * 1000000 };
	char why[512];
	enum err e = E_OK;
	long i;

	for (i = 1; !stop && (runs == 0 || i <= runs); i++) {
		e = fn(t, &sink, &stop, why, sizeof(why));
		printf("{\"return\":\"%s\",\"why\":", err_names[e]);
		str(e == E_OK ? "" : why);
		printf(",\"run\":%ld}\n", i);
		fflush(stdout);
		if (!stop && (runs == 0 || i < runs))
			nanosleep(&ts, NULL);
	}
	return e == E_OK ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct tenant t = { .name = "evsource" };
	struct arena *a = arena_new();
	long runs = 1, wait_ms = 100;
	const char *eq;
	ev_source_fn fn;
	int ch, rc;

	while ((ch = getopt(argc, argv, "n:w:")) != -1) {
		if (ch == 'n')
			runs = strtol(optarg, NULL, 10);
		else if (ch == 'w')
			wait_ms = strtol(optarg, NULL, 10);
		else
			usage();
	}
	if (optind >= argc || runs < 0 || wait_ms < 0)
		usage();
	fn = source(argv[optind]);
	for (ch = optind + 1; ch < argc; ch++) {
		if ((eq = strchr(argv[ch], '=')) == NULL)
			usage();
		env_set(a, &t, argv[ch], (size_t)(eq - argv[ch]), eq + 1,
		    strlen(eq + 1));
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = loop(fn, &t, runs, wait_ms);
	arena_free(a);
	return rc;
}
