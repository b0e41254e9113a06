/*
 * Worker (see worker.h).
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <poll.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "reply.h"
#include "req.h"
#include "scoreboard.h"
#include "worker.h"

#define STARVE_MS 5    /* backlog wait before a kept connection is given back */
#define RETIRE_MS 2000 /* how long giving back a kept connection may take */

struct worker {
	const struct conf *conf;
	struct arena *arena;
	struct buf body;
	struct pool *pool; /* backend connections, per tenant */
	const struct route *routes;
	unsigned long nreq;
	uint64_t starved; /* since when a new connection waits, 0: none */
	int epfd;	  /* the listening socket, EPOLLEXCLUSIVE */
};

static volatile sig_atomic_t quit;
static volatile sig_atomic_t in_request, headers_sent;
static volatile sig_atomic_t reading, read_expired;
static volatile int cur_fd = -1, cur_id;
static char alarm_rid[LIM_SB_ID]; /* the request's id, for on_alarm */
static int listen_fd_ = -1;
static timer_t read_timer;
static long read_ms; /* request_read_timeout, 0: none */

int
worker_listen_fd(void)
{
	return listen_fd_;
}

int
worker_quitting(void)
{
	sigset_t pending;

	/* SIGQUIT is blocked while a request runs: it waits, pending. */
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGQUIT))
		return 1;
	return quit != 0;
}

static void
on_quit(int sig)
{
	(void)sig;
	quit = 1;
}

/* Appends n bytes at p to dst at *at (async-signal-safe). */
static void
put(char *dst, size_t *at, const char *p, size_t n)
{
	memcpy(dst + *at, p, n);
	*at += n;
}

/*
 * request_terminate_timeout: the master sends SIGALRM.  If no byte of the
 * reply has left, answer 504 (with the request's X-Request-Id) on the
 * FastCGI connection with memcpy(3) and write(2) alone (async-signal-safe),
 * then exit; the master logs its access line and forks a replacement.
 */
static void
on_alarm(int sig)
{
	static const char head[] = "Status: 504 Gateway Timeout\r\n"
				   "Content-Type: application/json\r\n";
	static const char rid[] = "X-Request-Id: ";
	static const char body[] =
	    "\r\n{\"error\":\"Gateway Timeout\",\"code\":504}";
	char out[sizeof(head) + sizeof(rid) + LIM_SB_ID + 2 + sizeof(body)];
	unsigned char rec[8 + sizeof(out) + 8 + 8 + 8];
	size_t n = 0, len = 0, rl = strnlen(alarm_rid, LIM_SB_ID - 1);
	int id = cur_id;

	(void)sig;
	put(out, &len, head, sizeof(head) - 1);
	if (rl > 0) {
		put(out, &len, rid, sizeof(rid) - 1);
		put(out, &len, alarm_rid, rl);
		put(out, &len, "\r\n", 2);
	}
	put(out, &len, body, sizeof(body) - 1);
	if (in_request && !headers_sent && cur_fd >= 0) {
		unsigned char h[8] = { 1, 6, (unsigned char)(id >> 8),
			(unsigned char)id, (unsigned char)(len >> 8),
			(unsigned char)len, 0, 0 };
		unsigned char eos[8] = { 1, 6, (unsigned char)(id >> 8),
			(unsigned char)id, 0, 0, 0, 0 };
		unsigned char end[16] = { 1, 3, (unsigned char)(id >> 8),
			(unsigned char)id, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
		memcpy(rec, h, 8);
		memcpy(rec + 8, out, len);
		n = 8 + len;
		memcpy(rec + n, eos, 8);
		n += 8;
		memcpy(rec + n, end, 16);
		n += 16;
		(void)!write(cur_fd, rec, n);
	}
	_exit(3);
}

static void
headers_left(void)
{
	headers_sent = 1;
}

/*
 * request_read_timeout: a request must arrive whole (its FastCGI records,
 * parameters and body) within read_ms of the connection becoming ready.
 * libfcgi reads with blocking read(2) and no deadline, so a timer
 * signal ends the read instead: its handler shuts the connection's read
 * side, the read returns end of file, and libfcgi reports a broken
 * request.  Only while `reading`: a request already received is never
 * cut off.
 */
static void
on_read_deadline(int sig)
{
	(void)sig;
	if (reading && cur_fd >= 0) {
		read_expired = 1;
		(void)shutdown(cur_fd, SHUT_RD);
	}
}

static void
deadline_arm(int fd)
{
	struct itimerspec its;

	cur_fd = fd;
	read_expired = 0;
	if (read_ms <= 0)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = read_ms / 1000;
	its.it_value.tv_nsec = (read_ms % 1000) * 1000000L;
	reading = 1;
	if (timer_settime(read_timer, 0, &its, NULL) == -1)
		reading = 0;
}

static void
deadline_disarm(void)
{
	static const struct itimerspec off;

	if (!reading)
		return;
	(void)timer_settime(read_timer, 0, &off, NULL);
	reading = 0;
}

/* Creates the read deadline's timer; without one, reads have none. */
static void
deadline_init(long ms)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	read_ms = ms;
	if (ms > 0 && timer_create(CLOCK_MONOTONIC, &sev, &read_timer) == -1) {
		log_warn("timer_create: requests are read without a deadline");
		read_ms = 0;
	}
}

