/*
 * The event companion's process (see companion.h).
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "companion.h"
#include "conf.h"
#include "limits.h"
#include "local.h"
#include "log.h"
#include "publish.h"
#include "scoreboard.h"
#include "src_ari.h"
#include "src_esl.h"
#include "state.h"
#include "util.h"
#include "wcs.h"

#define BACKOFF_MIN_MS 100
#define STEADY_MS      10000 /* a source that ran this long starts afresh */
#define JOIN_MS	       3000  /* how long the sources get to stop */

/* The sources by events = mode; a NULL fn is a backend without one yet. */
static const struct {
	enum events_mode mode;
	const char *backend;
	ev_source_fn fn;
} sources[] = {
	{ EVM_AMI, "ami", src_ami },
	{ EVM_ARI, "ari", src_ari },
	{ EVM_ESL, "esl", src_esl },
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct cmp_src *
companion_find(struct companion *c, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < c->nsrc; i++)
		if (strlen(c->src[i].t->name) == n &&
		    memcmp(c->src[i].t->name, name, n) == 0)
			return &c->src[i];
	return NULL;
}

/* The sink: the state store of the source's tenant. */
static void
sink_begin(struct ev_sink *k)
{
	st_begin_sync(((struct cmp_src *)k->ctx)->st);
	wcs_begin_sync(((struct cmp_src *)k->ctx)->wcs);
}

static void
sink_end(struct ev_sink *k)
{
	st_end_sync(((struct cmp_src *)k->ctx)->st);
	wcs_end_sync(((struct cmp_src *)k->ctx)->wcs);
}

/* Publishes an event as the journal keeps it to the tenant's channel. */
static void
publish_tap(void *ctx, const struct ev *e, const char *json, size_t len)
{
	struct cmp_src *s = ctx;

	(void)pub_push(
	    s->cmp->pub, s->t->name, ev_type_name(e->type), json, len);
}

static void
sink_event(struct ev_sink *k, const struct ev *e)
{
	struct cmp_src *s = k->ctx;

	if (s->cmp->pub != NULL)
		st_apply_tap(s->st, e, publish_tap, s);
	else
		st_apply(s->st, e);
	wcs_apply(s->wcs, e);
}

static void
sink_ep_list(struct ev_sink *k, const char *text, size_t len)
{
	st_ep_list(((struct cmp_src *)k->ctx)->st, text, len);
}

static void
sink_ep_set(struct ev_sink *k, const char *endpoint, const char *key,
    const char *value, enum ev_ep_how how)
{
	st_ep_set(((struct cmp_src *)k->ctx)->st, endpoint, key, value, how);
}

static void
sink_down(struct ev_sink *k, const char *why)
{
	st_down(((struct cmp_src *)k->ctx)->st, why);
}

/* Sleeps ms, waking every 100 ms to see stop.  Returns 1 if stopped. */
static int
nap(struct companion *c, long ms)
{
	struct timespec ts = { 0, 100 * 1000000L };

	for (; ms > 0 && !atomic_load(&c->stop); ms -= 100)
		nanosleep(&ts, NULL);
	return atomic_load(&c->stop) != 0;
}

/*
 * A source's thread: runs it, and when it returns marks the state down
 * and runs it again after a back-off that doubles up to
 * events.backoff_max (and starts afresh after a run of STEADY_MS).
 */
static void *
source_thread(void *arg)
{
	struct cmp_src *s = arg;
	struct companion *c = s->cmp;
	long delay = BACKOFF_MIN_MS, max = c->conf->events_backoff_ms;
	char err[256];
	uint64_t t0;
	enum err e;

	for (;;) {
		err[0] = '\0';
		t0 = mono_ms();
		e = s->fn(s->t, &s->sink, &c->stop, err, sizeof(err));
		if (atomic_load(&c->stop))
			break;
		if (mono_ms() - t0 >= STEADY_MS)
			delay = BACKOFF_MIN_MS;
		st_down(s->st, err[0] ? err : err_str(e));
		log_warnx("tenant '%s': %s events: %s; again in %ld ms",
		    s->t->name, s->backend, err[0] ? err : err_str(e), delay);
		if (nap(c, delay))
			break;
		atomic_fetch_add(&s->reconnects, 1);
		delay = delay * 2 > max ? max : delay * 2;
	}
	return NULL;
}

/*
 * Starts the publisher of events.publish.  A publisher that cannot start
 * leaves events unpublished (logged); the state and the journal go on.
 */
