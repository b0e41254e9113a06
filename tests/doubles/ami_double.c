/*
 * ami_double: an Asterisk Manager Interface server for the tests
 * (shared/doubles/README.md §1-§2).  Loopback only, port 0 by default,
 * the chosen port written to a file; stops by itself after --lifetime
 * seconds (0: only when killed).
 *
 * Scripted mode replays shared/fixtures/ami: a request is answered by the
 * fixture whose request has the same headers (ActionID aside), else by
 * the fixture named like its action (or <Action>_*), with the client's
 * ActionID substituted (removed when it sent none).  Login checks the
 * user and secret (a failure waits --auth-delay-ms, answers
 * "Authentication failed" and closes); actions before login get
 * "Permission denied"; Logoff says goodbye and closes.  A scenario file
 * (JSON) adds replies and faults per connection or per request:
 *
 *   {"version": "11.0.0", "username": "admin", "secret": "amp111",
 *    "auth_delay_ms": 0,
 *    "rules": [
 *      {"conn": 2, "fault": "refuse"},
 *      {"conn": 3, "fault": "stall", "greet": true},
 *      {"fault": "chatty", "interval_ms": 5},    (0: a flood)
 *      {"action": "Status", "headers": {"Channel": "x"},
 *       "reply": "Status_Channel" | "text": "Response: ...",
 *       "fault": "close-mid-reply", "bytes": 12, "times": 1}]}
 *
 * A rule without "action" applies to whole connections (refuse, stall,
 * chatty, garbage greeting); with one ("*" = any) to matching requests:
 * stall, close-mid-reply (bytes), slow-drip (chunk, delay_ms), coalesce
 * (events around the reply in one write), garbage (kind: nocolon, huge,
 * endless, binary, nul, neverend), auth-fail (for login).  "conn" limits
 * a rule to the n-th connection (1-based), "times" to its first uses.
 * Every received message is logged as one JSON line: {"conn", "t", "raw"
 * (bytes as \u00XX-escaped latin-1), "headers": [[name, value], ...]};
 * accepts and closes too (with any unterminated bytes as "partial").
 *
 * Golden mode (--golden CASES.jsonl --control FILE) serves the AMI side
 * of recorded golden cases like shared/tools/golden-double.
 *
 * This file holds the common parts and main(); the scripted mode is in
 * ami_script.h, the golden mode in ami_golden.h (both included below).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <yajl_tree.h>

#include "ami_frame.h"

#define MSG_MAX	    (1024 * 1024) /* client bytes without a message end */
#define EVENTS_FILE "Events_Originate_Hangup.txt"

struct kv {
	const char *k, *v;
};

struct fixture {
	char *name;
	struct kv *h; /* request headers, ActionID dropped */
	size_t nh;
	char *reply;
	size_t rlen;
};

struct rule {
	const char *action; /* NULL: a connection rule; "*": any */
	struct kv *h;
	size_t nh;
	int conn;  /* 0: any */
	int times; /* 0: unlimited; else uses left, -1 when used up */
	const char *reply, *text, *fault, *kind;
	long bytes, chunk, delay_ms, interval_ms;
	int greet;
};

struct client {
	int fd, n;
	char *buf;
	size_t len, cap;
	int logged_in, events_on;
	const char *id; /* ActionID of the message in hand, or NULL */
	double t0;
};

static struct {
	const char *dir, *user, *secret, *version, *scenario;
	const char *version_arg; /* --version */
	long auth_delay_ms;
	struct fixture *fx;
	size_t nfx;
	struct rule *rules;
	size_t nrules;
	char **events; /* unsolicited event frames */
	size_t nevents;
	FILE *log;
	pthread_mutex_t lock;
	int nconn;
	double start;
} S = { .user = "admin",
	.secret = "amp111",
	.version = "11.0.0",
	.version_arg = "11.0.0",
	.auth_delay_ms = 1000,
	.lock = PTHREAD_MUTEX_INITIALIZER };

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("ami_double: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		die("out of memory");
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Writes all n bytes.  Returns 0 or -1. */
static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, len = 0, r;

	if (fp == NULL)
		return NULL;
	do {
		if (cap - len < 65536)
			p = xrealloc(p, cap = cap * 2 + 65536);
		r = fread(p + len, 1, cap - len - 1, fp);
		len += r;
	} while (r > 0);
	fclose(fp);
	p[len] = '\0';
	*n = len;
	return p;
}

/* ---- the JSON-lines log ---- */

