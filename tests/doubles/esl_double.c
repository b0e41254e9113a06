/*
 * esl_double: a FreeSWITCH event socket (mod_event_socket, inbound) for
 * tests (doubles/README.md §1, §3; fusionpbx.md §6).  It binds 127.0.0.1
 * only, writes the chosen port to a file, serves each connection in its
 * own process, records every packet it receives as one JSON line, fakes
 * the APIs FusionPBX uses (originate, status, reloadxml, memcache, and
 * system, which is recorded and never run), and misbehaves on request.
 *
 * usage: esl_double -P portfile [-p port] [-w password] [-l log]
 *                   [-t lifetime_s] [-a auth_timeout_s] [-s scenario]
 * (long forms --port-file, --port, --password, --log, --lifetime (0: no
 * limit), --auth-timeout, --scenario, as the other doubles take them)
 *
 * The scenario file is read again for every connection and every
 * command, so a test changes behaviour by rewriting it.  Lines:
 *
 *   originate +OK | -ERR <CAUSE> | -USAGE   what api originate answers
 *   delay <ms>                              wait before each api answer
 *   fault <scope> <mode> [arg]              misbehave
 *
 * scope: all, conn=<n> (the n-th connection, from 1), cmd=<word> (the
 * command, or for api/bgapi the API: cmd=originate, cmd=auth).  Modes at
 * accept: refuse (close before the greeting), rude (text/rude-rejection),
 * silent (no greeting, never answer).  Modes on a reply: stall (never
 * answer), close-after <n> (send n bytes of it, then close), drip <ms>
 * (one byte per write), split (headers and body in two writes), events
 * (unsolicited event and log line before it), coalesce (it and an event
 * in one write), disconnect (the disconnect notice instead, then close),
 * auth-fail (refuse any password), garbage <kind> with kind nocolon,
 * longhead, endless, nonutf8, nul, clen-neg, clen-huge, clen-nan,
 * clen-short.
 *
 * Log lines: {"conn":n,"t":secs,"raw":"...","command":"...",
 * "headers":[["name","value"],...],"body":"..."}; strings map each byte
 * to one code point (decode them as latin-1 to get the bytes).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX  (1024 * 1024)
#define BODY_MAX  (16 * 1024 * 1024)
#define LINE_MAX_ 4096

#define NOTICE                                                         \
	"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n" \
	"Disconnected, goodbye.\nSee you at ClueCon! "                 \
	"http://www.cluecon.com/\n"
#define USAGE                                                         \
	"-USAGE: <call url> <exten>|&<application_name>(<app_args>) " \
	"[<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"

struct opts {
	const char *portfile, *password, *logfile, *scenario;
	int port, lifetime, auth_timeout;
};

struct fault {
	char mode[32];
	char arg[64];
};

struct packet {
	char *raw;
	size_t rawlen;
	char *cmd; /* first line */
	char *hname[64], *hval[64];
	size_t nh;
	char *body;
	size_t blen;
};

struct conn {
	int fd, n, authed, events;
	const struct opts *o;
	char *buf;
	size_t len, cap;
};

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void
msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- scenario ---- */

/* Reads the scenario line that starts with key and matches scope. */
static int
scenario(const struct conn *c, const char *key, const char *cmd, char *out,
    size_t outlen)
{
	char line[LINE_MAX_], scope[64], want[64];
	FILE *fp;
	int found = 0;

	if (c->o->scenario == NULL || (fp = fopen(c->o->scenario, "r")) == NULL)
		return 0;
	snprintf(want, sizeof(want), "conn=%d", c->n);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, key, strlen(key)) != 0 ||
		    line[strlen(key)] != ' ')
			continue;
		if (strcmp(key, "fault") != 0) {
			snprintf(out, outlen, "%s", line + strlen(key) + 1);
			found = 1;
			continue;
		}
		if (sscanf(line + 6, "%63s", scope) != 1)
			continue;
		if (strcmp(scope, "all") == 0 || strcmp(scope, want) == 0 ||
		    (cmd != NULL && strncmp(scope, "cmd=", 4) == 0 &&
			strcmp(scope + 4, cmd) == 0)) {
			snprintf(out, outlen, "%s",
			    line + 6 + strlen(scope) + 1 > line + strlen(line)
				? ""
				: line + 6 + strlen(scope) + 1);
			found = 1;
		}
	}
	fclose(fp);
	return found;
}

