/*
 * The commands esl_double knows (auth, api, bgapi, event plain,
 * noevents, sendevent, exit) and the APIs FusionPBX calls: originate,
 * status, reloadxml, memcache, and system, which is recorded and never
 * run; show channels and the uuid_* APIs are chan.c's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "esl_double.h"

#define USAGE                                                         \
	"-USAGE: <call url> <exten>|&<application_name>(<app_args>) " \
	"[<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"

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
	char uuid[37], how[128] = "+OK", *out;

	if ((out = chan_api(c, cmd, args)) != NULL)
		return out;
	if (strcmp(cmd, "originate") == 0) {
		if (count_args(args) < 2 || count_args(args) > 7)
			return fmt("%s", USAGE);
		scenario(c, "originate", NULL, how, sizeof(how));
		if (strncmp(how, "-USAGE", 6) == 0)
			return fmt("%s", USAGE);
		if (how[0] == '-')
			return fmt("%s\n", how);
		if ((out = live_originate(c, args)) != NULL)
			return out;
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
		dbl_sleep_ms(strtol(delay, NULL, 10));
	api_response(c, out, f);
	free(out);
	live_start(); /* an originated call's events follow its reply */
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
	out = api_output(c, word, args);
	text = fmt("+OK Job-UUID: %s\nJob-UUID: %s", job, job);
	command_reply(c, text, f);
	free(text);
	if (!c->events) {
		free(out);
		live_start();
		return;
	}
	arg = url_encode(args);
	extra = fmt(
	    "Job-UUID: %s\nJob-Owner-UUID: _undef_\nJob-Command: %s\nJob-Command-Arg: %s\n",
	    job, word, *arg != '\0' ? arg : "_undef_");
	free(arg);
	ev = event_plain("BACKGROUND_JOB", extra, out);
	send_all(c->fd, ev, strlen(ev));
	free(ev);
	free(extra);
	free(out);
	live_start();
}

/*
 * "event plain|json NAMES": the listener, and the call world's events
 * (mod_event_socket answers "+OK event listener enabled <format>").
 */
static void
subscribe(struct conn *c, const struct packet *p, const struct fault *f)
{
	const char *format =
	    strncmp(p->cmd, "event json", 10) == 0 ? "json" : "plain";
	const char *names = p->cmd + 6 + strlen(format);
	char *text;

	c->events = *names == ' ' && names[1] != '\0';
	if (!c->events) {
		command_reply(c, "-ERR no keywords supplied", f);
		return;
	}
	text = fmt("+OK event listener enabled %s", format);
	/* Without a fault the world writes the reply, then the events. */
	if (f->mode[0] != '\0' ||
	    live_subscribe(c, format, names + 1, text) == -1) {
		command_reply(c, text, f);
		live_subscribe(c, format, names + 1, NULL);
	}
	free(text);
}

/* Handles one packet; returns 0 to go on, -1 to close. */
int
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
	else if (strncmp(p->cmd, "event plain", 11) == 0 ||
	    strncmp(p->cmd, "event json", 10) == 0)
		subscribe(c, p, &f);
	else if (strcmp(p->cmd, "noevents") == 0) {
		live_unsubscribe(c);
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
