/*
 * Process manager (see pm.h).  The master runs with every signal blocked
 * and takes them synchronously with sigtimedwait(); its timeout is the
 * heartbeat that checks timeouts and spare servers.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "companion.h"
#include "conf.h"
#include "fdpass.h"
#include "log.h"
#include "metrics.h"
#include "pm.h"
#include "priv.h"
#include "ratelimit.h"
#include "scoreboard.h"
#include "worker.h"

#define HEARTBEAT_MS	200
#define KILL_GRACE_MS	2000 /* SIGALRM -> SIGKILL for a hung worker */
#define SPAWN_RATE_MAX	32
#define CRASH_WINDOW_MS 1000 /* an exit this soon after fork is a crash */
#define BACKOFF_MAX_MS	30000

struct child {
	pid_t pid;
	unsigned gen;
	enum sb_role role;
	uint64_t born_ms;
	uint64_t quit_ms; /* SIGQUIT sent (retiring), 0 if not */
	uint64_t term_ms; /* SIGTERM sent */
	uint64_t alarm_ms;
	uint64_t slow_seq; /* request already in the slow log */
	uint64_t alarm_seq;
	/* The request SIGALRM ends (it answers 504): access log, metrics. */
	char id[LIM_SB_ID], method[8], uri[LIM_SB_URI];
	char dialect[16], cmd[LIM_SB_STR], tenant[LIM_SB_STR];
	uint64_t alarm_us; /* its time until then */
	int ctl;	   /* a companion: the master's end of its socketpair
			      (fd 0 is never one: 0 means none) */
};

static struct child kids[SB_SLOTS];
static struct conf *conf;
static int status_fd = -1;	/* pm.status_listen, -1: none */
static int pool_fd = -1;	/* the listening socket */
static int cmp_fd = -1;		/* companion.socket, opened on first need */
static struct arena *cmp_arena; /* cmp_path, across generations */
static const char *cmp_path;	/* what cmp_fd is bound to */
static unsigned gen = 1;
static int stopping; /* 0, SIGQUIT or SIGTERM */
static uint64_t stop_ms;
static int spawn_rate = 1;
static unsigned crashes;       /* consecutive crash exits */
static uint64_t next_spawn_ms; /* back-off */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Forks a worker on fd: one of the pool, or the status worker. */
/* In a child: closes the master's ends of the companions' socketpairs. */
static void
close_ctls(int also)
{
	size_t i;

	for (i = 0; i < SB_SLOTS; i++)
		if (kids[i].ctl > 0)
			close(kids[i].ctl);
	if (also != -1)
		close(also);
}

static int
spawn(int fd, enum sb_role role)
{
	pid_t pid, master = getpid();
	int slot, ctl[2] = { -1, -1 };

	slot = sb_claim(gen, role);
	if (slot == -1) {
		log_warnx("scoreboard full, cannot fork a worker");
		return -1;
	}
	if (role == SB_COMPANION &&
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, ctl) == -1) {
		log_warn("socketpair");
		sb_release((size_t)slot);
		return -1;
	}
	met_slot_reset((size_t)slot);
	pid = fork();
	if (pid == -1) {
		log_warn("fork");
		sb_release((size_t)slot);
		if (ctl[0] != -1) {
			close(ctl[0]);
			close(ctl[1]);
		}
		return -1;
	}
	if (pid == 0) {
		close_ctls(ctl[0]);
		atomic_store(&sb_slot((size_t)slot)->pid, getpid());
		if (priv_drop(conf) == -1)
			_exit(1);
		/* After the uid change, which clears it: die with the master.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != master)
			_exit(1);
		if (role == SB_COMPANION) {
			/* It serves a socket of its own, not the pool's. */
			close(pool_fd);
			if (status_fd != -1)
				close(status_fd);
			companion_main(conf, fd, ctl[1], slot);
		}
		if (cmp_fd != -1)
			close(cmp_fd);
		if (role == SB_STATUS)
			(void)prctl(PR_SET_NAME, "pbxapi-status");
		worker_main(conf, fd, slot, (int)role);
	}
	atomic_store(&sb_slot((size_t)slot)->pid, pid);
	memset(&kids[slot], 0, sizeof(kids[slot]));
	kids[slot].pid = pid;
	kids[slot].gen = gen;
	kids[slot].role = role;
	kids[slot].born_ms = now_ms();
	if (ctl[0] != -1) {
		close(ctl[1]);
		kids[slot].ctl = ctl[0];
	}
	atomic_fetch_add(&sb_pool()->spawned, 1);
	return 0;
}

