/*
 * The event companion's process (see companion.h).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
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
#include "fdpass.h"
#include "lease.h"
#include "limits.h"
#include "local.h"
#include "log.h"
#include "publish.h"
#include "rwriter.h"
#include "scoreboard.h"
#include "shared.h"
#include "src_ari.h"
#include "src_esl.h"
#include "state.h"
#include "util.h"
#include "wcs.h"

#define BACKOFF_MIN_MS 100
#define STEADY_MS      10000 /* a source that ran this long starts afresh */
#define JOIN_MS	       3000  /* how long the sources get to stop */
#define RW_QUEUE       4096  /* Redis writes waiting (rwriter.h) */

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

/* With redis set: queues a changed call's write-back (wcs.h). */
static void
call_changed(void *ctx, const struct wcs_call *c)
{
	struct cmp_src *s = ctx;

	rw_call(s->cmp->rw, s->t->name, c);
}

/* Adopts an unfinished call of the shared registry (a rebuild). */
static void
adopt_unfinished(void *ctx, const struct wcs_call *c)
{
	struct cmp_src *s = ctx;

	if (!c->ended)
		(void)wcs_adopt(s->wcs, c);
}

/*
 * The sink: the state store of the source's tenant.  With redis set,
 * the source runs only while this companion holds the lease: a rebuild
 * adopts the tenant's unfinished calls from Redis first, so that the
 * calls placed before a takeover are followed (and those that ended
 * meanwhile finished by wcs_end_sync), and drops its unfinished calls
 * that Redis no longer has.
 */
static void
sink_begin(struct ev_sink *k)
{
	struct cmp_src *s = k->ctx;
	char why[256];

	st_begin_sync(s->st);
	wcs_begin_sync(s->wcs);
	if (s->sh == NULL)
		return;
	wcs_list_begin(s->wcs);
	if (shared_calls(s->sh, s->t->name, NULL, adopt_unfinished, s, why,
		sizeof(why)) == -1)
		log_warnx("tenant '%s': the shared WCS calls not adopted: %s",
		    s->t->name, why);
	else
		wcs_list_end(s->wcs);
}

static void
sink_end(struct ev_sink *k)
{
	struct cmp_src *s = k->ctx;

	st_end_sync(s->st);
	if (s->sh != NULL)
		wcs_end_sync_cb(s->wcs, call_changed, s);
	else
		wcs_end_sync(s->wcs);
}

/*
 * Publishes an event as the journal keeps it to the tenant's channel,
 * and with redis set queues it for the shared journal.
 */
static void
journal_tap(
    void *ctx, uint64_t id, const struct ev *e, const char *json, size_t len)
{
	struct cmp_src *s = ctx;

	if (s->cmp->pub != NULL)
		(void)pub_push(
		    s->cmp->pub, s->t->name, ev_type_name(e->type), json, len);
	if (s->cmp->rw != NULL)
		rw_event(s->cmp->rw, s->t->name, id, json, len);
}

/* FNV-1a: the negative cache keeps hashes, not ids. */
static uint64_t
id_hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}

static int
neg_has(const struct cmp_src *s, uint64_t h)
{
	size_t i;

	for (i = 0; i < s->nneg; i++)
		if (s->neg[i] == h)
			return 1;
	return 0;
}

static void
adopt_one(void *ctx, const struct wcs_call *c)
{
	struct cmp_src *s = ctx;

	if (wcs_adopt(s->wcs, c) == -1)
		log_warnx("tenant '%s': WCS call '%s' not followed: the "
			  "registry is full",
		    s->t->name, c->id);
}

/*
 * With redis set: a channel id the registry does not hold may be a call
 * another host placed (its record exists before the backend is asked);
 * it is looked up once, synchronously (one round trip under
 * redis.timeout), and adopted, or remembered as no call.  After a failed
 * lookup (logged every 10 s at most) none is made for a second, so a
 * stalled Redis costs the source one timeout a second, not one an event
 * (and its lease's renewal fails soon anyway).
 */
static void
lookup(struct cmp_src *s, const char *id)
{
	uint64_t h, now = mono_ms();
	char why[256];

	if (id == NULL || *id == '\0' || strlen(id) > WCS_ID_MAX ||
	    now < s->lookup_after || wcs_has(s->wcs, id) ||
	    neg_has(s, h = id_hash(id)))
		return;
	rw_lookup(s->cmp->rw);
	if (shared_calls(
		s->sh, s->t->name, id, adopt_one, s, why, sizeof(why)) == -1) {
		s->lookup_after = now + 1000;
		if (s->logged == 0 || now - s->logged >= 10000) {
			s->logged = now;
			log_warnx("tenant '%s': channel '%s' not looked up: %s",
			    s->t->name, id, why);
		}
		return;
	}
	if (wcs_has(s->wcs, id))
		return;
	s->neg[s->negi] = h;
	s->negi = (s->negi + 1) % CMP_NEG_MAX;
	if (s->nneg < CMP_NEG_MAX)
		s->nneg++;
}

