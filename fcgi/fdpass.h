/*
 * Passing a file descriptor between processes over a unix socket
 * (SCM_RIGHTS): the master hands the event companion its reopened error
 * log on SIGUSR1, so that the companion, and the state it holds, need
 * not be replaced for a log rotation.
 */
#ifndef PBXAPI_FDPASS_H
#define PBXAPI_FDPASS_H

/* Sends fd on sock without blocking.  Returns 0, or -1 (errno set). */
int fd_send(int sock, int fd);

/*
 * Takes the descriptor waiting on sock without blocking (close-on-exec).
 * Returns it, or -1 (errno set; EAGAIN: none is waiting).
 */
int fd_recv(int sock);

#endif
