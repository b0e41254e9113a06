/*
 * Listening socket, pid file and privileges (see priv.h).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "priv.h"

static int
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
listen_unix(const struct conf *c, const char *path, char *errbuf, size_t errlen)
{
	struct sockaddr_un sun;
	struct passwd *pw;
	struct group *gr;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(errbuf, errlen, "socket path '%s' too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	if (chmod(path, (mode_t)c->listen_mode) == -1)
		goto fail;
	if (c->listen_owner[0] != '\0') {
		if ((pw = getpwnam(c->listen_owner)) == NULL) {
			snprintf(errbuf, errlen,
			    "listen.owner '%s': no such user", c->listen_owner);
			close(fd);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (c->listen_group[0] != '\0') {
		if ((gr = getgrnam(c->listen_group)) == NULL) {
			snprintf(errbuf, errlen,
			    "listen.group '%s': no such group",
			    c->listen_group);
			close(fd);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) == -1)
		goto fail;
	if (listen(fd, (int)c->backlog) == -1 || nonblock(fd) == -1)
		goto fail;
	return fd;
fail:
	snprintf(
	    errbuf, errlen, "cannot listen on '%s': %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

int
companion_listen(const struct conf *c, char *errbuf, size_t errlen)
{
	const char *path = c->companion_socket;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct passwd *pw = NULL;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(errbuf, errlen, "socket path '%s' too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (geteuid() == 0 && c->user[0] != '\0' &&
	    (pw = getpwnam(c->user)) == NULL) {
		snprintf(errbuf, errlen, "user '%s': no such user", c->user);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0600) == -1)
		goto fail;
	if (pw != NULL && chown(path, pw->pw_uid, pw->pw_gid) == -1)
		goto fail;
	if (listen(fd, 128) == -1 || nonblock(fd) == -1)
		goto fail;
	return fd;
fail:
	snprintf(
	    errbuf, errlen, "cannot listen on '%s': %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

static int
listen_tcp(const struct conf *c, const char *addr, char *errbuf, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], *colon;
	const char *port;
	int fd = -1, on = 1, rc;

	snprintf(host, sizeof(host), "%s", addr);
	colon = strrchr(host, ':');
	if (colon == NULL) {
		snprintf(host, sizeof(host), "127.0.0.1");
		port = addr;
	} else {
		*colon = '\0';
		port = colon + 1;
	}
	/* "[::1]:9000" */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(
	    host[0] && strcmp(host, "*") ? host : NULL, port, &hints, &res);
	if (rc != 0) {
		snprintf(errbuf, errlen, "cannot resolve '%s': %s", addr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, (int)c->backlog) == 0 && nonblock(fd) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		snprintf(errbuf, errlen, "cannot listen on '%s': %s", addr,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

int
listen_open(const struct conf *c, const char *addr, char *errbuf, size_t errlen)
{
	if (addr[0] == '/')
		return listen_unix(c, addr, errbuf, errlen);
	return listen_tcp(c, addr, errbuf, errlen);
}

static int
is_listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

int
listen_inherited(int *single)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	*single = 0;
	if (pid != NULL && fds != NULL && atol(pid) == (long)getpid() &&
	    atoi(fds) >= 1 && is_listening(3)) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		fcntl(3, F_SETFD, FD_CLOEXEC);
		nonblock(3);
		return 3;
	}
	if (is_listening(0)) {
		*single = 1;
		nonblock(0);
		return 0;
	}
	return -1;
}

int
priv_drop(const struct conf *c)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (c->user[0] == '\0') {
		log_warnx("refusing to run workers as root: set 'user'");
		return -1;
	}
	if ((pw = getpwnam(c->user)) == NULL) {
		log_warnx("user '%s': no such user", c->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_warnx(
		    "refusing to run workers as root ('user = %s')", c->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (c->group[0] != '\0') {
		if ((gr = getgrnam(c->group)) == NULL) {
			log_warnx("group '%s': no such group", c->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_warn("cannot drop privileges to '%s'", c->user);
		return -1;
	}
	if (setuid(0) != -1) {
		log_warnx("privileges could be regained, aborting");
		return -1;
	}
	return 0;
}

int
pidfile_write(const struct conf *c)
{
	FILE *fp;

	if (c->pid_file[0] == '\0')
		return 0;
	fp = fopen(c->pid_file, "we");
	if (fp == NULL)
		return -1;
	fprintf(fp, "%ld\n", (long)getpid());
	return fclose(fp) == 0 ? 0 : -1;
}
