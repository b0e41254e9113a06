/*
 * pbxapi: an HTTP API gateway for telephony PBXs, run as a FastCGI
 * worker pool under nginx or lighttpd.  main() reads the command line
 * and the configuration, opens (or inherits) the listening socket and
 * hands over to the process manager, or runs a single worker.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "pm.h"
#include "priv.h"
#include "metrics.h"
#include "ratelimit.h"
#include "scoreboard.h"
#include "tokens.h"
#include "version.h"
#include "worker.h"

#define DEFAULT_CONF "/etc/pbxapi/pbxapi.conf"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: pbxapi [-fLOstTv] [-c file] [-e env-file]\n"
	    "       pbxapi [-c file] token add|list|revoke|rotate ...\n"
	    "       pbxapi audit verify file...\n"
	    "  -c file      configuration (default " DEFAULT_CONF ")\n"
	    "  -e env-file  elastix-api .env of the default tenant\n"
	    "  -f           stay in the foreground\n"
	    "  -L           list every dialect's commands and exit\n"
	    "  -O           print the OpenAPI description and exit\n"
	    "  -s           run one worker in this process\n"
	    "  -t           check the configuration and exit\n"
	    "  -T           check and print the configuration\n"
	    "  -v           print the version and exit\n"
	    "  audit verify checks the chains of audit log files\n");
	exit(2);
}

/* pbxapi token ...: the token file of the configuration at path. */
static int
token_cli(const char *path, int argc, char **argv)
{
	struct conf *c;
	struct stat st;
	char err[512];
	int rc;

	if (path == NULL && stat(DEFAULT_CONF, &st) == 0)
		path = DEFAULT_CONF;
	c = conf_load(path, NULL, 0, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "pbxapi: %s\n", err);
		return 1;
	}
	rc = token_main(c, argc, argv);
	conf_free(c);
	return rc;
}

/* pbxapi audit verify FILE...: exits 0 if every chain holds, else 1. */
static int
audit_main(int argc, char *argv[])
{
	if (argc < 3 || strcmp(argv[1], "verify") != 0)
		usage();
	return audit_verify_files(argv + 2, argc - 2, stdout, stderr);
}

/* Writes the OpenAPI description and a newline to fp.  Returns 0 or -1. */
static int
print_openapi(FILE *fp)
{
	struct buf b;
	struct jw w;
	int rc;

	buf_init(&b, LIM_REPLY_MAX);
	jw_init(&w, &b, JW_UTF8);
	rc = openapi_write(&w);
	if (rc == 0 &&
	    (fwrite(b.data, 1, b.len, fp) != b.len || putc('\n', fp) == EOF ||
		fflush(fp) == EOF))
		rc = -1;
	buf_free(&b);
	return rc;
}

/* Checks what depends on how pbxapi was started.  Returns 0 or -1. */
static int
conf_runtime_check(const struct conf *c)
{
	if (geteuid() == 0 && c->user[0] == '\0') {
		fprintf(stderr,
		    "pbxapi: refusing to run workers as root: set "
		    "'user' in the configuration\n");
		return -1;
	}
	return 0;
}

/* Returns 1 if tenant t has a token in the n at tk. */
static int
has_token(const struct token *tk, size_t n, const struct tenant *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tk[i].tenant == t)
			return 1;
	return 0;
}

/* Warnings that do not stop the configuration from loading. */
static void
conf_warnings(const struct conf *c)
{
	const struct token *file = NULL;
	size_t i, nfile = 0;

	/* A token file that does not parse is said now, not at a request. */
	if (c->store != NULL) {
		tokstore_refresh(c->store, c);
		file = tokstore_tokens(c->store, &nfile);
	}
	for (i = 0; i < c->ntenants; i++)
		if (!has_token(c->tokens, c->ntokens, &c->tenants[i]) &&
		    !has_token(file, nfile, &c->tenants[i]))
			log_warnx(
			    "tenant '%s' has no token and no API_SECRET_KEY: its requests get 401",
			    c->tenants[i].name);
	/*
	 * A holder finds its lease lost a third of the TTL and a Redis
	 * deadline late, and its source takes a second to stop: a shorter
	 * TTL lets another host take over while it still listens.
	 */
	if (c->redis[0] != '\0' && conf_has_events(c) &&
	    c->events_lease_ms < 3 * (c->redis_ms + 1000))
		log_warnx("events.lease_ttl %ld ms is under 3 x (redis.timeout "
			  "+ 1 s): two hosts may hold a tenant's events for a "
			  "moment at a failover",
		    c->events_lease_ms);
}