/* Counts current-generation workers that are not retiring. */
static void
count(int *total, int *idle, int *active)
{
	struct sb_slot *s;
	size_t i;
	int st;

	*total = *idle = *active = 0;
	for (i = 0; i < SB_SLOTS; i++) {
		if (kids[i].pid == 0 || kids[i].gen != gen || kids[i].quit_ms ||
		    kids[i].role != SB_POOL)
			continue;
		s = sb_slot(i);
		st = atomic_load(&s->state);
		(*total)++;
		if (st == SB_IDLE || st == SB_STARTING)
			(*idle)++;
		else
			(*active)++;
	}
}

static void
signal_kid(size_t i, int sig)
{
	if (kids[i].pid > 0 && kill(kids[i].pid, sig) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)kids[i].pid);
}

static void
retire(size_t i, uint64_t now)
{
	if (kids[i].quit_ms == 0) {
		kids[i].quit_ms = now;
		signal_kid(i, SIGQUIT);
	}
}

/* A worker answered 504 after SIGALRM and exited: its request's end. */
static void
timed_out(const struct child *k)
{
	const char *d = k->dialect[0] ? k->dialect : "-";
	const char *c = k->cmd[0] ? k->cmd : "-";
	const char *t = k->tenant[0] ? k->tenant : "-";

	if (k->id[0] != '\0')
		log_access("%s - \"%s %s\" 504 - %.3fms tenant=%s dialect=%s "
			   "cmd=%s",
		    k->id, k->method[0] ? k->method : "-",
		    k->uri[0] ? k->uri : "-", (double)k->alarm_us / 1000.0, t,
		    d, c);
	met_request(d, c, t, 504, k->alarm_us);
}

/* What the logs call child i. */
static const char *
kid_name(size_t i)
{
	return kids[i].role == SB_COMPANION ? "companion" : "worker";
}

static void
reap(void)
{
	int status, crashed;
	pid_t pid;
	size_t i;
	uint64_t now = now_ms();

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < SB_SLOTS; i++)
			if (kids[i].pid == pid)
				break;
		if (i == SB_SLOTS)
			continue;
		crashed = 0;
		if (WIFSIGNALED(status)) {
			if (!kids[i].term_ms && !stopping)
				log_warnx("%s %ld exited on signal %d%s",
				    kid_name(i), (long)pid, WTERMSIG(status),
				    WCOREDUMP(status) ? " (core dumped)" : "");
			crashed =
			    WTERMSIG(status) != SIGKILL || !kids[i].alarm_ms;
			crashed = crashed && !kids[i].term_ms;
			if (WTERMSIG(status) == SIGKILL && kids[i].alarm_ms)
				atomic_fetch_add(&sb_pool()->timed_out, 1);
		} else if (WEXITSTATUS(status) == 3) {
			atomic_fetch_add(&sb_pool()->timed_out, 1);
			timed_out(&kids[i]);
			log_notice(
			    "worker %ld terminated after request_terminate_timeout",
			    (long)pid);
		} else if (WEXITSTATUS(status) != 0) {
			log_warnx("%s %ld exited with status %d", kid_name(i),
			    (long)pid, WEXITSTATUS(status));
			crashed = 1;
		}
		if (crashed)
			atomic_fetch_add(&sb_pool()->crashed, 1);
		if (crashed && kids[i].gen == gen &&
		    now - kids[i].born_ms < CRASH_WINDOW_MS) {
			crashes++;
			if (crashes > 2) {
				uint64_t d = 50ULL
				    << (crashes > 12 ? 10 : crashes - 2);
				if (d > BACKOFF_MAX_MS)
					d = BACKOFF_MAX_MS;
				next_spawn_ms = now + d;
				log_warnx(
				    "workers are crash-looping; next fork in %llu ms",
				    (unsigned long long)d);
			}
		} else if (!crashed)
			crashes = 0;
		if (kids[i].ctl > 0)
			close(kids[i].ctl);
		kids[i].ctl = 0;
		kids[i].pid = 0;
		sb_release(i);
	}
}