/* The fault for this connection and command, mode "" if none. */
static void
fault_for(const struct conn *c, const char *cmd, struct fault *f)
{
	char text[256];

	f->mode[0] = f->arg[0] = '\0';
	if (scenario(c, "fault", cmd, text, sizeof(text)))
		sscanf(text, "%31s %63s", f->mode, f->arg);
}

/* ---- log ---- */

static void
jstr(FILE *fp, const char *s, size_t n)
{
	unsigned char ch;
	size_t i;

	fputc('"', fp);
	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(fp, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(fp, "\\u%04x", ch);
		else
			fputc(ch, fp);
	}
	fputc('"', fp);
}

/* Appends one line with a single write, so processes never interleave. */
static void
log_packet(const struct conn *c, const struct packet *p)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *fp;
	int fd;

	if (c->o->logfile == NULL || (fp = open_memstream(&text, &len)) == NULL)
		return;
	fprintf(fp, "{\"conn\":%d,\"t\":%.6f,\"raw\":", c->n, now());
	jstr(fp, p->raw, p->rawlen);
	fprintf(fp, ",\"command\":");
	jstr(fp, p->cmd, strlen(p->cmd));
	fprintf(fp, ",\"headers\":[");
	for (i = 0; i < p->nh; i++) {
		fprintf(fp, "%s[", i ? "," : "");
		jstr(fp, p->hname[i], strlen(p->hname[i]));
		fputc(',', fp);
		jstr(fp, p->hval[i], strlen(p->hval[i]));
		fputc(']', fp);
	}
	fprintf(fp, "],\"body\":");
	jstr(fp, p->body ? p->body : "", p->blen);
	fprintf(fp, "}\n");
	fclose(fp);
	fd = open(
	    c->o->logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)!write(fd, text, len);
		close(fd);
	}
	free(text);
}

/* ---- output ---- */

static void
send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			_exit(0);
		}
		s += w;
		n -= (size_t)w;
	}
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) == -1)
		abort();
	va_end(ap);
	return s;
}

static char *
event_plain(const char *name, const char *extra, const char *body)
{
	char *inner, *out;

	inner = fmt("Event-Name: %s\nCore-UUID: "
		    "4b1e2e2a-0000-4000-8000-00000000c0de\n"
		    "FreeSWITCH-Hostname: esl-double\n"
		    "Event-Date-Local: 2026-11-22%%2012%%3A17%%3A16\n"
		    "Event-Calling-File: mod_event_socket.c\n%s"
		    "Content-Length: %zu\n\n%s",
	    name, extra, strlen(body), body);
	out = fmt("Content-Length: %zu\nContent-Type: text/event-plain\n\n%s",
	    strlen(inner), inner);
	free(inner);
	return out;
}

static const char GREETING[] = "Content-Type: auth/request\n\n";
static const char RUDE[] = "Content-Type: text/rude-rejection\n"
			   "Content-Length: 24\n\nAccess Denied, go away.\n";
static const char LOGLINE[] =
    "Content-Type: log/data\nContent-Length: 22\nLog-Level: 7\n"
    "Text-Channel: 0\nLog-File: switch_core.c\nLog-Func: x\n"
    "Log-Line: 1\nUser-Data: \n\nunsolicited log line.\n";

static const char G_NONUTF8[] = "Content-Type: api/response\nContent-Length: "
				"10\n\n+OK \xff\xfe\xc0\x80\n\n";
static const char G_NUL[] = "Content-Type: api/re\0sponse\n\n";
static const char G_NEG[] =
    "Content-Type: api/response\nContent-Length: -5\n\n";
static const char G_HUGE[] = "Content-Type: api/response\nContent-Length: "
			     "99999999999999999999\n\n";
static const char G_NAN[] =
    "Content-Type: api/response\nContent-Length: ten\n\n";
static const char G_SHORT[] = "Content-Type: api/response\nContent-Length: "
			      "400\n\n+OK ";
static const char G_NOCOLON[] = "this line has no colon\n\n";