static void
start_publisher(struct companion *c)
{
	char err[256];

	if (strcmp(c->conf->events_publish, "off") == 0 || c->nsrc == 0)
		return;
	if ((c->pub = pub_new(c->conf->events_publish,
		 (size_t)c->conf->events_publish_queue, err, sizeof(err))) ==
		NULL ||
	    pub_start(c->pub, err, sizeof(err)) == -1) {
		log_warnx("companion: events are not published: %s", err);
		pub_free(c->pub);
		c->pub = NULL;
		return;
	}
	log_info(
	    "companion: publishing events to '%s'", c->conf->events_publish);
}

/* Makes a source and a state for every tenant with events on. */
static void
setup(struct companion *c, const struct conf *conf)
{
	enum events_mode m;
	struct cmp_src *s;
	size_t i, j;

	c->conf = conf;
	c->started = (uint64_t)time(NULL);
	if ((c->src = calloc(
		 conf->ntenants ? conf->ntenants : 1, sizeof(*c->src))) == NULL)
		fatal("calloc");
	for (i = 0; i < conf->ntenants; i++) {
		if ((m = tenant_events(&conf->tenants[i])) == EVM_OFF)
			continue;
		s = &c->src[c->nsrc++];
		s->t = &conf->tenants[i];
		s->cmp = c;
		for (j = 0; j < nitems(sources); j++)
			if (sources[j].mode == m) {
				s->backend = sources[j].backend;
				s->fn = sources[j].fn;
			}
		s->st = st_new(s->t->name, s->backend, LIM_EV_CHANNELS,
		    (size_t)conf->events_journal);
		s->wcs = wcs_new(conf->wcs_retain_ms);
		s->sink = (struct ev_sink){ .ctx = s,
			.begin_sync = sink_begin,
			.end_sync = sink_end,
			.event = sink_event,
			.down = sink_down,
			.ep_list = sink_ep_list,
			.ep_set = sink_ep_set,
			.ep_refresh_ms = conf->state_peers_refresh_ms };
		if (s->fn == NULL)
			st_down(s->st, "no event source for this backend yet");
	}
}

static void
start_sources(struct companion *c)
{
	size_t i;
	int rc;

	for (i = 0; i < c->nsrc; i++) {
		if (c->src[i].fn == NULL) {
			log_warnx("tenant '%s': events from %s are not "
				  "supported yet",
			    c->src[i].t->name, c->src[i].backend);
			continue;
		}
		rc = pthread_create(
		    &c->src[i].thread, NULL, source_thread, &c->src[i]);
		if (rc != 0)
			fatalx("pthread_create: %s", strerror(rc));
		c->src[i].started = 1;
	}
}

/* Stops and joins the sources (each sees stop within a second). */
static void
stop_sources(struct companion *c)
{
	struct timespec until;
	size_t i;

	atomic_store(&c->stop, 1);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += JOIN_MS / 1000;
	for (i = 0; i < c->nsrc; i++)
		if (c->src[i].started &&
		    pthread_timedjoin_np(c->src[i].thread, NULL, &until) != 0)
			log_warnx("tenant '%s': its event source did not stop",
			    c->src[i].t->name);
}

/* Signals come on a signalfd: blocked here, before any thread starts. */
static int
signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);
	return fd;
}

void
companion_main(const struct conf *conf, int lfd, int slot)
{
	struct companion c = { 0 };
	int sigfd, sig;

	(void)prctl(PR_SET_NAME, "pbxapi-companion");
	if (slot >= 0)
		sb_attach((size_t)slot);
	sb_self_state(SB_STARTING);
	sigfd = signals();
	setup(&c, conf);
	start_publisher(&c);
	start_sources(&c);
	sb_self_state(SB_IDLE);
	log_info("companion: %zu tenant(s) with events, serving '%s'", c.nsrc,
	    conf->companion_socket);
	do
		sig = local_serve(&c, lfd, sigfd);
	while (sig != 0 && sig != SIGQUIT && sig != SIGTERM && sig != SIGINT);
	sb_self_state(SB_ENDING);
	close(lfd);
	stop_sources(&c);
	/*
	 * The publisher is not freed: a source that did not stop may still
	 * push to it, and _exit() is next.  Unsent messages are lost; a
	 * subscriber that reconnects gets what nchan kept.
	 */
	_exit(0);
}
