/*
 * Process manager: the master process of the pool.  It owns the
 * listening socket, pre-forks workers (static or dynamic, like php-fpm),
 * runs the event companion while a tenant has events on (companion.h),
 * replaces crashed ones with back-off, enforces the request timeouts from
 * the scoreboard, and handles the signals: SIGQUIT graceful stop, SIGTERM
 * fast stop, SIGHUP reload, SIGUSR1 reopen logs.
 */
#ifndef PBXAPI_PM_H
#define PBXAPI_PM_H

struct conf;

struct pm_args {
	const char *conf_path; /* re-read on SIGHUP */
	const char *env_file;
	int use_environ;
	int foreground; /* error_log "" means stderr, else syslog */
};

/*
 * Runs the master loop with the socket listen_fd until stopped.  Takes
 * ownership of c.  Returns the exit status.
 */
int pm_run(
    struct conf *c, int listen_fd, int status_fd, const struct pm_args *args);

#endif