static void
garbage(const struct conn *c, const char *kind)
{
	static const struct {
		const char *kind, *bytes;
		size_t n;
	} canned[] = {
		{ "nocolon", G_NOCOLON, sizeof(G_NOCOLON) - 1 },
		{ "nonutf8", G_NONUTF8, sizeof(G_NONUTF8) - 1 },
		{ "nul", G_NUL, sizeof(G_NUL) - 1 },
		{ "clen-neg", G_NEG, sizeof(G_NEG) - 1 },
		{ "clen-huge", G_HUGE, sizeof(G_HUGE) - 1 },
		{ "clen-nan", G_NAN, sizeof(G_NAN) - 1 },
		{ "clen-short", G_SHORT, sizeof(G_SHORT) - 1 },
	};
	char *big;
	size_t i;

	for (i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
		if (strcmp(kind, canned[i].kind) == 0)
			send_all(c->fd, canned[i].bytes, canned[i].n);
	if (strcmp(kind, "longhead") == 0 || strcmp(kind, "endless") == 0) {
		/* Header lines (or one line) past any sane limit. */
		big = malloc(HEAD_MAX);
		for (i = 0; i < HEAD_MAX; i++)
			big[i] = kind[0] == 'l' && i % 64 == 63 ? '\n' : 'x';
		for (i = 0; kind[0] == 'l' && i < HEAD_MAX; i += 64)
			big[i + 1] = ':';
		send_all(c->fd, big, HEAD_MAX);
		free(big);
	}
	if (strcmp(kind, "clen-short") == 0)
		_exit(0);
	for (;;)
		pause(); /* hold the connection: the client must give up */
}

/* Sends a reply under the fault f; may not return (close, stall). */
static void
reply(struct conn *c, const char *msg, const struct fault *f)
{
	size_t n = strlen(msg), i, head;
	char *ev, *both;

	if (strcmp(f->mode, "stall") == 0)
		for (;;)
			pause();
	if (strcmp(f->mode, "garbage") == 0)
		garbage(c, f->arg);
	if (strcmp(f->mode, "disconnect") == 0) {
		send_all(c->fd, NOTICE, strlen(NOTICE));
		_exit(0);
	}
	if (strcmp(f->mode, "close-after") == 0) {
		i = (size_t)strtoul(f->arg, NULL, 10);
		send_all(c->fd, msg, i < n ? i : n);
		_exit(0);
	}
	if (strcmp(f->mode, "drip") == 0) {
		for (i = 0; i < n; i++) {
			send_all(c->fd, msg + i, 1);
			msleep(strtol(f->arg, NULL, 10));
		}
		return;
	}
	if (strcmp(f->mode, "split") == 0) {
		head = strstr(msg, "\n\n")
		    ? (size_t)(strstr(msg, "\n\n") - msg) + 2
		    : n;
		send_all(c->fd, msg, head);
		msleep(50);
		send_all(c->fd, msg + head, n - head);
		return;
	}
	ev = event_plain("HEARTBEAT", "", "");
	if (strcmp(f->mode, "events") == 0) {
		send_all(c->fd, ev, strlen(ev));
		send_all(c->fd, LOGLINE, strlen(LOGLINE));
	}
	if (strcmp(f->mode, "coalesce") == 0) {
		both = fmt("%s%s%s", ev, msg, ev);
		send_all(c->fd, both, strlen(both));
		free(both);
	} else
		send_all(c->fd, msg, n);
	free(ev);
}

static void
command_reply(struct conn *c, const char *text, const struct fault *f)
{
	char *m = fmt("Content-Type: command/reply\nReply-Text: %s\n\n", text);

	reply(c, m, f);
	free(m);
}

static void
api_response(struct conn *c, const char *body, const struct fault *f)
{
	char *m = fmt("Content-Type: api/response\nContent-Length: %zu\n\n%s",
	    strlen(body), body);

	reply(c, m, f);
	free(m);
}

/* ---- input ---- */

/* Single-quote aware argument count of originate (mod_commands.c). */
static int
count_args(const char *s)
{
	int n = 0, inq = 0, inword = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\'')
			inq = !inq;
		if (*s == ' ' && !inq) {
			inword = 0;
			continue;
		}
		if (!inword)
			n++;
		inword = 1;
	}
	return n;
}

