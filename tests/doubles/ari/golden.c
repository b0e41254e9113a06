/*
 * ari_double's golden mode: backend.ari[n] of the golden cases, replayed
 * to the n-th connection of the case named in the control file.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "pv.h"
#include "ari_double.h"

static struct gcase *gc;
static size_t ngc;

static const char *
chunk_data(const struct pv *ch, size_t *n)
{
	const char *s = pv_s(ch, "data_b64");
	char *out;

	if (s == NULL) {
		s = pv_s(ch, "data");
		*n = s != NULL ? strlen(s) : 0;
		return s != NULL ? s : "";
	}
	out = arena_alloc(S.arena, strlen(s) + 1);
	*n = dbl_b64_decode(s, strlen(s), out);
	return out;
}

static size_t
count_heads(const char *s, size_t n)
{
	const char *p = s, *e = s + n, *h;
	size_t k = 0;

	while ((h = memmem(p, (size_t)(e - p), "\r\n\r\n", 4)) != NULL) {
		k++;
		p = h + 4;
	}
	return k;
}

/* A recorded connection: the server's chunks as steps. */
static void
load_gconn(const struct pv *conn, struct gconn *g)
{
	const struct pv *chunks = pv_getz(conn, "chunks");
	const struct pv_ent *e;
	const char *dir, *d;
	size_t seen = 0, n;
	struct step *s;

	g->steps = arena_zalloc(S.arena, (pv_count(chunks) + 1) * sizeof(*s));
	for (e = chunks ? chunks->u.arr->head : NULL; e; e = e->next) {
		dir = pv_s(&e->val, "dir");
		d = chunk_data(&e->val, &n);
		if (dir != NULL && strcmp(dir, "c>s") == 0) {
			seen += count_heads(d, n);
			continue;
		}
		s = &g->steps[g->nsteps++];
		s->need = seen;
		if (pv_getz(&e->val, "eof") != NULL)
			continue; /* data NULL: close */
		s->data = d;
		s->len = n;
	}
}

static void
load_case(const struct pv *c, struct gcase *g)
{
	const struct pv *ari = pv_getz(pv_getz(c, "backend"), "ari");
	const char *state = pv_s(c, "state");
	const struct pv_ent *e;

	g->id = pv_s(c, "id");
	g->down = state != NULL &&
	    (strstr(state, "ari_down") != NULL ||
		strstr(state, "asterisk_stopped") != NULL);
	g->conns =
	    arena_zalloc(S.arena, (pv_count(ari) + 1) * sizeof(*g->conns));
	for (e = ari ? ari->u.arr->head : NULL; e; e = e->next)
		load_gconn(&e->val, &g->conns[g->nconns++]);
}

void
load_golden(void)
{
	char *text, *line, *nl;
	size_t n, cap = 0;

	text = slurp(S.opt.golden, &n);
	if (text == NULL)
		die("cannot read '%s'", S.opt.golden);
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		if (nl > line) {
			if (ngc == cap) {
				cap = cap ? cap * 2 : 256;
				gc = realloc(gc, cap * sizeof(*gc));
			}
			memset(&gc[ngc], 0, sizeof(*gc));
			load_case(
			    decode(line, (size_t)(nl - line)), &gc[ngc++]);
		}
		if (*nl == '\0')
			break;
	}
}

const struct gcase *
gcase_find(const char *id)
{
	size_t i;

	for (i = 0; i < ngc; i++)
		if (gc[i].id != NULL && strcmp(gc[i].id, id) == 0)
			return &gc[i];
	return NULL;
}

/* Plays the steps; received collects what the client sent. */
static void
replay(int fd, const struct gconn *g, struct buf *received)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double start = elapsed();
	char tmp[16384];
	size_t i = 0;
	ssize_t k;
	int open_ = 1;

	while (i < g->nsteps && elapsed() - start < GOLDEN_WAIT) {
		if (g->steps[i].need <=
		    count_heads(
			received->data ? received->data : "", received->len)) {
			if (g->steps[i].data == NULL) {
				shutdown(fd, SHUT_WR);
				return;
			}
			if (dbl_send_all(fd, g->steps[i].data, g->steps[i].len))
				return;
			i++;
			continue;
		}
		if (!open_ || poll(&p, 1, 200) <= 0)
			continue;
		k = recv(fd, tmp, sizeof(tmp), 0);
		if (k <= 0)
			open_ = 0;
		else
			buf_add(received, tmp, (size_t)k);
	}
}

/* Saves what the client sent: DIR/NNNNNN-<case>-ari.bin. */
static void
golden_log(const struct gjob *j, const struct buf *received)
{
	char path[1024], safe[256];
	size_t i;
	int fd;

	if (S.opt.log == NULL)
		return;
	for (i = 0; j->id[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] =
		    strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			j->id[i]) != NULL
		    ? j->id[i]
		    : '_';
	safe[i] = '\0';
	snprintf(path, sizeof(path), "%s/%06lu-%s-ari.bin", S.opt.log, j->n,
	    i ? safe : "none");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return;
	if (received->len > 0)
		(void)!write(fd, received->data, received->len);
	close(fd);
}

void *
golden_conn(void *arg)
{
	struct gjob *j = arg;
	struct buf received;
	struct pollfd p = { .fd = j->fd, .events = POLLIN };
	char tmp[4096];
	ssize_t k;

	buf_init(&received, BODY_MAX * 16);
	if (j->gc != NULL && j->idx < j->gc->nconns) {
		replay(j->fd, &j->gc->conns[j->idx], &received);
		/* What the client still sends, briefly, for the log. */
		while (poll(&p, 1, 300) > 0) {
			k = recv(j->fd, tmp, sizeof(tmp), 0);
			if (k <= 0)
				break;
			buf_add(&received, tmp, (size_t)k);
		}
	}
	close(j->fd);
	golden_log(j, &received);
	buf_free(&received);
	free(j);
	return NULL;
}
