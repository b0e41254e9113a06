/*
 * Worker (see worker.h).
 */
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
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "json.h"
#include "log.h"
#include "pool.h"
#include "reply.h"
#include "req.h"
#include "scoreboard.h"
#include "worker.h"

#define KEEP_SOFT 1    /* kept-alive connections before leaving new ones */
#define KEEP_MAX  32   /* kept-alive connections a worker holds at most */
#define STARVE_MS 5    /* backlog wait before a full worker takes one */
#define RETIRE_MS 2000 /* how long a leaving worker waits for its conns */

struct worker {
	const struct conf *conf;
	struct arena *arena;
	struct buf body;
	struct pool *pool; /* backend connections, per tenant */
	unsigned long nreq;
};

static volatile sig_atomic_t quit;
static volatile sig_atomic_t in_request, headers_sent;
static volatile int cur_fd = -1, cur_id;
static int listen_fd_ = -1;

int
worker_listen_fd(void)
{
	return listen_fd_;
}

static void
on_quit(int sig)
{
	(void)sig;
	quit = 1;
}

/*
 * request_terminate_timeout: the master sends SIGALRM.  If no byte of the
 * reply has left, answer 504 on the FastCGI connection with write(2)
 * alone (async-signal-safe), then exit; the master forks a replacement.
 */
static void
on_alarm(int sig)
{
	static const char body[] =
	    "Status: 504 Gateway Timeout\r\n"
	    "Content-Type: application/json\r\n\r\n"
	    "{\"error\":\"Gateway Timeout\",\"code\":504}";
	unsigned char rec[8 + sizeof(body) + 8 + 8 + 8];
	size_t n = 0, len = sizeof(body) - 1;
	int id = cur_id;

	(void)sig;
	if (in_request && !headers_sent && cur_fd >= 0) {
		unsigned char h[8] = { 1, 6, (unsigned char)(id >> 8),
			(unsigned char)id, (unsigned char)(len >> 8),
			(unsigned char)len, 0, 0 };
		unsigned char eos[8] = { 1, 6, (unsigned char)(id >> 8),
			(unsigned char)id, 0, 0, 0, 0 };
		unsigned char end[16] = { 1, 3, (unsigned char)(id >> 8),
			(unsigned char)id, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
		memcpy(rec, h, 8);
		memcpy(rec + 8, body, len);
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
 * Handlers run with SA_RESTART so that libfcgi's reads and writes inside
 * a request are never cut short.  SIGQUIT stays blocked except while the
 * worker waits in ppoll(), so it acts only between requests;
 * SIGALRM (the request timeout) and SIGTERM act at once.  FCGX_Init()
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

static void
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
	log_request(r.id, NULL);
	reply_init(&rp, w->arena, &w->body, fr->out);
	e = req_init(&r);
	if (e == E_OK)
		e = dispatch(&r, &rp);
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
	if (e != E_OK && r.errmsg[0] != '\0')
		log_info("%s: %s", err_str(e), r.errmsg);
	sb_self_state(SB_FINISHING);
	if (reply_finish(&rp) == -1)
		log_info("client went away");
	drain(fr);
	dur = now_us() - r.start_us;
	access_line(&r, &rp, dur);
	log_request(NULL, NULL);
	sb_self_end(dur, cpu_us() - cpu0, arena_used(w->arena));
	arena_reset(w->arena);
}

/*
 * Accepts a connection for libfcgi: the worker accepts itself (the
 * listening socket is non-blocking and shared by all workers), so that a
 * stop signal can never strand a connection inside the library.  Returns
 * the fd or -1.
 */
static int
accept_conn(int listen_fd)
{
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1 && errno != EAGAIN && errno != EINTR &&
	    errno != ECONNABORTED) {
		log_warn("accept");
		usleep(100000);
	}
	return fd;
}

/*
 * A worker keeps the connections the web server leaves open
 * (fastcgi_keep_conn) and serves whichever one carries the next request,
 * taking turns with new connections on the listening socket.
 *
 * With one connection per worker, a worker would sit on a connection the
 * web server may not use again soon while a request waits in the
 * backlog; with many, requests queue behind each other on one busy
 * worker while another is idle.  And closing an idle kept connection
 * races with a request being written to it, which the web server then
 * fails.  So a worker never closes a kept connection while it runs; with
 * KEEP_SOFT of them it stops accepting and leaves new connections to the
 * other workers, unless one has waited in the backlog for STARVE_MS (the
 * web server keeps more connections than the pool has room for): then it
 * takes it anyway, up to KEEP_MAX.
 */
struct conns {
	FCGX_Request r[KEEP_MAX];
	uint64_t starved; /* since when a connection waits, 0: none */
	unsigned next;	  /* where the readiness scan starts */
};

static void
conns_init(struct conns *cs)
{
	size_t i;

	memset(cs, 0, sizeof(*cs));
	/* libfcgi never accepts by itself: its listening socket is -1. */
	for (i = 0; i < KEEP_MAX; i++)
		FCGX_InitRequest(&cs->r[i], -1, 0);
}

/* Returns a free slot (KEEP_MAX if none) and the open count in *open. */
static size_t
conns_free(const struct conns *cs, size_t *open)
{
	size_t i, slot = KEEP_MAX;

	*open = 0;
	for (i = 0; i < KEEP_MAX; i++)
		if (cs->r[i].ipcFd >= 0)
			(*open)++;
		else if (slot == KEEP_MAX)
			slot = i;
	return slot;
}

/* Takes a new connection into slot.  Returns the request or NULL. */
static FCGX_Request *
conns_take(struct conns *cs, size_t slot, int listen_fd)
{
	int fd;

	cs->starved = 0;
	if ((fd = accept_conn(listen_fd)) < 0)
		return NULL;
	cs->r[slot].ipcFd = fd;
	/* Keep FCGX_Accept_r's internal finish from closing it. */
	cs->r[slot].keepConnection = 1;
	return &cs->r[slot];
}

/* Returns 1 if a connection has waited in the backlog for STARVE_MS. */
static int
conns_starving(struct conns *cs, int listen_fd)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	uint64_t now = now_us();

	if (poll(&pfd, 1, 0) != 1) {
		cs->starved = 0;
		return 0;
	}
	if (cs->starved == 0)
		cs->starved = now;
	return now - cs->starved >= STARVE_MS * 1000;
}

