/*
 * evsource: runs one event source (fcgi/companion/event.h) for a tenant
 * of a configuration file and prints each sink callback as one JSON line
 * on stdout, so that tests drive a source against the doubles without
 * the companion:
 *
 *   evsource [-T] [-t seconds] CONFIG TENANT SOURCE
 *
 *   {"cb":"begin_sync"}
 *   {"cb":"event","type":"created","ts_ms":...,"backend":"ari",
 *    "chan":{"id":...,"state":"Up",...},"peer":...}  (fields said only)
 *   {"cb":"end_sync"}
 *   {"cb":"down","why":"..."}
 *   {"cb":"return","rc":"E_BACKEND","status":503,"err":"..."}
 *
 * The last line is the source's return; then evsource exits 0 if the
 * source returned E_OK (it was stopped: SIGTERM, SIGINT, or -t seconds
 * passed) and 1 otherwise, with the reason on stderr too.  SOURCE names
 * an entry of the table below: a new source adds its line.  With -T the
 * source runs on a thread of its own that takes no signal, as in the
 * companion: a stop then reaches it through the flag only, not as an
 * interrupted system call.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "companion.h"
#include "conf.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "src_ari.h"
#include "src_esl.h"

static const struct {
	const char *name;
	ev_source_fn fn;
} sources[] = {
	{ "ami", src_ami },
	{ "ari", src_ari },
	{ "esl", src_esl },
};

static _Atomic int stop;

/* A source run (-T: on its own thread). */
struct run {
	ev_source_fn fn;
	const struct tenant *t;
	struct ev_sink *sink;
	char *err;
	size_t errlen;
	enum err rc;
};

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
emit(struct buf *b)
{
	buf_addc(b, '\n');
	fwrite(b->data, 1, b->len, stdout);
	fflush(stdout);
	buf_clear(b);
}

static void
kv_str(struct jw *w, const char *k, const char *v)
{
	if (v == NULL)
		return;
	jw_keyz(w, k);
	jw_strz(w, v);
}

static void
kv_int(struct jw *w, const char *k, long long v, long long unsaid)
{
	if (v == unsaid)
		return;
	jw_keyz(w, k);
	jw_int(w, v);
}

static void
put_chan(struct jw *w, const struct ev_chan *c)
{
	jw_keyz(w, "chan");
	jw_obj_open(w);
	kv_str(w, "id", c->id);
	kv_str(w, "name", c->name);
	kv_str(w, "state", ev_state_name(c->state));
	kv_str(w, "caller_num", c->caller_num);
	kv_str(w, "caller_name", c->caller_name);
	kv_str(w, "connected_num", c->connected_num);
	kv_str(w, "connected_name", c->connected_name);
	kv_str(w, "accountcode", c->accountcode);
	kv_str(w, "context", c->context);
	kv_str(w, "exten", c->exten);
	kv_int(w, "priority", c->priority, -1);
	kv_str(w, "app", c->app);
	kv_str(w, "app_data", c->app_data);
	kv_str(w, "linkedid", c->linkedid);
	kv_str(w, "bridge", c->bridge);
	kv_str(w, "language", c->language);
	kv_int(w, "created_ms", c->created_ms, 0);
	jw_obj_close(w);
}

static void
cb_line(const char *cb, const char *why)
{
	struct buf b;
	struct jw w;

	buf_init(&b, 1 << 20);
	jw_init(&w, &b, JW_UTF8);
	jw_obj_open(&w);
	kv_str(&w, "cb", cb);
	kv_str(&w, "why", why);
	jw_obj_close(&w);
	emit(&b);
	buf_free(&b);
}

static void
s_begin(struct ev_sink *s)
{
	(void)s;
	cb_line("begin_sync", NULL);
}

static void
s_end(struct ev_sink *s)
{
	(void)s;
	cb_line("end_sync", NULL);
}

static void
s_down(struct ev_sink *s, const char *why)
{
	(void)s;
	cb_line("down", why);
}

