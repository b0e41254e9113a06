/*
 * The listening socket, the pid file and privileges.
 */
#ifndef PBXAPI_PRIV_H
#define PBXAPI_PRIV_H

struct conf;

/*
 * Opens a listening socket on addr (c->listen or c->status_listen): a
 * path (unix socket, given listen.mode, listen.owner and listen.group)
 * or host:port.  The socket is non-blocking: workers poll before they
 * accept.  Returns the fd, or -1 with a message in errbuf.
 */
int listen_open(
    const struct conf *c, const char *addr, char *errbuf, size_t errlen);

/*
 * Opens the event companion's socket (c->companion_socket): mode 0600,
 * owned by c->user (the workers' and the companion's user) when running
 * as root, non-blocking.  The master keeps it across generations; each
 * companion inherits it.  Returns the fd, or -1 with a message in errbuf.
 */
int companion_listen(const struct conf *c, char *errbuf, size_t errlen);

/*
 * Returns the listening socket inherited from systemd (LISTEN_FDS) or
 * spawn-fcgi (fd 0), made non-blocking, or -1 if there is none.  *single
 * is set for fd 0: spawn-fcgi expects one worker per process.
 */
int listen_inherited(int *single);

/*
 * Drops root privileges to c->user and c->group.  Running workers as root
 * is refused.  Returns 0, or -1 after logging why.
 */
int priv_drop(const struct conf *c);

/* Writes the pid file if c->pid is set.  Returns 0 or -1. */
int pidfile_write(const struct conf *c);

#endif