/*
 * Waits for the next request and returns the request whose connection is
 * ready to read (a kept one, or one just accepted), or NULL on a signal
 * or when there is nothing to do.
 */
static FCGX_Request *
next_conn(struct conns *cs, int listen_fd, const sigset_t *waitmask)
{
	struct timespec tick = { 0, STARVE_MS * 1000000L / 2 };
	struct pollfd pfd[KEEP_MAX + 1];
	size_t map[KEEP_MAX + 1], n = 1, i, k, open, slot;
	int room, rc;

	slot = conns_free(cs, &open);
	room = open < KEEP_SOFT;
	pfd[0].fd = room ? listen_fd : -1;
	pfd[0].events = POLLIN;
	for (i = 0; i < KEEP_MAX; i++) {
		if (cs->r[i].ipcFd < 0)
			continue;
		pfd[n].fd = cs->r[i].ipcFd;
		pfd[n].events = POLLIN;
		map[n++] = i;
	}
	if (quit || (rc = ppoll(pfd, n, room ? NULL : &tick, waitmask)) < 0)
		return NULL;
	if (!room && slot < KEEP_MAX && conns_starving(cs, listen_fd))
		return conns_take(cs, slot, listen_fd);
	/*
	 * Take turns among the ready descriptors, the listening socket
	 * included, so that neither a kept connection nor a new one waits
	 * while the others stay busy.
	 */
	for (k = 0; rc > 0 && k < n; k++) {
		i = (cs->next + k) % n;
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		cs->next = (unsigned)(i + 1);
		if (i > 0)
			return &cs->r[map[i]];
		return conns_take(cs, slot, listen_fd);
	}
	return NULL;
}