/*
 * Handlers run with SA_RESTART so that libfcgi's reads and writes inside
 * a request are never cut short.  SIGQUIT stays blocked except while the
 * worker waits in ppoll(), so it acts only between requests;
 * SIGALRM (the request timeout), SIGRTMIN (the read deadline) and
 * SIGTERM act at once.  FCGX_Init()
 * installs its own handlers for SIGTERM, SIGUSR1 and SIGPIPE; these
 * replace them, so it must run first.  SIGUSR1 (reopen logs) is the
 * master's business: it rolls the workers.
 */
static void
signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_quit;
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_read_deadline;
	sigaction(SIGRTMIN, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_SETMASK, &block, NULL);
	sigemptyset(waitmask);
}

/* Request id: nginx's $request_id if passed, else pid and sequence. */
static void
request_id(struct worker *w, struct req *r)
{
	const char *id = req_param(r, "REQUEST_ID");

	if (id != NULL && *id != '\0' && strlen(id) < sizeof(r->id) &&
	    v_token(id, strlen(id)) == 0)
		snprintf(r->id, sizeof(r->id), "%s", id);
	else
		snprintf(
		    r->id, sizeof(r->id), "%lx-%lu", (long)getpid(), w->nreq);
}

/* Reads and drops what is left of the body, so the connection stays
 * usable; gives up (and closes it) past LIM_BODY_DRAIN. */
static void
drain(FCGX_Request *fr)
{
	char tmp[8192];
	size_t total = 0;
	int n;

	while ((n = FCGX_GetStr(tmp, sizeof(tmp), fr->in)) > 0) {
		total += (size_t)n;
		if (total > LIM_BODY_DRAIN) {
			fr->keepConnection = 0;
			break;
		}
	}
}

static uint64_t
cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void
access_line(const struct req *r, const struct reply *rp, uint64_t dur)
{
	const char *ra = req_param(r, "REMOTE_ADDR");

	log_access("%s %s \"%s %s\" %d %zu %.3fms tenant=%s dialect=%s cmd=%s",
	    r->id, ra ? ra : "-", r->method ? r->method : "-",
	    r->path ? r->path : "-", rp->status, rp->bytes,
	    (double)dur / 1000.0, r->tenant ? r->tenant->name : "-",
	    r->dialect ? r->dialect->name : "-", r->cmdname ? r->cmdname : "-");
}

/*
 * Reads the rest of the request (its body, under the read deadline) and
 * answers it.  Returns 0, or -1 if the request did not arrive whole in
 * time (nothing is answered then, and the connection is closed).
 */
static int
handle(struct worker *w, FCGX_Request *fr)
{
	struct req r;
	struct reply rp;
	uint64_t cpu0 = cpu_us(), dur;
	enum err e;

	memset(&r, 0, sizeof(r));
	r.arena = w->arena;
	r.conf = w->conf;
	r.pool = w->pool;
	r.envp = fr->envp;
	r.in = fr->in;
	r.start_us = now_us();
	w->nreq++;
	request_id(w, &r);
	memcpy(alarm_rid, r.id, sizeof(alarm_rid));
	sb_self_id(r.id);
	log_request(r.id, NULL);
	e = req_init(&r);
	/* The whole body now, so that the read deadline covers it. */
	if (e == E_OK)
		(void)req_read_body(&r);
	deadline_disarm();
	if (read_expired) {
		log_notice("request body not received within "
			   "request_read_timeout (%ld ms), connection closed",
		    read_ms);
		fr->keepConnection = 0;
		log_request(NULL, NULL);
		arena_reset(w->arena);
		return -1;
	}
	reply_init(&rp, w->arena, &w->body, fr->out);
	rp.id = r.id;
	if (e == E_OK)
		e = dispatch_on(w->routes, &r, &rp);
	else {
		struct jw *jw = reply_json(&rp, JW_UTF8);
		reply_status(&rp, err_status(e));
		jw_obj_open(jw);
		jw_keyz(jw, "error");
		jw_strz(jw, r.errmsg[0] ? r.errmsg : err_str(e));
		jw_keyz(jw, "code");
		jw_int(jw, err_status(e));
		jw_obj_close(jw);
	}
	req_op(&r, NULL); /* the last backend operation ends with it */
	if (e != E_OK && r.errmsg[0] != '\0')
		log_info("%s: %s", err_str(e), r.errmsg);
	sb_self_state(SB_FINISHING);
	if (reply_finish(&rp) == -1)
		log_info("client went away");
	deadline_arm(fr->ipcFd);
	drain(fr);
	deadline_disarm();
	dur = now_us() - r.start_us;
	access_line(&r, &rp, dur);
	met_request(r.dialect ? r.dialect->name : "-",
	    r.cmd ? r.cmd->name : "-", r.tenant ? r.tenant->name : "-",
	    rp.status, dur);
	log_request(NULL, NULL);
	sb_self_end(dur, cpu_us() - cpu0, arena_used(w->arena));
	arena_reset(w->arena);
	return 0;
}

