/*
 * Post-change reloads through posix_spawn (see reload.h).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "log.h"
#include "reload.h"
#include "req.h"

#define RELOAD_ARGS_MAX	   16
#define RELOAD_TIMEOUT_DEF 30000L

extern char **environ;

static const struct {
	const char *setting;
	const char *def;
} steps[] = {
	[RELOAD_RETRIEVE_CONF] = { "RETRIEVE_CONF_CMD",
	    "/var/lib/asterisk/bin/retrieve_conf" },
	[RELOAD_MODULE_ADMIN] = { "RELOAD_CMD",
	    "/var/lib/asterisk/bin/module_admin reload" },
};

int
cmdline_split(char *s, char **argv, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			break;
		if (n + 1 >= max)
			return -1;
		argv[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	argv[n] = NULL;
	return (int)n;
}

/* stdio on /dev/null, nothing else inherited, default signal state. */
static int
spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at)
{
	sigset_t none, all;
	int i;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawn_file_actions_init(fa) != 0)
		return -1;
	for (i = 0; i < 3; i++)
		posix_spawn_file_actions_addopen(
		    fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
	if (posix_spawnattr_init(at) != 0) {
		posix_spawn_file_actions_destroy(fa);
		return -1;
	}
	posix_spawnattr_setsigmask(at, &none);
	posix_spawnattr_setsigdefault(at, &all);
	posix_spawnattr_setflags(
	    at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	return 0;
}

/* Waits for pid until deadline_us; 1 ms steps growing to 50 ms. */
static int
wait_until(pid_t pid, uint64_t deadline_us, int *status)
{
	struct timespec ts = { 0, 1000000L };
	pid_t got;

	for (;;) {
		got = waitpid(pid, status, WNOHANG);
		if (got == pid)
			return 0;
		if (got == -1 && errno != EINTR)
			return -1;
		if (now_us() >= deadline_us)
			return -2;
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 50000000L)
			ts.tv_nsec *= 2;
	}
}

int
spawn_wait(char *const argv[], long timeout_ms, int *status)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000;
	pid_t pid;
	int rc;

	if (spawn_setup(&fa, &at) == -1)
		return -1;
	rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return wait_until(pid, deadline, status);
}

/* The step's setting: absent means the default, empty means off. */
static const char *
step_cmdline(const struct tenant *t, enum reload_step step)
{
	size_t i;

	for (i = 0; i < t->nenv; i++)
		if (strcmp(t->env[i].key, steps[step].setting) == 0)
			return t->env[i].val;
	return steps[step].def;
}

static long
reload_timeout(const struct tenant *t)
{
	const char *v = tenant_get(t, "RELOAD_TIMEOUT");
	long ms;

	if (*v == '\0' || parse_duration(v, &ms) == -1 || ms <= 0)
		return RELOAD_TIMEOUT_DEF;
	return ms;
}

static void
report(const char *cmd, int rc, int status, long ms)
{
	if (rc == -1)
		log_warn("reload: cannot run '%s'", cmd);
	else if (rc == -2)
		log_warnx(
		    "reload: '%s' still running after %ld ms, not waiting", cmd,
		    ms);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx(
		    "reload: '%s' exited with %d", cmd, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx(
		    "reload: '%s' killed by signal %d", cmd, WTERMSIG(status));
	else
		log_info("reload: '%s' done", cmd);
}

void
pbx_reload(struct req *r, enum reload_step step)
{
	const char *line = step_cmdline(r->tenant, step);
	char *argv[RELOAD_ARGS_MAX], *copy;
	long ms = reload_timeout(r->tenant);
	int n, rc, status = 0;

	copy = arena_strdup(r->arena, line);
	n = cmdline_split(copy, argv, RELOAD_ARGS_MAX);
	if (n == 0)
		return;
	if (n < 0) {
		log_warnx("reload: %s has more than %d words",
		    steps[step].setting, RELOAD_ARGS_MAX - 1);
		return;
	}
	req_op(r, steps[step].setting);
	rc = spawn_wait(argv, ms, &status);
	report(line, rc, status, ms);
}
