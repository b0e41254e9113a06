/*
 * The audit log's writer (see audit.h).
 *
 * Why a mutex in shared memory rather than a lock on the file: the chain
 * state must outlive the file.  After SIGUSR1 (rotation) or a reload the
 * retiring workers hold only the old file, so every worker writes there
 * until they have left (audit_settle), and the chains then go on in the
 * new file; a lock on either file could not order that.  The mutex is
 * robust, so a worker killed while
 * it holds it does not stop the others, and every signal is blocked while
 * it is held, so that only SIGKILL can end a worker between its write
 * and the update of its chain.  It is held for one SHA-256 and one
 * write(2) of a line, never across backend I/O.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "json.h"
#include "log.h"
#include "reply.h"
#include "req.h"

#define CLIENT_MAX 64 /* bytes of "client" */

/* One chain: a tenant and the hash of its last line written. */
struct slot {
	char tenant[LIM_TENANT_NAME + 1];
	char hash[AUDIT_HEX + 1];
};

/* Shared by the master and every worker; slots are taken in order. */
struct chains {
	pthread_mutex_t mu;
	unsigned file; /* the file to write to: its seq */
	size_t n;
	struct slot slot[AUDIT_TENANTS];
};

static struct chains *chains; /* mapped by the master, NULL: never on */
static int fd = -1;	      /* the file, -1: none */
static unsigned seq;	      /* fd's number: 1, 2... a file per open */
static int old_fd = -1;	      /* the file before, until it is let go */
static int to_syslog;

static const char zeros[AUDIT_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The names of the errors, E_ and all, for "outcome". */
static const char *const err_names[] = {
#define X(name, status, text) [name] = #name,
	ERR_TABLE
#undef X
};

int
audit_wanted(const struct cmd *c)
{
	return (c->scope & (SCOPE_WRITE | SCOPE_ARI_CONTROL)) != 0 ||
	    (c->flags & (C_ORIGINATE | C_HANGUP | C_RECORDING)) != 0;
}

/* Maps the chains and makes their mutex.  Returns 0 or -1. */
static int
chains_map(void)
{
	pthread_mutexattr_t ma;
	void *p;

	p = mmap(NULL, sizeof(*chains), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	chains = p;
	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&chains->mu, &ma) != 0) {
		munmap(p, sizeof(*chains));
		chains = NULL;
		errno = ENOMEM;
		return -1;
	}
	pthread_mutexattr_destroy(&ma);
	return 0;
}

/*
 * Takes the chains' mutex, also from a worker that died holding it.
 * Returns 0, or -1 (logged) if it cannot.
 */
static int
chains_lock(void)
{
	int rc = pthread_mutex_lock(&chains->mu);

	if (rc == EOWNERDEAD) {
		log_warnx("a worker died writing the audit log: its last line "
			  "may break a chain");
		return pthread_mutex_consistent(&chains->mu) == 0 ? 0 : -1;
	}
	if (rc != 0) {
		log_warnx("cannot lock the audit chains: %s", strerror(rc));
		return -1;
	}
	return 0;
}

/* Returns the chain of tenant, a new one if need be, or NULL if full. */
static struct slot *
slot_of(const char *tenant)
{
	struct slot *s;
	size_t i;

	for (i = 0; i < chains->n; i++)
		if (strcmp(chains->slot[i].tenant, tenant) == 0)
			return &chains->slot[i];
	if (chains->n == AUDIT_TENANTS)
		return NULL;
	s = &chains->slot[chains->n++];
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	memcpy(s->hash, zeros, sizeof(s->hash));
	return s;
}

/*
 * Resumes the chains from path: each tenant's last sealed line.  The
 * master does it alone, before any worker exists.
 */
static void
resume(const char *path)
{
	static char line[AUDIT_LINE_MAX + 1];
	struct arena *a = arena_new();
	unsigned long skipped = 0, n = 0;
	struct audit_rec rec;
	struct slot *s;
	const char *why;
	int complete;
	long len;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn(
		    "cannot read audit log '%s' to resume its chains", path);
		arena_free(a);
		return;
	}
	while ((len = audit_read_line(fp, line, &complete)) != -1) {
		arena_reset(a);
		n++;
		if (!complete ||
		    audit_parse(a, line, (size_t)len, &rec, &why) == -1 ||
		    !rec.sealed || (s = slot_of(rec.tenant)) == NULL) {
			skipped++;
			continue;
		}
		memcpy(s->hash, rec.hash, sizeof(s->hash));
	}
	if (skipped > 0)
		log_warnx("audit log '%s': %lu of %lu lines are not sealed "
			  "audit lines, not resumed from",
		    path, skipped, n);
	fclose(fp);
	arena_free(a);
}