static void
new_uuid(char out[37])
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), i;
	char *o = out;

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		abort();
	close(fd);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		snprintf(o, 3, "%02x", b[i]);
		o += 2;
	}
}

/* The output of "api <cmd> <args>". */
static char *
api_output(const struct conn *c, const char *cmd, const char *args)
{
	char uuid[37], how[128] = "+OK";

	if (strcmp(cmd, "originate") == 0) {
		if (count_args(args) < 2 || count_args(args) > 7)
			return fmt("%s", USAGE);
		scenario(c, "originate", NULL, how, sizeof(how));
		if (strncmp(how, "-USAGE", 6) == 0)
			return fmt("%s", USAGE);
		if (how[0] == '-')
			return fmt("%s\n", how);
		new_uuid(uuid);
		return fmt("+OK %s\n", uuid);
	}
	if (strcmp(cmd, "status") == 0)
		return fmt("UP 0 years, 0 days, 0 hours, 1 minute\n"
			   "FreeSWITCH (esl-double) is ready\n");
	if (strcmp(cmd, "reloadxml") == 0)
		return fmt("+OK [Success]\n");
	if (strcmp(cmd, "memcache") == 0)
		return fmt("+OK\n");
	if (strcmp(cmd, "system") == 0)
		return fmt("-ERR no reply\n"); /* recorded, never run */
	return fmt("-ERR %s Command not found!\n", cmd);
}

/*
 * Takes one packet off the buffer: the header block ends at the second
 * consecutive LF (CR bytes do not count), leading CR/LF are skipped, a
 * Content-Length header brings a body.  Returns 1, 0 for "need more", or
 * -1 past the limits.
 */
static int
take_packet(struct conn *c, struct packet *p)
{
	size_t i = 0, end, start, nl = 0, clen = 0;
	char *line, *next, *colon;

	while (i < c->len && (c->buf[i] == '\r' || c->buf[i] == '\n'))
		i++;
	start = i;
	for (; i < c->len && nl < 2; i++)
		if (c->buf[i] == '\n')
			nl++;
		else if (c->buf[i] != '\r')
			nl = 0;
	if (nl < 2)
		return c->len - start > HEAD_MAX ? -1 : 0;
	end = i;
	memset(p, 0, sizeof(*p));
	p->raw = malloc(end - start + 1);
	memcpy(p->raw, c->buf + start, end - start);
	p->raw[end - start] = '\0';
	p->rawlen = end - start;
	line = strdup(p->raw);
	for (; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (p->cmd == NULL) {
			p->cmd = line;
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL || p->nh == 64)
			continue;
		*colon++ = '\0';
		while (*colon == ' ')
			colon++;
		p->hname[p->nh] = line;
		p->hval[p->nh++] = colon;
		if (strcasecmp(line, "Content-Length") == 0)
			clen = (size_t)strtoul(colon, NULL, 10);
	}
	if (p->cmd == NULL)
		p->cmd = strdup("");
	if (clen > BODY_MAX)
		return -1;
	if (c->len - end < clen)
		return 0; /* the caller parses again once the body came */
	p->body = malloc(clen + 1);
	memcpy(p->body, c->buf + end, clen);
	p->body[clen] = '\0';
	p->blen = clen;
	memmove(c->buf, c->buf + end + clen, c->len - end - clen);
	c->len -= end + clen;
	return 1;
}

static const char *
header(const struct packet *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nh; i++)
		if (strcasecmp(p->hname[i], name) == 0)
			return p->hval[i];
	return NULL;
}

/* The API word of "api x ..." / "bgapi x ...", else the command word. */
static void
cmd_word(const char *cmd, char *word, size_t n)
{
	const char *s = cmd;
	size_t len;

	if (strncmp(s, "api ", 4) == 0)
		s += 4;
	else if (strncmp(s, "bgapi ", 6) == 0)
		s += 6;
	len = strcspn(s, " ");
	if (len >= n)
		len = n - 1;
	memcpy(word, s, len);
	word[len] = '\0';
}

