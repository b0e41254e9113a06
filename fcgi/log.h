/*
 * Logging: one line per message, written with a single write(2) so that
 * workers sharing a file never interleave.  Destinations are stderr, a
 * file (reopened on SIGUSR1) or syslog.  While a request runs, lines are
 * prefixed with its id and command.
 */
#ifndef PBXAPI_LOG_H
#define PBXAPI_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/*
 * Sets where error lines go: "stderr", "syslog" or a file path.  Returns 0,
 * or -1 (errno set) if the file cannot be opened; the old target stays.
 */
int log_open(const char *target, enum log_level level);

/* Sets where access lines go ("off", "stderr", "syslog" or a path). */
int log_open_access(const char *target);

/* Reopens file targets (SIGUSR1).  Returns 0 or -1. */
int log_reopen(void);

/* The error log's descriptor if it is a file, else -1. */
int log_error_fd(void);

/*
 * Makes fd (a file the master reopened) the error log's file, in place
 * of the one in use (dup2: a thread writing meanwhile writes to one or
 * the other), and closes fd.  Returns 0, or -1 if the error log is not
 * a file.
 */
int log_adopt(int fd);

/* Sets the ident shown in each line (default "pbxapi"). */
void log_ident(const char *ident);

/* Sets or clears (NULLs) the per-request prefix. */
void log_request(const char *reqid, const char *what);

/* Returns the level name's enum, or -1. */
int log_level_parse(const char *name);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Sets where recording access lines go (the recording server dialect's
 * compliance log: "off", "stderr", "syslog" or a path).
 */
int log_open_recordings(const char *target);

/* Returns nonzero if recording access lines go anywhere. */
int log_recordings_on(void);

/* Writes one recording access line as it is (no prefix, no level). */
void log_recording(const char *line);

/* Writes one access-log line (no prefix, no level). */
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns nonzero if lines of this level are written. */
int log_enabled(enum log_level level);

#endif