/*
 * Serves the request waiting on fr's connection.  Returns 0, or -1 if the
 * connection was closed or broken (libfcgi has closed it then).
 */
static int
serve(struct worker *w, FCGX_Request *fr)
{
	if (FCGX_Accept_r(fr) < 0)
		return -1;
	cur_id = fr->requestId;
	cur_fd = fr->ipcFd;
	headers_sent = 0;
	in_request = 1;
	sb_self_begin();
	handle(w, fr);
	in_request = 0;
	FCGX_Finish_r(fr);
	return 0;
}

/*
 * Leaving, a worker must not simply close its kept connections: the web
 * server may be writing a request to one at that moment, and would fail
 * it.  Instead it writes an empty FCGI_STDERR record on each.  nginx
 * closes an idle cached connection on which anything arrives; one it has
 * just taken for a request reads the record as an empty stderr stream
 * and the reply follows.  So the worker waits, for at most RETIRE_MS,
 * until the web server has closed them all, serving what still arrives
 * and asking again after each reply.
 */

/* Writes the empty FCGI_STDERR record that asks nginx to let go. */
static void
retire_notice(const FCGX_Request *fr)
{
	unsigned char rec[8] = { 1, 7, (unsigned char)(fr->requestId >> 8),
		(unsigned char)fr->requestId, 0, 0, 0, 0 };

	(void)!write(fr->ipcFd, rec, sizeof(rec));
}

static void
conns_retire(struct conns *cs, struct worker *w)
{
	struct pollfd pfd[KEEP_MAX];
	size_t map[KEEP_MAX], n, i;
	uint64_t end = now_us() + RETIRE_MS * 1000;
	FCGX_Request *fr;
	long left;
	char c;

	for (i = 0; i < KEEP_MAX; i++)
		if (cs->r[i].ipcFd >= 0)
			retire_notice(&cs->r[i]);
	for (;;) {
		for (i = 0, n = 0; i < KEEP_MAX; i++) {
			if (cs->r[i].ipcFd < 0)
				continue;
			pfd[n].fd = cs->r[i].ipcFd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		left = (long)((end - now_us()) / 1000);
		if (n == 0 || left <= 0 || poll(pfd, n, (int)left) <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			fr = &cs->r[map[i]];
			if (recv(pfd[i].fd, &c, 1, MSG_PEEK) <= 0) {
				close(fr->ipcFd); /* nginx let it go */
				fr->ipcFd = -1;
			} else if (serve(w, fr) == 0 && fr->ipcFd >= 0)
				retire_notice(fr); /* it came back: ask again */
		}
	}
	for (i = 0; i < KEEP_MAX; i++)
		if (cs->r[i].ipcFd >= 0)
			close(cs->r[i].ipcFd);
}

void
worker_main(const struct conf *c, int listen_fd, int slot)
{
	static struct conns cs;
	struct worker w;
	FCGX_Request *fr;
	sigset_t waitmask;
	unsigned long served = 0;

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	signals(&waitmask);
	listen_fd_ = listen_fd;
	reply_on_headers = headers_left;
	if (slot >= 0)
		sb_attach((size_t)slot);
	memset(&w, 0, sizeof(w));
	w.conf = c;
	w.arena = arena_new();
	buf_init(&w.body, LIM_REPLY_MAX);
	w.pool = pool_new(c->ntenants, c->backoff_ms);
	conns_init(&cs);
	while (!quit) {
		sb_self_state(SB_IDLE);
		if ((fr = next_conn(&cs, listen_fd, &waitmask)) == NULL ||
		    serve(&w, fr) == -1)
			continue;
		if (c->max_requests > 0 &&
		    ++served >= (unsigned long)c->max_requests)
			break;
	}
	sb_self_state(SB_ENDING);
	conns_retire(&cs, &w);
	pool_free(w.pool);
	_exit(0);
}
