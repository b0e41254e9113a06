/*
 * A connection of esl_double: the greeting (or a fault instead), packets
 * taken off the socket and logged, each handled in turn.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "esl_double.h"

static const char GREETING[] = "Content-Type: auth/request\n\n";
static const char RUDE[] = "Content-Type: text/rude-rejection\n"
			   "Content-Length: 24\n\nAccess Denied, go away.\n";

/* ---- log ---- */

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
	dbl_json_str(fp, p->raw, p->rawlen);
	fprintf(fp, ",\"command\":");
	dbl_json_str(fp, p->cmd, strlen(p->cmd));
	fprintf(fp, ",\"headers\":[");
	for (i = 0; i < p->nh; i++) {
		fprintf(fp, "%s[", i ? "," : "");
		dbl_json_str(fp, p->hname[i], strlen(p->hname[i]));
		fputc(',', fp);
		dbl_json_str(fp, p->hval[i], strlen(p->hval[i]));
		fputc(']', fp);
	}
	fprintf(fp, "],\"body\":");
	dbl_json_str(fp, p->body ? p->body : "", p->blen);
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

void
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
