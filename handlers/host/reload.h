/*
 * Reloads after a configuration change.  The reference ran
 * /var/lib/asterisk/bin/retrieve_conf and ".../module_admin reload"
 * through /bin/sh after the extension and follow-me commands and ignored
 * whatever happened.  pbxapi runs the program a tenant setting names
 * (RETRIEVE_CONF_CMD, RELOAD_CMD; the reference's paths by default) with
 * posix_spawn and an argv split at blanks: no shell, stdin, stdout and
 * stderr on /dev/null, no inherited descriptors, default signals.  It
 * waits up to RELOAD_TIMEOUT (default 30s).  A missing program, a failure
 * or a timeout is logged and otherwise ignored, like the reference; an
 * empty setting turns the step off.
 */
#ifndef PBXAPI_RELOAD_H
#define PBXAPI_RELOAD_H

#include <stddef.h>

struct req;

enum reload_step {
	RELOAD_RETRIEVE_CONF, /* RETRIEVE_CONF_CMD */
	RELOAD_MODULE_ADMIN,  /* RELOAD_CMD */
};

/* Runs the step's program for r's tenant and waits for it (see above). */
void pbx_reload(struct req *r, enum reload_step step);

/*
 * Splits s in place at spaces and tabs into at most max - 1 words,
 * NULL-terminated.  Returns the number of words, or -1 if there are more.
 */
int cmdline_split(char *s, char **argv, size_t max);

/*
 * Runs argv[0] (a path; PATH is not searched) with argv and waits at most
 * timeout_ms.  Returns 0 with the wait status in *status, -1 with errno
 * set if it could not be started, or -2 if it was still running at the
 * deadline (it is left running).
 */
int spawn_wait(char *const argv[], long timeout_ms, int *status);

#endif