/*
 * Writes the slow log's breakdown of a running request's backend time,
 * "ami:2/12.3ms,mysql:1/40.1ms" (kind, operations, time; the operation
 * still running counts until now), or "-" if it used none.
 */
static void
breakdown(const struct sb_view *v, uint64_t now_us, struct buf *out)
{
	uint64_t us;
	unsigned ops;
	int k;

	for (k = BK_NONE + 1; k < BK__MAX; k++) {
		ops = v->bk_ops[k];
		us = v->bk_us[k];
		if (v->bk_cur == k) {
			ops++;
			us += now_us > v->bk_since ? now_us - v->bk_since : 0;
		}
		if (ops > 0)
			buf_printf(out, "%s%s:%u/%.1fms", out->len ? "," : "",
			    met_kind_name((enum bk)k), ops,
			    (double)us / 1000.0);
	}
	if (out->len == 0)
		buf_adds(out, "-");
}

/* Remembers which request a SIGALRM ends (reap() counts it). */
static void
alarmed(struct child *k, const struct sb_view *v, uint64_t el_ms)
{
	memcpy(k->id, v->id, sizeof(k->id));
	memcpy(k->method, v->method, sizeof(k->method));
	memcpy(k->uri, v->uri, sizeof(k->uri));
	memcpy(k->dialect, v->dialect, sizeof(k->dialect));
	memcpy(k->cmd, v->cmd, sizeof(k->cmd));
	memcpy(k->tenant, v->tenant, sizeof(k->tenant));
	k->alarm_us = el_ms * 1000;
}

/* Slow log and request_terminate_timeout, from the scoreboard. */
static void
timeouts(uint64_t now)
{
	struct sb_view v;
	uint64_t el_ms, now_us = now * 1000;
	struct buf bks;
	size_t i;

	for (i = 0; i < SB_SLOTS; i++) {
		if (kids[i].pid == 0)
			continue;
		sb_view(i, &v);
		if (v.started_us == 0 || v.started_us > now_us)
			continue;
		el_ms = (now_us - v.started_us) / 1000;
		if (conf->slowlog_ms > 0 &&
		    el_ms >= (uint64_t)conf->slowlog_ms &&
		    kids[i].slow_seq != v.seq) {
			kids[i].slow_seq = v.seq;
			atomic_fetch_add(&sb_pool()->slow, 1);
			buf_init(&bks, 512);
			breakdown(&v, now_us, &bks);
			log_warnx(
			    "slow request: pid %d tenant %s dialect %s command %s backend %s elapsed %llu ms \"%s %s\" backends=%s",
			    v.pid, v.tenant[0] ? v.tenant : "-",
			    v.dialect[0] ? v.dialect : "-",
			    v.cmd[0] ? v.cmd : "-", v.op[0] ? v.op : "-",
			    (unsigned long long)el_ms, v.method, v.uri,
			    buf_cstr(&bks));
			buf_free(&bks);
		}
		if (conf->terminate_ms > 0 &&
		    el_ms >= (uint64_t)conf->terminate_ms) {
			if (kids[i].alarm_seq != v.seq) {
				kids[i].alarm_seq = v.seq;
				kids[i].alarm_ms = now;
				alarmed(&kids[i], &v, el_ms);
				atomic_fetch_add(&sb_pool()->terminated, 1);
				log_warnx(
				    "request_terminate_timeout: pid %d command %s backend %s after %llu ms",
				    v.pid, v.cmd[0] ? v.cmd : "-",
				    v.op[0] ? v.op : "-",
				    (unsigned long long)el_ms);
				signal_kid(i, SIGALRM);
			} else if (now - kids[i].alarm_ms > KILL_GRACE_MS)
				signal_kid(i, SIGKILL);
		}
	}
}