/*
 * One connection at a time.  A worker accepts a connection (the
 * listening socket is non-blocking and shared by all workers, and the
 * worker accepts itself, so that a stop signal never strands a
 * connection inside libfcgi), serves its request, and closes it, unless
 * the web server asked to keep it (FCGI_KEEP_CONN, nginx's
 * fastcgi_keep_conn).  A kept connection stays with its worker, which
 * serves the next request that arrives on it and nothing else: the web
 * server never has a request parked behind another one, and a worker that
 * dies takes only its own request with it.  The price is that a kept
 * connection holds a worker while it is idle, so when a new connection
 * has waited in the backlog for STARVE_MS (every worker is busy or kept)
 * the worker hands its kept connection back to the web server and takes
 * the new one.
 *
 * A worker counts as busy (SB_READING, under request_terminate_timeout)
 * from the moment a connection is accepted or a kept one becomes
 * readable, and the request must arrive within request_read_timeout.
 */

/* An epoll set holding the listening socket for this worker alone. */
static int
listen_epoll(int listen_fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int fd;

	if ((fd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(fd, EPOLL_CTL_ADD, listen_fd, &ev) == -1)
		fatal("epoll on the listening socket");
	return fd;
}

/* Takes a waiting connection into fr.  Returns 1, or 0 if none. */
static int
conn_accept(FCGX_Request *fr, int listen_fd)
{
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED) {
			log_warn("accept");
			usleep(100000);
		}
		return 0;
	}
	fr->ipcFd = fd;
	/* Keep FCGX_Accept_r's internal finish from closing it. */
	fr->keepConnection = 1;
	return 1;
}

static void
conn_close(FCGX_Request *fr)
{
	if (fr->ipcFd >= 0)
		close(fr->ipcFd);
	fr->ipcFd = -1;
}

/* Returns 1 if a connection waits in the listening socket's backlog. */
static int
backlog(int listen_fd)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/*
 * Reads, handles and answers the request on fr's connection.  Returns 1
 * if a request was answered, else 0.  Either way fr->ipcFd is -1 if the
 * connection is gone (libfcgi closed it).
 */
static int
serve(struct worker *w, FCGX_Request *fr)
{
	int answered;

	sb_self_begin();
	deadline_arm(fr->ipcFd);
	/* libfcgi closes without its lingering read (a slow peer could hold
	 * the worker in it). */
	fr->detached = 1;
	if (FCGX_Accept_r(fr) < 0) {
		deadline_disarm();
		if (read_expired)
			log_notice("no complete request within "
				   "request_read_timeout (%ld ms), connection "
				   "closed",
			    read_ms);
		sb_self_cancel();
		return 0;
	}
	cur_id = fr->requestId;
	headers_sent = 0;
	in_request = 1;
	answered = handle(w, fr) == 0;
	if (!answered)
		sb_self_cancel();
	in_request = 0;
	fr->detached = 1;
	FCGX_Finish_r(fr);
	return answered;
}

/*
 * Leaving, or making room, a worker must not simply close a kept
 * connection: the web server may be writing a request to it at that
 * moment, and would fail it.  Instead it writes an empty FCGI_STDERR
 * record.  nginx closes an idle cached connection on which anything
 * arrives; one it has just taken for a request reads the record as an
 * empty stderr stream and the reply follows.  So the worker waits, for
 * at most RETIRE_MS, until the web server has closed it, serving what
 * still arrives and asking again after each reply.
 */
static void
retire_notice(const FCGX_Request *fr)
{
	unsigned char rec[8] = { 1, 7, (unsigned char)(fr->requestId >> 8),
		(unsigned char)fr->requestId, 0, 0, 0, 0 };

	(void)!write(fr->ipcFd, rec, sizeof(rec));
}