static void
sink_event(struct ev_sink *k, const struct ev *e)
{
	struct cmp_src *s = k->ctx;

	if (s->cmp->pub != NULL || s->cmp->rw != NULL)
		st_apply_tap(s->st, e, journal_tap, s);
	else
		st_apply(s->st, e);
	if (s->sh == NULL) {
		wcs_apply(s->wcs, e);
		return;
	}
	lookup(s, e->chan.id);
	if (e->type == EV_DIAL_END)
		lookup(s, e->peer);
	wcs_apply_cb(s->wcs, e, call_changed, s);
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
 * Runs the source, and when it returns marks the state down and runs it
 * again after a back-off that doubles up to events.backoff_max (and
 * starts afresh after a run of STEADY_MS), until *stop.
 */
static void
run_source(struct cmp_src *s, const _Atomic int *stop)
{
	struct companion *c = s->cmp;
	long delay = BACKOFF_MIN_MS, max = c->conf->events_backoff_ms, ms;
	struct timespec ts = { 0, 100 * 1000000L };
	char err[256];
	uint64_t t0;
	enum err e;

	for (;;) {
		err[0] = '\0';
		t0 = mono_ms();
		e = s->fn(s->t, &s->sink, stop, err, sizeof(err));
		if (atomic_load(stop))
			break;
		if (mono_ms() - t0 >= STEADY_MS)
			delay = BACKOFF_MIN_MS;
		st_down(s->st, err[0] ? err : err_str(e));
		log_warnx("tenant '%s': %s events: %s; again in %ld ms",
		    s->t->name, s->backend, err[0] ? err : err_str(e), delay);
		for (ms = delay; ms > 0 && !atomic_load(stop); ms -= 100)
			nanosleep(&ts, NULL);
		if (atomic_load(stop))
			break;
		atomic_fetch_add(&s->reconnects, 1);
		delay = delay * 2 > max ? max : delay * 2;
	}
}

static void
set_holder(struct cmp_src *s, const char *holder, int mine)
{
	pthread_mutex_lock(&s->lmu);
	snprintf(s->holder, sizeof(s->holder), "%s", holder);
	s->mine = mine;
	pthread_mutex_unlock(&s->lmu);
}

/*
 * The renewer of a held lease: renews it every third of its TTL and
 * stops the source (lstop) when a renewal fails or finds the lease
 * gone, or when the companion stops.
 */
static void *
renew_thread(void *arg)
{
	struct cmp_src *s = arg;
	struct companion *c = s->cmp;
	struct timespec ts = { 0, 100 * 1000000L };
	uint64_t next = mono_ms() + (uint64_t)c->conf->events_lease_ms / 3;
	char why[256];

	while (!atomic_load(&s->lstop)) {
		if (atomic_load(&c->stop))
			break;
		if (mono_ms() < next) {
			nanosleep(&ts, NULL);
			continue;
		}
		if (lease_renew(s->lease, why, sizeof(why)) != 1) {
			log_warnx(
			    "tenant '%s': events stop: %s", s->t->name, why);
			set_holder(s, why, 0);
			break;
		}
		next = mono_ms() + (uint64_t)c->conf->events_lease_ms / 3;
	}
	atomic_store(&s->lstop, 1);
	return NULL;
}

/*
 * With redis set: waits for the lease (another node may hold it; the
 * state says who), runs the source under it with a renewer beside it,
 * and after a lost lease waits again.  A clean stop gives the lease up
 * so that another host need not wait for it to expire.
 */
static void
leased(struct cmp_src *s)
{
	struct companion *c = s->cmp;
	long tick = c->conf->events_lease_ms / 3;
	char holder[256], why[320];
	pthread_t renewer;
	uint64_t top;
	int rc, last = -2;

	while (!atomic_load(&c->stop)) {
		rc = lease_take(s->lease, holder, sizeof(holder));
		if (rc != 1) {
			set_holder(s, holder, 0);
			snprintf(why, sizeof(why), "%s%s",
			    rc == 0 ? "standby: the events lease is held by "
				    : "the events lease: ",
			    holder);
			st_down(s->st, why);
			if (rc != last)
				log_info("tenant '%s': %s", s->t->name, why);
			last = rc;
			if (nap(c, tick))
				break;
			continue;
		}
		/* Ids go on from the shared journal's last one. */
		if (shared_journal_top(
			s->sh, s->t->name, &top, why, sizeof(why)) == -1) {
			log_warnx("tenant '%s': %s", s->t->name, why);
			if (nap(c, tick))
				break;
			continue;
		}
		st_journal_floor(s->st, top + 1);
		last = 1;
		set_holder(s, holder, 1);
		log_info("tenant '%s': this node ('%s') holds the events lease",
		    s->t->name, c->node);
		atomic_store(&s->lstop, 0);
		if ((rc = pthread_create(&renewer, NULL, renew_thread, s)) != 0)
			fatalx("pthread_create: %s", strerror(rc));
		run_source(s, &s->lstop);
		atomic_store(&s->lstop, 1);
		pthread_join(renewer, NULL);
		if (atomic_load(&c->stop)) {
			lease_drop(s->lease);
			break;
		}
		st_down(s->st, "the events lease was lost");
		/* What this run queued under it is no longer its to write. */
		rw_forget(c->rw, s->t->name);
		atomic_fetch_add(&s->reconnects, 1);
	}
}

/* A source's thread: the source, under a lease if redis is set. */
static void *
source_thread(void *arg)
{
	struct cmp_src *s = arg;

	if (s->lease != NULL)
		leased(s);
	else
		run_source(s, &s->cmp->stop);
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

/*
 * This host's id in leases: the node setting, else hostname:pid of the
 * master (the companion's parent), which stays the same when the master
 * restarts the companion, so that the new one takes its lease back at
 * once.
 */
static void
node_id(struct companion *c)
{
	struct timespec ts;
	char host[200];

	/* This run: its pid and start, never the same twice on a host. */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(c->run, sizeof(c->run), "%ld.%lld.%ld", (long)getpid(),
	    (long long)ts.tv_sec, (long)(ts.tv_nsec / 1000));
	if (c->conf->node[0] != '\0')
		snprintf(c->node, sizeof(c->node), "%s", c->conf->node);
	else {
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(
		    c->node, sizeof(c->node), "%s:%ld", host, (long)getppid());
	}
	snprintf(c->lease_id, sizeof(c->lease_id), "%s\n%s", c->node, c->run);
}

/*
 * Longer than any WCS startup or keyed origination runs (its backend
 * step, twice over for a pool's retry, and its asks of the companion):
 * after it, what one reserved and never settled is freed.
 */
static long
pending_ms(const struct conf *conf)
{
	return 2 * conf->backend_ms + 2 * conf->companion_wait_ms + 10000;
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
	node_id(c);
	if (conf->redis[0] != '\0' &&
	    ((c->shared = shared_new(
		  conf->redis, conf->redis_ms, pending_ms(conf))) == NULL ||
		(c->rw = rw_new(conf->redis, conf->redis_ms, c->lease_id,
		     RW_QUEUE, (size_t)conf->events_journal,
		     conf->wcs_retain_ms)) == NULL))
		fatal("shared_new");
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
		s->wcs = wcs_new(conf->wcs_retain_ms, pending_ms(conf));
		s->sink = (struct ev_sink){ .ctx = s,
			.begin_sync = sink_begin,
			.end_sync = sink_end,
			.event = sink_event,
			.down = sink_down,
			.ep_list = sink_ep_list,
			.ep_set = sink_ep_set,
			.ep_refresh_ms = conf->state_peers_refresh_ms };
		pthread_mutex_init(&s->lmu, NULL);
		if (conf->redis[0] != '\0' &&
		    ((s->lease = lease_new(conf->redis, conf->redis_ms,
			  s->t->name, c->node, c->run,
			  conf->events_lease_ms)) == NULL ||
			(s->sh = shared_new(conf->redis, conf->redis_ms,
			     pending_ms(conf))) == NULL))
			fatal("lease_new");
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

int
companion_signal(struct companion *c, int sig)
{
	int fd, last = -1;

	switch (sig) {
	case SIGQUIT:
	case SIGTERM:
	case SIGINT:
		return sig;
	case SIGUSR1:
		/* Signals coalesce: the newest of the files sent is the one. */
		while (c->ctl != -1 && (fd = fd_recv(c->ctl)) != -1) {
			if (last != -1)
				close(last);
			last = fd;
		}
		if (last != -1 && log_adopt(last) == 0)
			log_notice("companion: error log reopened");
		return 0;
	default:
		return 0;
	}
}

/*
 * Every worker keeps a connection (LIM_LOCAL_CONNS of them with two
 * generations at the most): the soft limit on descriptors, often 1024,
 * goes up to the hard one.
 */
static void
files_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("companion: setrlimit RLIMIT_NOFILE");
	}
}

void
companion_main(const struct conf *conf, int lfd, int ctl, int slot)
{
	struct companion c = { .ctl = ctl };
	char err[256];
	int sigfd;

	(void)prctl(PR_SET_NAME, "pbxapi-companion");
	if (slot >= 0)
		sb_attach((size_t)slot);
	sb_self_state(SB_STARTING);
	files_limit();
	sigfd = signals();
	setup(&c, conf);
	start_publisher(&c);
	if (c.rw != NULL && rw_start(c.rw, err, sizeof(err)) == -1)
		fatalx("companion: the Redis writer: %s", err);
	start_sources(&c);
	sb_self_state(SB_IDLE);
	log_info("companion: %zu tenant(s) with events, serving '%s'", c.nsrc,
	    conf->companion_socket);
	(void)local_serve(&c, lfd, sigfd);
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