/* Escalates retiring workers: QUIT, then TERM, then KILL. */
static void
escalate(uint64_t now)
{
	uint64_t limit = (uint64_t)conf->control_ms;
	size_t i;

	if (limit == 0)
		return;
	for (i = 0; i < SB_SLOTS; i++) {
		if (kids[i].pid == 0)
			continue;
		if (kids[i].term_ms && now - kids[i].term_ms > limit)
			signal_kid(i, SIGKILL);
		else if (!kids[i].term_ms && kids[i].quit_ms &&
		    now - kids[i].quit_ms > limit) {
			kids[i].term_ms = now;
			log_notice(
			    "worker %ld still busy after process_control_timeout, sending SIGTERM",
			    (long)kids[i].pid);
			signal_kid(i, SIGTERM);
		}
	}
}

/* Returns the slot of the current generation's child of role, or -1. */
static int
current(enum sb_role role)
{
	size_t i;

	for (i = 0; i < SB_SLOTS; i++)
		if (kids[i].pid != 0 && kids[i].gen == gen &&
		    !kids[i].quit_ms && kids[i].role == role)
			return (int)i;
	return -1;
}

/*
 * The companion's socket, made by the master (as root, it can) once, and
 * kept: a companion of any generation serves it.  Returns it or -1.
 */
static int
companion_fd(void)
{
	static uint64_t warned;
	char err[512];

	if (cmp_fd != -1)
		return cmp_fd;
	cmp_fd = companion_listen(conf, err, sizeof(err));
	if (cmp_fd == -1 && now_ms() - warned > 60000) {
		warned = now_ms();
		log_warnx("companion: %s", err);
	}
	if (cmp_fd != -1)
		cmp_path = arena_strdup(cmp_arena, conf->companion_socket);
	return cmp_fd;
}

/*
 * The event companion: one per generation while a tenant has events
 * on.  An older generation's companion keeps serving until the new one
 * is up (its slot idle: socket bound, sources started), then it retires.
 */
static void
companion(uint64_t now)
{
	int cur = current(SB_COMPANION);
	size_t i;

	if (cur == -1 && conf_has_events(conf) && companion_fd() != -1) {
		(void)spawn(cmp_fd, SB_COMPANION);
		cur = current(SB_COMPANION);
	}
	if (cur != -1 && atomic_load(&sb_slot((size_t)cur)->state) != SB_IDLE)
		return;
	for (i = 0; i < SB_SLOTS; i++)
		if (kids[i].pid != 0 && kids[i].gen != gen &&
		    kids[i].role == SB_COMPANION)
			retire(i, now);
}