static void
give_back(struct worker *w, FCGX_Request *fr)
{
	uint64_t end = now_us() + RETIRE_MS * 1000, now;
	struct pollfd pfd;
	char c;

	retire_notice(fr);
	while (fr->ipcFd >= 0 && (now = now_us()) < end) {
		pfd.fd = fr->ipcFd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)((end - now) / 1000) + 1) <= 0)
			break;
		if (recv(fr->ipcFd, &c, 1, MSG_PEEK) <= 0)
			conn_close(fr); /* the web server let go */
		else if (serve(w, fr) && fr->ipcFd >= 0)
			retire_notice(fr); /* it came back: ask again */
	}
	if (fr->ipcFd >= 0) {
		log_info("a kept connection was not given back within %d ms, "
			 "closed",
		    RETIRE_MS);
		conn_close(fr);
	}
}

/*
 * Takes the next connection: at once if one waits in the backlog, else
 * after waiting in epoll_pwait(), which with EPOLLEXCLUSIVE wakes one
 * idle worker per new connection, not all of them (poll would).  A stop
 * signal, blocked while the worker runs, is taken there or seen pending.
 */
static int
next_conn(
    struct worker *w, FCGX_Request *fr, int listen_fd, const sigset_t *waitmask)
{
	struct epoll_event ev;
	sigset_t pending;

	if (sigpending(&pending) == 0 && sigismember(&pending, SIGQUIT))
		quit = 1;
	if (quit)
		return -1;
	if (conn_accept(fr, listen_fd))
		return 1;
	if (epoll_pwait(w->epfd, &ev, 1, -1, waitmask) < 0)
		return -1;
	return conn_accept(fr, listen_fd);
}

/*
 * Waits for the next request: on the kept connection if there is one,
 * else on the listening socket.  Returns 1 when fr's connection has a
 * request to read, 0 when there is nothing to do yet, -1 on a signal.
 */
static int
next_request(
    struct worker *w, FCGX_Request *fr, int listen_fd, const sigset_t *waitmask)
{
	struct timespec tick = { 0, STARVE_MS * 1000000L };
	struct pollfd pfd[2] = { { .fd = listen_fd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN } };
	uint64_t now;
	char c;
	int rc;

	if (fr->ipcFd < 0)
		return next_conn(w, fr, listen_fd, waitmask);
	/* Kept: make room once a new connection has starved STARVE_MS. */
	now = now_us();
	if (!backlog(listen_fd))
		w->starved = 0;
	else if (w->starved == 0)
		w->starved = now;
	else if (now - w->starved >= STARVE_MS * 1000) {
		w->starved = 0;
		give_back(w, fr);
		return conn_accept(fr, listen_fd);
	}
	pfd[0].fd = fr->ipcFd;
	pfd[1].fd = w->starved ? -1 : listen_fd;
	rc = ppoll(pfd, 2, w->starved ? &tick : NULL, waitmask);
	if (quit || rc < 0)
		return -1;
	if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if (recv(fr->ipcFd, &c, 1, MSG_PEEK) <= 0) {
		conn_close(fr); /* the web server let go */
		return 0;
	}
	return 1;
}

void
worker_main(const struct conf *c, int listen_fd, int slot, int role)
{
	struct worker w;
	FCGX_Request fr;
	sigset_t waitmask;
	unsigned long served = 0;

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	signals(&waitmask);
	deadline_init(c->read_ms);
	listen_fd_ = listen_fd;
	reply_on_headers = headers_left;
	if (slot >= 0) {
		sb_attach((size_t)slot);
		met_attach((size_t)slot);
	}
	memset(&w, 0, sizeof(w));
	w.conf = c;
	w.routes = role == SB_STATUS ? status_routes : routes;
	w.arena = arena_new();
	buf_init(&w.body, LIM_REPLY_MAX);
	w.pool = pool_new(c->ntenants, c->backoff_ms);
	w.epfd = listen_epoll(listen_fd);
	/* libfcgi never accepts by itself: its listening socket is -1. */
	FCGX_InitRequest(&fr, -1, 0);
	while (!quit) {
		sb_self_state(SB_IDLE);
		if (next_request(&w, &fr, listen_fd, &waitmask) != 1 ||
		    !serve(&w, &fr))
			continue;
		if (c->max_requests > 0 &&
		    ++served >= (unsigned long)c->max_requests)
			break;
	}
	sb_self_state(SB_ENDING);
	if (fr.ipcFd >= 0)
		give_back(&w, &fr);
	pool_free(w.pool);
	_exit(0);
}