static void
do_api(struct conn *c, const struct packet *p, const struct fault *f)
{
	char word[64], delay[32];
	const char *args;
	char *out;

	cmd_word(p->cmd, word, sizeof(word));
	args = p->cmd + 4 + strlen(word);
	args += *args == ' ';
	out = api_output(c, word, args);
	if (scenario(c, "delay", NULL, delay, sizeof(delay)))
		msleep(strtol(delay, NULL, 10));
	api_response(c, out, f);
	free(out);
}

/* switch_url_encode(): header values of events (fusionpbx.md §6.3). */
static char *
url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(3 * strlen(s) + 1), *o = out;
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch == '%' && strspn(s + 1, "0123456789ABCDEFabcdef") >= 2) {
			*o++ = '%'; /* already encoded: kept */
			continue;
		}
		if (ch < 0x20 || ch >= 0x7f ||
		    strchr("\r\n #%&+:;<=>?@[\\]^`{|}\"", ch) != NULL) {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		} else
			*o++ = (char)ch;
	}
	*o = '\0';
	return out;
}

static void
do_bgapi(struct conn *c, const struct packet *p, const struct fault *f)
{
	char word[64], uuid[37], *text, *out, *ev, *extra, *arg;
	const char *job = header(p, "Job-UUID"), *args;

	if (job == NULL) {
		new_uuid(uuid);
		job = uuid;
	}
	cmd_word(p->cmd, word, sizeof(word));
	args = p->cmd + 6 + strlen(word);
	args += *args == ' ';
	text = fmt("+OK Job-UUID: %s\nJob-UUID: %s", job, job);
	command_reply(c, text, f);
	free(text);
	if (!c->events)
		return;
	out = api_output(c, word, args);
	arg = url_encode(args);
	extra = fmt("Job-UUID: %s\nJob-Owner-UUID: _undef_\nJob-Command: "
		    "%s\nJob-Command-Arg: %s\n",
	    job, word, *arg != '\0' ? arg : "_undef_");
	free(arg);
	ev = event_plain("BACKGROUND_JOB", extra, out);
	send_all(c->fd, ev, strlen(ev));
	free(ev);
	free(extra);
	free(out);
}

/* Handles one packet; returns 0 to go on, -1 to close. */
static int
handle(struct conn *c, const struct packet *p)
{
	char word[64], uuid[37], *text;
	struct fault f;

	cmd_word(p->cmd, word, sizeof(word));
	fault_for(c, word, &f);
	if (strncmp(p->cmd, "auth ", 5) == 0 || strcmp(p->cmd, "auth") == 0) {
		if (strcmp(f.mode, "auth-fail") != 0 &&
		    strcmp(p->cmd + (p->cmd[4] ? 5 : 4), c->o->password) == 0) {
			c->authed = 1;
			command_reply(c, "+OK accepted", &f);
			return 0;
		}
		command_reply(c, "-ERR invalid", &f);
		send_all(c->fd, NOTICE, strlen(NOTICE));
		return -1;
	}
	if (strcmp(p->cmd, "exit") == 0) {
		command_reply(c, "+OK bye", &f);
		send_all(c->fd, NOTICE, strlen(NOTICE));
		return -1;
	}
	if (!c->authed) {
		command_reply(c, "-ERR command not found", &f);
		return 0;
	}
	if (strncmp(p->cmd, "api ", 4) == 0)
		do_api(c, p, &f);
	else if (strncmp(p->cmd, "bgapi ", 6) == 0)
		do_bgapi(c, p, &f);
	else if (strncmp(p->cmd, "event plain", 11) == 0) {
		c->events = p->cmd[11] == ' ' && p->cmd[12] != '\0';
		command_reply(c,
		    c->events ? "+OK event listener enabled plain"
			      : "-ERR no keywords supplied",
		    &f);
	} else if (strcmp(p->cmd, "noevents") == 0) {
		command_reply(c,
		    c->events ? "+OK no longer listening for events"
			      : "-ERR not listening for events",
		    &f);
		c->events = 0;
	} else if (strncmp(p->cmd, "sendevent", 9) == 0) {
		new_uuid(uuid);
		text = fmt("+OK %s", uuid);
		command_reply(c, text, &f);
		free(text);
	} else
		command_reply(c, "-ERR command not found", &f);
	return 0;
}