static void
s_event(struct ev_sink *s, const struct ev *e)
{
	struct buf b;
	struct jw w;

	(void)s;
	buf_init(&b, 4 << 20);
	jw_init(&w, &b, JW_UTF8);
	jw_obj_open(&w);
	kv_str(&w, "cb", "event");
	kv_str(&w, "type", ev_type_name(e->type));
	kv_int(&w, "ts_ms", e->ts_ms, 0);
	kv_str(&w, "backend", e->backend);
	if (e->chan.id != NULL)
		put_chan(&w, &e->chan);
	kv_str(&w, "peer", e->peer);
	kv_str(&w, "dialstatus", e->dialstatus);
	kv_str(&w, "digit", e->digit);
	kv_int(&w, "duration_ms", e->duration_ms, -1);
	kv_int(&w, "cause", e->cause, -1);
	kv_str(&w, "cause_txt", e->cause_txt);
	kv_str(&w, "peer_state", e->peer_state);
	kv_str(&w, "queue", e->queue);
	kv_str(&w, "member", e->member);
	kv_str(&w, "member_state", e->member_state);
	jw_obj_close(&w);
	emit(&b);
	buf_free(&b);
}

static const char *const err_names[] = {
#define X(name, status, text) #name,
	ERR_TABLE
#undef X
};

/* The last line: what the source returned. */
static void
put_return(enum err rc, const char *err)
{
	struct buf b;
	struct jw w;

	buf_init(&b, 1 << 16);
	jw_init(&w, &b, JW_UTF8);
	jw_obj_open(&w);
	kv_str(&w, "cb", "return");
	kv_str(&w, "rc", err_names[rc]);
	kv_int(&w, "status", err_status(rc), -1);
	kv_str(&w, "err", err);
	jw_obj_close(&w);
	emit(&b);
	buf_free(&b);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(
	    stderr, "usage: evsource [-T] [-t seconds] config tenant source\n");
	exit(2);
}

static ev_source_fn
source_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(sources[i].name, name) == 0)
			return sources[i].fn;
	return NULL;
}

static void *
run_source(void *arg)
{
	struct run *r = arg;

	r->rc = r->fn(r->t, r->sink, &stop, r->err, r->errlen);
	return NULL;
}

/* Runs r on a thread with every signal blocked; the caller takes them. */
static void
run_threaded(struct run *r)
{
	sigset_t all, old;
	pthread_t th;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&th, NULL, run_source, r) != 0) {
		fprintf(stderr, "evsource: cannot start a thread\n");
		exit(2);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_join(th, NULL);
}

int
main(int argc, char **argv)
{
	struct ev_sink sink = { .begin_sync = s_begin,
		.end_sync = s_end,
		.event = s_event,
		.down = s_down };
	struct sigaction sa = { .sa_handler = on_signal };
	const struct tenant *t;
	char err[1024];
	struct conf *c;
	ev_source_fn fn;
	struct run r = { .sink = &sink, .err = err, .errlen = sizeof(err) };
	enum err rc;
	int ch, secs = 0, threaded = 0;

	while ((ch = getopt(argc, argv, "Tt:")) != -1)
		if (ch == 't')
			secs = atoi(optarg);
		else if (ch == 'T')
			threaded = 1;
		else
			usage();
	if (argc - optind != 3)
		usage();
	if ((fn = source_of(argv[optind + 2])) == NULL) {
		fprintf(stderr, "evsource: no source '%s'\n", argv[optind + 2]);
		return 2;
	}
	log_open("stderr", LOG_LVL_DEBUG);
	if ((c = conf_load(argv[optind], NULL, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "evsource: %s\n", err);
		return 2;
	}
	if ((t = conf_tenant(c, argv[optind + 1])) == NULL) {
		fprintf(stderr, "evsource: no tenant '%s'\n", argv[optind + 1]);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (secs > 0)
		alarm((unsigned)secs);
	r.fn = fn;
	r.t = t;
	if (threaded)
		run_threaded(&r);
	else
		r.rc = fn(t, &sink, &stop, err, sizeof(err));
	rc = r.rc;
	put_return(rc, err);
	if (rc != E_OK)
		fprintf(stderr, "evsource: %s: %s\n", err_names[rc], err);
	conf_free(c);
	return rc == E_OK ? 0 : 1;
}
