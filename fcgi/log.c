/*
 * Logging (see log.h).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "utf8.h"

struct target {
	int fd;		/* -1: off */
	int syslog;	/* nonzero: syslog(3) */
	char path[256]; /* file target, "" otherwise */
};

static struct target err_t = { .fd = STDERR_FILENO };
static struct target acc_t = { .fd = -1 };
static struct target rec_t = { .fd = -1 }; /* recording access */
static enum log_level min_level = LOG_LVL_NOTICE;
static const char *ident = "pbxapi";
static char prefix[96];

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[LOG_LVL_ERROR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcmp(name, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

static int
target_set(struct target *t, const char *spec)
{
	int fd;

	if (strcmp(spec, "off") == 0) {
		fd = -1;
	} else if (strcmp(spec, "stderr") == 0) {
		fd = STDERR_FILENO;
	} else if (strcmp(spec, "syslog") == 0) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		fd = -1;
	} else {
		fd =
		    open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1)
			return -1;
	}
	if (t->path[0] != '\0' && t->fd > STDERR_FILENO)
		close(t->fd);
	t->fd = fd;
	t->syslog = strcmp(spec, "syslog") == 0;
	t->path[0] = '\0';
	if (fd > STDERR_FILENO)
		snprintf(t->path, sizeof(t->path), "%s", spec);
	return 0;
}

int
log_open(const char *target, enum log_level level)
{
	min_level = level;
	return target_set(&err_t, target);
}

int
log_open_access(const char *target)
{
	return target_set(&acc_t, target);
}

int
log_open_recordings(const char *target)
{
	return target_set(&rec_t, target);
}

static int
target_reopen(struct target *t)
{
	int fd;

	if (t->path[0] == '\0')
		return 0;
	fd = open(t->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (dup2(fd, t->fd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
log_reopen(void)
{
	int rc = 0;

	if (target_reopen(&err_t) == -1)
		rc = -1;
	if (target_reopen(&acc_t) == -1)
		rc = -1;
	if (target_reopen(&rec_t) == -1)
		rc = -1;
	return rc;
}

int
log_error_fd(void)
{
	return err_t.path[0] != '\0' ? err_t.fd : -1;
}

int
log_adopt(int fd)
{
	int rc = -1;

	if (err_t.path[0] != '\0' && dup2(fd, err_t.fd) != -1)
		rc = 0;
	close(fd);
	return rc;
}

void
log_ident(const char *s)
{
	ident = s;
}

void
log_request(const char *reqid, const char *what)
{
	if (reqid == NULL)
		prefix[0] = '\0';
	else
		snprintf(prefix, sizeof(prefix), "[%s%s%s] ", reqid,
		    what ? " " : "", what ? what : "");
}

int
log_enabled(enum log_level level)
{
	return level <= min_level;
}

/* Formats one line and writes it with a single write(2). */
static void
emit(struct target *t, enum log_level level, int with_level, const char *msg)
{
	char line[LIM_LOG_LINE], stamp[32];
	struct tm tm;
	time_t now;
	int n;

	if (t->syslog) {
		syslog(
		    syslog_prio[level], "%s%s", with_level ? prefix : "", msg);
		return;
	}
	if (t->fd == -1)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (with_level)
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: %s%s\n",
		    stamp, ident, (long)getpid(), level_names[level], prefix,
		    msg);
	else
		n = snprintf(line, sizeof(line), "%s %s\n", stamp, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(t->fd, line, (size_t)n);
}

/*
 * Keeps a line a line, and valid UTF-8: control bytes and invalid
 * sequences (peers and clients put anything in names) become '?'.
 */
static void
sanitize(char *s)
{
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			s[i++] = '?';
		} else if ((unsigned char)s[i] < 0x80) {
			i++;
		} else if ((k = utf8_seq(s + i, n - i)) > 0) {
			i += k;
		} else
			s[i++] = '?';
	}
}

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[LIM_LOG_LINE];
	size_t len;

	if (level > min_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	sanitize(msg);
	if (errnum != 0) {
		len = strlen(msg);
		if (len + 3 < sizeof(msg))
			snprintf(msg + len, sizeof(msg) - len, ": %s",
			    strerror(errnum));
	}
	emit(&err_t, level, 1, msg);
}

#define LOGFN(name, level, with_errno)                        \
	void name(const char *fmt, ...)                       \
	{                                                     \
		int saved = errno;                            \
		va_list ap;                                   \
		va_start(ap, fmt);                            \
		vlog(level, with_errno ? saved : 0, fmt, ap); \
		va_end(ap);                                   \
		errno = saved;                                \
	}

LOGFN(log_warn, LOG_LVL_WARN, 1)
LOGFN(log_warnx, LOG_LVL_WARN, 0)
LOGFN(log_notice, LOG_LVL_NOTICE, 0)
LOGFN(log_info, LOG_LVL_INFO, 0)
LOGFN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_access(const char *fmt, ...)
{
	char msg[LIM_LOG_LINE];
	va_list ap;

	if (acc_t.fd == -1 && !acc_t.syslog)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	emit(&acc_t, LOG_LVL_INFO, 0, msg);
}

int
log_recordings_on(void)
{
	return rec_t.fd != -1 || rec_t.syslog;
}

void
log_recording(const char *line)
{
	char msg[LIM_LOG_LINE];

	if (!log_recordings_on())
		return;
	snprintf(msg, sizeof(msg), "%s", line);
	sanitize(msg);
	emit(&rec_t, LOG_LVL_INFO, 0, msg);
}