static void
serve(struct conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct packet p;
	struct fault f;
	ssize_t n;
	int rc, timeout;

	fault_for(c, NULL, &f);
	if (strcmp(f.mode, "refuse") == 0)
		return;
	if (strcmp(f.mode, "rude") == 0) {
		send_all(c->fd, RUDE, sizeof(RUDE) - 1);
		return;
	}
	if (strcmp(f.mode, "silent") == 0)
		for (;;)
			pause();
	send_all(c->fd, GREETING, sizeof(GREETING) - 1);
	for (;;) {
		while ((rc = take_packet(c, &p)) == 1) {
			log_packet(c, &p);
			if (handle(c, &p) == -1)
				return;
		}
		if (rc == -1)
			return;
		timeout = c->authed ? -1 : c->o->auth_timeout * 1000;
		if (poll(&pfd, 1, timeout) == 0) {
			send_all(c->fd, NOTICE, strlen(NOTICE));
			return;
		}
		if (c->len + 65536 > c->cap) {
			c->cap = c->cap * 2 + 65536;
			c->buf = realloc(c->buf, c->cap);
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n <= 0)
			return;
		c->len += (size_t)n;
	}
}

static int
listen_on(const struct opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd, one = 1;
	FILE *fp;

	sa.sin_port = htons((unsigned short)o->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		perror("esl_double: listen");
		exit(1);
	}
	/* Written whole under a temporary name, so readers never see half. */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->portfile);
	if ((fp = fopen(tmp, "w")) == NULL) {
		perror("esl_double: port file");
		exit(1);
	}
	fprintf(fp, "%d\n", ntohs(sa.sin_port));
	fclose(fp);
	rename(tmp, o->portfile);
	return fd;
}

static void
child(const struct opts *o, int fd, int n, double deadline)
{
	struct conn c = { .fd = fd, .n = n, .o = o };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	alarm((unsigned)(deadline - now()) + 1);
	serve(&c);
	close(fd);
	_exit(0);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: esl_double -P|--port-file FILE [-p|--port N] "
	    "[-w|--password PW] [-l|--log FILE] [-t|--lifetime S] "
	    "[-a|--auth-timeout S] [-s|--scenario FILE]\n");
	exit(2);
}

static void
options(int argc, char *argv[], struct opts *o)
{
	static const struct option longs[] = {
		{ "port-file", required_argument, NULL, 'P' },
		{ "port", required_argument, NULL, 'p' },
		{ "password", required_argument, NULL, 'w' },
		{ "log", required_argument, NULL, 'l' },
		{ "lifetime", required_argument, NULL, 't' },
		{ "auth-timeout", required_argument, NULL, 'a' },
		{ "scenario", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while (
	    (ch = getopt_long(argc, argv, "P:p:w:l:t:a:s:", longs, NULL)) != -1)
		switch (ch) {
		case 'P':
			o->portfile = optarg;
			break;
		case 'p':
			o->port = (int)strtol(optarg, NULL, 10);
			break;
		case 'w':
			o->password = optarg;
			break;
		case 'l':
			o->logfile = optarg;
			break;
		case 't':
			o->lifetime = (int)strtol(optarg, NULL, 10);
			break;
		case 'a':
			o->auth_timeout = (int)strtol(optarg, NULL, 10);
			break;
		case 's':
			o->scenario = optarg;
			break;
		default:
			usage();
		}
}

int
main(int argc, char *argv[])
{
	struct opts o = {
		.password = "ClueCon", .lifetime = 300, .auth_timeout = 25
	};
	struct pollfd pfd;
	struct sigaction sa;
	double deadline;
	int lfd, fd, n = 0;

	options(argc, argv, &o);
	if (o.portfile == NULL)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	lfd = listen_on(&o);
	/* --lifetime 0: until stopped. */
	deadline = now() + (o.lifetime > 0 ? o.lifetime : 1e9);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	while (!stop && now() < deadline) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		n++;
		if (fork() == 0) {
			close(lfd);
			child(&o, fd, n, deadline);
		}
		close(fd);
	}
	close(lfd);
	/* The children stop with their parent (PR_SET_PDEATHSIG). */
	return 0;
}