/*
 * Ends a line cut short (a crash, a full disk) with a newline, so that it
 * stays a line of its own, which verify reports, and the next line is
 * whole.
 */
static void
end_partial(int wfd, const char *path)
{
	int rfd = open(path, O_RDONLY | O_CLOEXEC);
	char c;

	/* Workers may be writing to it (a reload): not in mid-line. */
	if (rfd == -1 || chains_lock() == -1) {
		if (rfd != -1)
			close(rfd);
		return;
	}
	if (lseek(rfd, -1, SEEK_END) != -1 && read(rfd, &c, 1) == 1 &&
	    c != '\n' && write(wfd, "\n", 1) == 1)
		log_warnx("audit log '%s' ended with a partial line", path);
	pthread_mutex_unlock(&chains->mu);
	close(rfd);
}

/* Writes every line to file number n from now on. */
static void
switch_to(unsigned n)
{
	if (chains_lock() == -1)
		return;
	chains->file = n;
	pthread_mutex_unlock(&chains->mu);
}

/* Closes the files; the chains stay. */
static void
close_files(void)
{
	if (old_fd != -1)
		close(old_fd);
	if (fd != -1)
		close(fd);
	fd = old_fd = -1;
}

/*
 * Makes nfd the file (-1: none).  Replacing one, the workers go on
 * writing to the one before until audit_settle(): the retiring workers
 * have only that one, and a chain must not run on in the new file while
 * a line of it may still come to the old one.
 */
static void
set_file(int nfd)
{
	if (nfd == -1) {
		close_files(); /* syslog */
		return;
	}
	if (fd == -1) {
		close_files();
		fd = nfd;
		switch_to(++seq);
		return;
	}
	if (old_fd == -1)
		old_fd = fd; /* chains->file stays its number */
	else
		close(fd); /* never written to: the older one still is */
	fd = nfd;
	seq++;
}

void
audit_settle(void)
{
	if (old_fd == -1)
		return;
	switch_to(seq);
	close(old_fd);
	old_fd = -1;
}

int
audit_open(const char *target, char *err, size_t errlen)
{
	int nfd = -1, first = chains == NULL;

	if (strcmp(target, "off") == 0) {
		close_files();
		to_syslog = 0;
		return 0;
	}
	if (first && chains_map() == -1) {
		snprintf(err, errlen, "cannot map the audit chains: %s",
		    strerror(errno));
		return -1;
	}
	if (strcmp(target, "syslog") != 0) {
		nfd = open(
		    target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (nfd == -1) {
			snprintf(err, errlen, "cannot open audit.log '%s': %s",
			    target, strerror(errno));
			return -1;
		}
		end_partial(nfd, target);
		if (first)
			resume(target);
	}
	set_file(nfd);
	to_syslog = nfd == -1;
	return 0;
}

/* Returns the target of r (its .target or first path argument), or NULL. */
static const struct arg *
target(const struct req *r)
{
	const struct cmd *c = r->cmd;
	size_t i;

	if (r->args == NULL)
		return NULL; /* refused before its arguments were read */
	for (i = 0; i < c->nparams; i++)
		if (c->target != NULL
			? strcmp(c->params[i].name, c->target) == 0
			: c->params[i].src == SRC_PATH)
			break;
	if (i == c->nparams || r->args[i].s == NULL || r->args[i].len == 0)
		return NULL;
	return &r->args[i];
}

/* Writes "outcome": "ok", or the error's name in lower case. */
static void
outcome(struct jw *w, enum err e)
{
	char name[32];
	size_t i;

	if (e == E_OK || (unsigned)e >= E__MAX) {
		jw_strz(w, e == E_OK ? "ok" : "unknown");
		return;
	}
	snprintf(name, sizeof(name), "%s", err_names[e] + 2);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] - 'A' + 'a');
	jw_strz(w, name);
}

