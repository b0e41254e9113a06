/*
 * What esl_double sends: events, command replies and API responses, and
 * the faults that bend them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esl_double.h"

void
send_all(int fd, const char *s, size_t n)
{
	if (dbl_send_all(fd, s, n) == -1)
		_exit(0);
}

char *
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

char *
event_plain(const char *name, const char *extra, const char *body)
{
	char *inner, *out;

	inner = fmt(
	    "Event-Name: %s\nCore-UUID: "
	    "4b1e2e2a-0000-4000-8000-00000000c0de\n"
	    "FreeSWITCH-Hostname: esl-double\n"
	    "Event-Date-Local: 2026-11-22%%2012%%3A17%%3A16\n"
	    "Event-Calling-File: mod_event_socket.c\n%sContent-Length: %zu\n\n%s",
	    name, extra, strlen(body), body);
	out = fmt("Content-Length: %zu\nContent-Type: text/event-plain\n\n%s",
	    strlen(inner), inner);
	free(inner);
	return out;
}

static const char LOGLINE[] =
    "Content-Type: log/data\nContent-Length: 22\nLog-Level: 7\n"
    "Text-Channel: 0\nLog-File: switch_core.c\nLog-Func: x\n"
    "Log-Line: 1\nUser-Data: \n\nunsolicited log line.\n";

static const char G_NONUTF8[] = "Content-Type: api/response\nContent-Length: "
				"10\n\n+OK \xff\xfe\xc0\x80\n\n";
static const char G_NUL[] = "Content-Type: api/re\0sponse\n\n";
static const char G_NEG[] =
    "Content-Type: api/response\nContent-Length: -5\n\n";
static const char G_HUGE[] =
    "Content-Type: api/response\nContent-Length: 99999999999999999999\n\n";
static const char G_NAN[] =
    "Content-Type: api/response\nContent-Length: ten\n\n";
static const char G_SHORT[] =
    "Content-Type: api/response\nContent-Length: 400\n\n+OK ";
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
			dbl_sleep_ms(strtol(f->arg, NULL, 10));
		}
		return;
	}
	if (strcmp(f->mode, "split") == 0) {
		head = strstr(msg, "\n\n")
		    ? (size_t)(strstr(msg, "\n\n") - msg) + 2
		    : n;
		send_all(c->fd, msg, head);
		dbl_sleep_ms(50);
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

void
command_reply(struct conn *c, const char *text, const struct fault *f)
{
	char *m = fmt("Content-Type: command/reply\nReply-Text: %s\n\n", text);

	reply(c, m, f);
	free(m);
}

void
api_response(struct conn *c, const char *body, const struct fault *f)
{
	char *m = fmt("Content-Type: api/response\nContent-Length: %zu\n\n%s",
	    strlen(body), body);

	reply(c, m, f);
	free(m);
}