/* Writes the n bytes at s as a JSON string, bytes >= 0x80 as \u00XX. */
static void
json_bytes(FILE *fp, const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	fputc('"', fp);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* Logs a received message (its headers parsed leniently) or an event. */
static void
log_line(const struct client *c, const char *event, const char *raw, size_t n)
{
	const char *line, *end = raw + n, *nl, *colon, *v;
	int first = 1;

	if (S.log == NULL)
		return;
	pthread_mutex_lock(&S.lock);
	fprintf(S.log, "{\"conn\":%d,\"t\":%.6f", c->n, now() - S.start);
	if (event != NULL) {
		fprintf(S.log, ",\"event\":\"%s\",\"partial\":", event);
		json_bytes(S.log, raw, n);
	} else {
		fputs(",\"raw\":", S.log);
		json_bytes(S.log, raw, n);
		fputs(",\"headers\":[", S.log);
		for (line = raw; line < end; line = nl + 1) {
			if ((nl = memchr(line, '\n', (size_t)(end - line))) ==
			    NULL)
				nl = end;
			colon = memchr(line, ':', (size_t)(nl - line));
			if (colon == NULL)
				continue;
			for (v = colon + 1; v < nl && *v == ' '; v++)
				;
			fputs(first ? "[" : ",[", S.log);
			first = 0;
			json_bytes(S.log, line, (size_t)(colon - line));
			fputc(',', S.log);
			json_bytes(S.log, v,
			    (size_t)(nl - v) -
				(nl > v && nl[-1] == '\r' && nl != end));
			fputc(']', S.log);
		}
		fputc(']', S.log);
	}
	fputs("}\n", S.log);
	fflush(S.log);
	pthread_mutex_unlock(&S.lock);
}

/* ---- messages from the client ---- */

/* Returns the value of header name in the message, or NULL (malloc). */
static char *
header(const char *m, size_t n, const char *name)
{
	const char *line = m, *end = m + n, *nl, *v;
	size_t nlen = strlen(name), l;

	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if ((size_t)(nl - line) > nlen &&
		    strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			for (v = line + nlen + 1; v < nl && *v == ' '; v++)
				;
			l = (size_t)(nl - v);
			if (l > 0 && v[l - 1] == '\r')
				l--;
			return xstrndup(v, l);
		}
	}
	return NULL;
}

/*
 * Waits up to ms for bytes.  Returns 1 if some arrived, 0 on timeout, -1
 * at EOF or error (or past MSG_MAX without a message end).
 */
static int
client_read(struct client *c, int ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t r;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (c->cap - c->len < 4096) {
		if (c->cap >= MSG_MAX)
			return -1;
		c->cap = c->cap * 2 + 8192;
		c->buf = xrealloc(c->buf, c->cap);
	}
	r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
	if (r <= 0)
		return -1;
	c->len += (size_t)r;
	return 1;
}

/* Length of the first whole message (through its CRLF CRLF), or 0. */
static size_t
client_msg(const struct client *c)
{
	const char *e;

	if (c->len == 0)
		return 0;
	e = memmem(c->buf, c->len, "\r\n\r\n", 4);
	return e ? (size_t)(e - c->buf) + 4 : 0;
}

static void
client_drop(struct client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static void
client_close(struct client *c)
{
	log_line(c, "close", c->buf, c->len);
	close(c->fd);
	free(c->buf);
}

/* ---- replies ---- */

struct out {
	char *p;
	size_t len, cap;
};

static void
out_add(struct out *o, const char *s, size_t n)
{
	if (o->cap - o->len < n + 1) {
		o->cap = (o->len + n) * 2 + 256;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
out_adds(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

/* Copies a reply with its ActionID lines set to id (dropped if NULL). */
static void
with_id(struct out *o, const char *r, size_t n, const char *id)
{
	const char *end = r + n, *nl;
	size_t l;

	for (; r < end; r += l) {
		nl = memchr(r, '\n', (size_t)(end - r));
		l = nl ? (size_t)(nl - r) + 1 : (size_t)(end - r);
		if (l < 9 || strncasecmp(r, "ActionID:", 9) != 0) {
			out_add(o, r, l);
		} else if (id != NULL) {
			out_adds(o, "ActionID: ");
			out_adds(o, id);
			out_adds(o, "\r\n");
		}
	}
}

static const char *
jstr(yajl_val v, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);

	return s ? YAJL_GET_STRING(s) : NULL;
}

static long
jnum(yajl_val v, const char *key, long def)
{
	const char *path[] = { key, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_number);

	return s && YAJL_IS_INTEGER(s) ? (long)YAJL_GET_INTEGER(s) : def;
}

/* The length of a JSON array (0 for anything else). */
static size_t
jlen(yajl_val a)
{
	return YAJL_IS_ARRAY(a) ? a->u.array.len : 0;
}

/* Element i of a JSON array (NULL past its end). */
static yajl_val
jat(yajl_val a, size_t i)
{
	return i < jlen(a) ? a->u.array.values[i] : NULL;
}

/* Binds 127.0.0.1:port (0: any), writes the port to port_file. */
static int
listen_on(int port, const char *port_file)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char tmp[4096];
	FILE *fp;
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1)
		die("cannot listen on port %d: %s", port, strerror(errno));
	if (port_file != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		if ((fp = fopen(tmp, "w")) == NULL)
			die("cannot write '%s'", tmp);
		fprintf(fp, "%d\n", ntohs(sin.sin_port));
		fclose(fp);
		if (rename(tmp, port_file) == -1)
			die("cannot rename '%s'", tmp);
	}
	printf("ami_double: listening on 127.0.0.1:%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	return fd;
}

static void
spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_t t;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, fn, arg) != 0)
		die("pthread_create");
	pthread_attr_destroy(&at);
}