/* Keeps the number of current workers where the pm mode wants it. */
static void
maintain(int listen_fd, uint64_t now)
{
	int total, idle, active, want, n, oldest = -1;
	size_t i;

	if (stopping || now < next_spawn_ms)
		return;
	if (status_fd != -1 && current(SB_STATUS) == -1)
		(void)spawn(status_fd, SB_STATUS);
	companion(now);
	count(&total, &idle, &active);
	if ((uint64_t)active > atomic_load(&sb_pool()->max_active))
		atomic_store(&sb_pool()->max_active, (uint64_t)active);
	if (conf->pm == PM_STATIC) {
		for (n = total; n < conf->max_children; n++)
			if (spawn(listen_fd, SB_POOL) == -1)
				break;
		return;
	}
	if (idle < conf->min_spare) {
		want = (int)conf->min_spare - idle;
		if (want > spawn_rate)
			want = spawn_rate;
		if (total + want > conf->max_children) {
			want = (int)conf->max_children - total;
			if (want <= 0) {
				atomic_fetch_add(
				    &sb_pool()->max_children_reached, 1);
				return;
			}
		}
		for (n = 0; n < want; n++)
			if (spawn(listen_fd, SB_POOL) == -1)
				break;
		if (spawn_rate < SPAWN_RATE_MAX)
			spawn_rate *= 2;
		return;
	}
	spawn_rate = 1;
	if (idle > conf->max_spare) {
		/* Retire the oldest idle worker, one per heartbeat. */
		for (i = 0; i < SB_SLOTS; i++) {
			if (kids[i].pid == 0 || kids[i].gen != gen ||
			    kids[i].quit_ms || kids[i].role != SB_POOL ||
			    atomic_load(&sb_slot(i)->state) != SB_IDLE)
				continue;
			if (oldest == -1 ||
			    kids[i].born_ms < kids[oldest].born_ms)
				oldest = (int)i;
		}
		if (oldest != -1)
			retire((size_t)oldest, now);
	}
}

static void
start_generation(int listen_fd)
{
	long n =
	    conf->pm == PM_STATIC ? conf->max_children : conf->start_servers;

	atomic_store(&sb_pool()->gen, gen);
	atomic_store(&sb_pool()->pm, (int)conf->pm);
	if (status_fd != -1)
		(void)spawn(status_fd, SB_STATUS);
	if (conf_has_events(conf) && current(SB_COMPANION) == -1 &&
	    companion_fd() != -1)
		(void)spawn(cmp_fd, SB_COMPANION);
	while (n-- > 0)
		if (spawn(listen_fd, SB_POOL) == -1)
			break;
}

/*
 * Starts a new generation of workers and retires the old one gracefully;
 * the listening socket stays open throughout, so no request is refused.
 */
static void
roll(int listen_fd)
{
	uint64_t now = now_ms();
	size_t i;

	gen++;
	crashes = 0;
	next_spawn_ms = 0;
	/* The old companion goes once the new one is up (companion()). */
	for (i = 0; i < SB_SLOTS; i++)
		if (kids[i].pid != 0 && kids[i].gen != gen &&
		    (kids[i].role != SB_COMPANION || !conf_has_events(conf)))
			retire(i, now);
	start_generation(listen_fd);
}