static void
daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		fatal("setsid");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (chdir("/") == -1)
		fatal("chdir /");
}

static int
open_logs(const struct conf *c, int foreground)
{
	const char *target = c->error_log;
	char err[512];

	if (target[0] == '\0')
		target = foreground ? "stderr" : "syslog";
	if (log_open(target, (enum log_level)c->log_level) == -1) {
		log_warn("cannot open error_log '%s'", target);
		return -1;
	}
	if (log_open_access(c->access_log) == -1) {
		log_warn("cannot open access_log '%s'", c->access_log);
		return -1;
	}
	if (log_open_recordings(c->recordings_log) == -1) {
		log_warn("cannot open recordings.access_log '%s'",
		    c->recordings_log);
		return -1;
	}
	if (audit_open(c->audit_log, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

/* spawn-fcgi or -s: this process is the only worker on its socket. */
static int
run_single(struct conf *c, int fd)
{
	int slot;

	if (sb_create() == -1 || met_create() == -1)
		fatal("cannot map the scoreboard");
	if (ratelimit_init() == -1)
		fatal("cannot map the rate limit tables");
	atomic_store(&sb_pool()->pm, 2);
	slot = sb_claim(1, SB_POOL);
	atomic_store(&sb_slot((size_t)slot)->pid, getpid());
	if (priv_drop(c) == -1)
		return 1;
	worker_main(c, fd, slot, SB_POOL);
}

int
main(int argc, char *argv[])
{
	struct pm_args args = { .use_environ = 1 };
	const char *path = NULL;
	int ch, foreground = 0, single = 0, test = 0, fd, inherited_single;
	int list = 0, status_fd = -1;
	struct conf *c;
	struct stat st;
	char err[512];

	if (argc > 1 && strcmp(argv[1], "audit") == 0)
		return audit_main(argc - 1, argv + 1);
	while ((ch = getopt(argc, argv, "+c:e:fLOstTv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'e':
			args.env_file = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'L':
			list = 1;
			break;
		case 'O':
			list = 2;
			break;
		case 's':
			single = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			test = 2;
			break;
		case 'v':
			printf("pbxapi %s\n", PBXAPI_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind < argc && strcmp(argv[optind], "token") == 0)
		return token_cli(path, argc - optind, argv + optind);
	if (optind != argc)
		usage();
	/* The command tables are compiled in: no configuration is read. */
	if (list)
		return (list == 1 ? dispatch_list(stdout)
				  : print_openapi(stdout)) == -1;
	if (path == NULL && stat(DEFAULT_CONF, &st) == 0)
		path = DEFAULT_CONF;
	args.conf_path = path;
	c = conf_load(path, args.env_file, args.use_environ, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "pbxapi: %s\n", err);
		if (test)
			fprintf(stderr, "pbxapi: configuration test failed\n");
		return 1;
	}
	if (conf_runtime_check(c) == -1) {
		if (test)
			fprintf(stderr, "pbxapi: configuration test failed\n");
		conf_free(c);
		return 1;
	}
	if (test) {
		conf_warnings(c);
		if (test == 2)
			conf_dump(c, stdout);
		fprintf(stderr, "pbxapi: configuration %s test is successful\n",
		    path ? path : "(built-in defaults)");
		conf_free(c);
		return 0;
	}
	fd = listen_inherited(&inherited_single);
	single |= inherited_single;
	if (open_logs(c, foreground || single) == -1)
		return 1;
	conf_warnings(c);
	if (fd == -1 &&
	    (fd = listen_open(c, c->listen, err, sizeof(err))) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	if (single) {
		if (c->status_listen[0] != '\0')
			log_warnx("pm.status_listen needs the process manager: "
				  "ignored by a single worker");
		return run_single(c, fd);
	}
	if (c->status_listen[0] != '\0' &&
	    (status_fd = listen_open(c, c->status_listen, err, sizeof(err))) ==
		-1) {
		log_warnx("pm.status_listen: %s", err);
		return 1;
	}
	args.foreground = foreground;
	if (!foreground)
		daemonize();
	if (pidfile_write(c) == -1)
		log_warn("cannot write pid file '%s'", c->pid_file);
	return pm_run(c, fd, status_fd, &args);
}