/* Writes the line of r into b up to "prev".  Returns 0 or -1. */
static int
line_begin(
    struct buf *b, const struct req *r, const struct reply *rp, enum err e)
{
	const char *client = req_param(r, "REMOTE_ADDR");
	const struct arg *t = target(r);
	char stamp[48], ms[8];
	struct timespec ts;
	struct tm tm;
	struct jw w;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ms, sizeof(ms), ".%03ldZ", ts.tv_nsec / 1000000 % 1000);
	strncat(stamp, ms, sizeof(stamp) - strlen(stamp) - 1);
	jw_init(&w, b, JW_UTF8);
	jw_obj_open(&w);
	jw_keyz(&w, "time");
	jw_strz(&w, stamp);
	jw_keyz(&w, "id");
	jw_strz(&w, r->id);
	jw_keyz(&w, "tenant");
	jw_strz(&w, r->tenant != NULL ? r->tenant->name : "");
	jw_keyz(&w, "token");
	jw_strz_or_null(&w, r->token_id);
	jw_keyz(&w, "client");
	if (client == NULL)
		jw_null(&w);
	else
		jw_str(&w, client, strnlen(client, CLIENT_MAX));
	jw_keyz(&w, "dialect");
	jw_strz(&w, r->dialect->name);
	jw_keyz(&w, "cmd");
	jw_strz(&w, r->cmd->name);
	jw_keyz(&w, "target");
	if (t == NULL)
		jw_null(&w);
	else
		jw_str(&w, t->s,
		    t->len < AUDIT_TARGET_MAX ? t->len : AUDIT_TARGET_MAX);
	jw_keyz(&w, "status");
	jw_int(&w, rp->status);
	jw_keyz(&w, "outcome");
	outcome(&w, e);
	/* The object stays open: "prev" and "hash" end it. */
	return w.error || b->overflow ? -1 : 0;
}

/*
 * Writes the sealed line in b (with its newline) to the file the chains
 * are at (under their mutex).  Returns 0 or -1.
 */
static int
emit(const struct buf *b)
{
	int wfd = old_fd != -1 && chains->file != seq ? old_fd : fd;
	ssize_t n;

	if (to_syslog) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "%.*s", (int)(b->len - 1),
		    b->data);
		return 0;
	}
	n = write(wfd, b->data, b->len);
	if (n == (ssize_t)b->len)
		return 0;
	if (n >= 0)
		errno = ENOSPC;
	return -1;
}

/*
 * Ends the line in b with the chain of tenant: "prev" and "hash", then
 * writes it.  Under the chains' mutex, every signal blocked.
 */
static void
seal_write(struct buf *b, const char *tenant, const char *id)
{
	char hash[AUDIT_HEX + 1];
	sigset_t all, old;
	struct slot *s;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (chains_lock() == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	if ((s = slot_of(tenant)) == NULL)
		log_warnx("more than %d audit chains: tenant '%s' starts a "
			  "new one",
		    AUDIT_TENANTS, tenant);
	buf_printf(b, ",\"prev\":\"%s\"}", s != NULL ? s->hash : zeros);
	audit_hash(b->data, b->len, hash);
	b->len--; /* the '}' was the canonical form's */
	buf_printf(b, ",\"hash\":\"%s\"}\n", hash);
	if (b->overflow)
		log_warnx("audit line of request %s too long, not written", id);
	else if (emit(b) == -1)
		log_warn("cannot write the audit line of request %s", id);
	else if (s != NULL)
		memcpy(s->hash, hash, sizeof(s->hash));
	pthread_mutex_unlock(&chains->mu);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void
audit_request(const struct req *r, const struct reply *rp, enum err e)
{
	static struct buf b;

	if ((fd == -1 && !to_syslog) || chains == NULL || r->cmd == NULL ||
	    !audit_wanted(r->cmd))
		return;
	if (b.max == 0)
		buf_init(&b, AUDIT_LINE_MAX + 1);
	buf_clear(&b);
	if (line_begin(&b, r, rp, e) == -1) {
		log_warnx(
		    "audit line of request %s too long, not written", r->id);
		return;
	}
	seal_write(&b, r->tenant != NULL ? r->tenant->name : "", r->id);
}