static int
open_logs(const struct conf *c, const struct pm_args *args)
{
	const char *target = c->error_log;
	char err[512];

	if (target[0] == '\0')
		target = args->foreground ? "stderr" : "syslog";
	if (log_open(target, (enum log_level)c->log_level) == -1 ||
	    log_open_access(c->access_log) == -1 ||
	    log_open_recordings(c->recordings_log) == -1) {
		log_warn("cannot open the log targets");
		return -1;
	}
	if (audit_open(c->audit_log, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

static void
reload(int listen_fd, const struct pm_args *args)
{
	char err[512];
	struct conf *nc;

	nc = conf_load(args->conf_path, args->env_file, args->use_environ, err,
	    sizeof(err));
	if (nc == NULL) {
		log_warnx(
		    "reload failed, keeping the running configuration: %s",
		    err);
		return;
	}
	if (strcmp(nc->listen, conf->listen) != 0) {
		log_warnx(
		    "'listen' changed to '%s': a restart is needed, the socket stays '%s'",
		    nc->listen, conf->listen);
		nc->listen = arena_strdup(nc->arena, conf->listen);
	}
	if (strcmp(nc->status_listen, conf->status_listen) != 0) {
		log_warnx(
		    "'pm.status_listen' changed to '%s': a restart is needed, the socket stays '%s'",
		    nc->status_listen, conf->status_listen);
		nc->status_listen =
		    arena_strdup(nc->arena, conf->status_listen);
	}
	if (cmp_path != NULL && strcmp(nc->companion_socket, cmp_path) != 0) {
		log_warnx(
		    "'companion.socket' changed to '%s': a restart is needed, the socket stays '%s'",
		    nc->companion_socket, cmp_path);
		nc->companion_socket = arena_strdup(nc->arena, cmp_path);
	}
	open_logs(nc, args);
	conf_free(conf);
	conf = nc;
	roll(listen_fd);
	atomic_fetch_add(&sb_pool()->reloads, 1);
	log_notice("reloaded '%s', generation %u",
	    conf->path ? conf->path : "(defaults)", gen);
}

/*
 * SIGUSR1: the master reopens the log files (it may create them where
 * workers, running unprivileged, cannot), then rolls the workers so that
 * they inherit the new descriptors.  The companion is not replaced (it
 * would lose its state, the WCS registry among it, to every rotation):
 * it joins the new generation and gets the new error log on its
 * socketpair, then a SIGUSR1 to take it.  If that cannot be sent, it is
 * replaced like the workers.
 */
static void
keep_companion(void)
{
	int cur = current(SB_COMPANION), fd = log_error_fd();

	if (cur == -1 || kids[cur].ctl <= 0)
		return;
	if (fd != -1 && fd_send(kids[cur].ctl, fd) == -1) {
		log_warn("cannot hand the companion its new error log");
		return;
	}
	kids[cur].gen = gen + 1;
	atomic_store(&sb_slot((size_t)cur)->gen, gen + 1);
	if (fd != -1)
		signal_kid((size_t)cur, SIGUSR1);
}

static void
reopen_logs(int listen_fd, const struct pm_args *args)
{
	open_logs(conf, args);
	keep_companion();
	roll(listen_fd);
	log_notice("logs reopened, generation %u", gen);
}

static void
stop(int sig)
{
	size_t i;

	if (stopping == SIGTERM)
		return;
	if (stopping == 0)
		stop_ms = now_ms();
	stopping = sig;
	log_notice("%s stop", sig == SIGQUIT ? "graceful" : "fast");
	for (i = 0; i < SB_SLOTS; i++) {
		if (kids[i].pid == 0)
			continue;
		if (sig == SIGQUIT)
			retire(i, stop_ms);
		else {
			kids[i].term_ms = now_ms();
			signal_kid(i, SIGTERM);
		}
	}
}

/* Returns the number of workers of older generations. */
static int
older(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < SB_SLOTS; i++)
		n += kids[i].pid != 0 && kids[i].gen != gen;
	return n;
}

static int
children(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < SB_SLOTS; i++)
		n += kids[i].pid != 0;
	return n;
}

int
pm_run(struct conf *c, int listen_fd, int status_listen_fd,
    const struct pm_args *args)
{
	struct timespec hb = { 0, HEARTBEAT_MS * 1000000L };
	sigset_t set;
	int sig;

	conf = c;
	status_fd = status_listen_fd;
	pool_fd = listen_fd;
	cmp_arena = arena_new();
	if (sb_create() == -1 || met_create() == -1)
		fatal("cannot map the scoreboard");
	if (ratelimit_init() == -1)
		fatal("cannot map the rate limit tables");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	start_generation(listen_fd);
	log_notice("ready: %s, pm %s, %ld workers max", conf->listen,
	    conf->pm == PM_STATIC ? "static" : "dynamic", conf->max_children);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &hb);
		switch (sig) {
		case SIGHUP:
		case SIGUSR2: /* php-fpm's reload */
			if (!stopping)
				reload(listen_fd, args);
			break;
		case SIGQUIT:
		case SIGTERM:
		case SIGINT:
			stop(sig == SIGQUIT ? SIGQUIT : SIGTERM);
			break;
		case SIGUSR1:
			if (!stopping)
				reopen_logs(listen_fd, args);
			break;
		default:
			break;
		}
		reap();
		if (stopping && children() == 0)
			break;
		if (older() == 0)
			audit_settle();
		timeouts(now_ms());
		escalate(now_ms());
		maintain(listen_fd, now_ms());
	}
	log_notice("exiting");
	if (cmp_path != NULL)
		(void)unlink(cmp_path);
	conf_free(conf);
	return 0;
}