#include "ami_script.h"
#include "ami_golden.h"

static void
usage(void)
{
	fputs("usage: ami_double [--port N] [--port-file FILE] [--fixtures "
	      "DIR] [--scenario FILE]\n"
	      "                  [--log FILE] [--lifetime SECONDS] "
	      "[--version V] [--auth-delay-ms N]\n"
	      "       ami_double --golden CASES.jsonl --control FILE "
	      "[--port 15038] [--port-file FILE]\n"
	      "                  [--log DIR] [--lifetime SECONDS]\n",
	    stderr);
	exit(2);
}

/* The command line. */
struct args {
	const char *port_file, *scenario, *log, *golden, *control, *fixtures;
	long lifetime, port;
};

/* Sets one option; returns -1 if it is unknown. */
static int
option(struct args *o, const char *a, const char *v)
{
	if (strcmp(a, "--port") == 0)
		o->port = strtol(v, NULL, 10);
	else if (strcmp(a, "--port-file") == 0)
		o->port_file = v;
	else if (strcmp(a, "--fixtures") == 0)
		o->fixtures = v;
	else if (strcmp(a, "--scenario") == 0)
		o->scenario = v;
	else if (strcmp(a, "--log") == 0)
		o->log = v;
	else if (strcmp(a, "--lifetime") == 0)
		o->lifetime = strtol(v, NULL, 10);
	else if (strcmp(a, "--version") == 0)
		S.version = S.version_arg = v;
	else if (strcmp(a, "--auth-delay-ms") == 0)
		S.auth_delay_ms = strtol(v, NULL, 10);
	else if (strcmp(a, "--golden") == 0)
		o->golden = v;
	else if (strcmp(a, "--control") == 0)
		o->control = v;
	else
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static char fx[4096];
	struct args o = { .fixtures = "../shared/fixtures/ami",
		.lifetime = 300 };
	int i, lfd;

	signal(SIGPIPE, SIG_IGN);
	if (getenv("PBXAPI_SHARED") != NULL) {
		snprintf(
		    fx, sizeof(fx), "%s/fixtures/ami", getenv("PBXAPI_SHARED"));
		o.fixtures = fx;
	}
	for (i = 1; i + 1 < argc; i += 2)
		if (option(&o, argv[i], argv[i + 1]) == -1)
			usage();
	if (i != argc || (o.golden != NULL && o.control == NULL))
		usage();
	S.start = now();
	if (o.lifetime <= 0) /* 0: until killed (make demo) */
		o.lifetime = 10L * 365 * 86400;
	if (o.golden != NULL) {
		golden(o.golden, o.control, (int)o.port, o.port_file, o.log,
		    S.start + (double)o.lifetime);
		return 0;
	}
	load_fixtures(o.fixtures);
	if (o.scenario != NULL && load_scenario(o.scenario) == -1)
		die("cannot load '%s'", o.scenario);
	S.scenario = o.scenario;
	if (o.log != NULL && (S.log = fopen(o.log, "a")) == NULL)
		die("cannot open '%s'", o.log);
	lfd = listen_on((int)o.port, o.port_file);
	scripted(lfd, S.start + (double)o.lifetime);
	return 0;
}
