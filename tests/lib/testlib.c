/*
 * Helpers shared by the unit tests (see testlib.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "pv.h"
#include "tap.h"
#include "testlib.h"

/* The scratch directory, and the arena of the paths in it. */
static char tl_dir[64];
static struct arena *tl_arena;

const char *
tl_json(struct arena *a, const struct pv *v, unsigned flags)
{
	struct buf b;
	struct jw w;
	const char *s;

	if (v == NULL)
		return "(null)";
	buf_init(&b, 1 << 20);
	jw_init(&w, &b, flags);
	pv_encode(&w, v);
	s = arena_strdup(a, w.failed || w.error ? "(failed)" : buf_cstr(&b));
	buf_free(&b);
	return s;
}

const char *
tl_tmpdir(const char *name)
{
	snprintf(tl_dir, sizeof(tl_dir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(tl_dir) == NULL) {
		printf("Bail out! cannot make '%s': %s\n", tl_dir,
		    strerror(errno));
		exit(1);
	}
	tl_arena = arena_new();
	return tl_dir;
}

const char *
tl_path(const char *name)
{
	return arena_printf(tl_arena, "%s/%s", tl_dir, name);
}

/* mkdir -p of the directories of path below the scratch directory. */
static void
tl_mkdirs(char *path)
{
	char *p;

	for (p = path + strlen(tl_dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(path, 0755);
		*p = '/';
	}
}

const char *
tl_putn(const char *name, const char *text, size_t n)
{
	char *path = arena_printf(tl_arena, "%s/%s", tl_dir, name);
	int fd;

	tl_mkdirs(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, text, n) != (ssize_t)n)
		ok(0, "write '%s': %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return path;
}

const char *
tl_put(const char *name, const char *text)
{
	return tl_putn(name, text, strlen(text));
}

static int
tl_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tl_rmtmp(void)
{
	(void)nftw(tl_dir, tl_rm, 16, FTW_DEPTH | FTW_PHYS);
	arena_free(tl_arena);
	tl_arena = NULL;
}

static void
feed_fill(FCGX_Stream *s)
{
	struct tl_feed *f = s->data;
	size_t n = f->len - f->off;

	if (n == 0) {
		s->isClosed = 1;
		return;
	}
	if (f->chunk > 0 && n > f->chunk)
		n = f->chunk;
	s->rdNext = s->stopUnget = f->data + f->off;
	s->stop = s->rdNext + n;
	f->off += n;
	f->fills++;
}

FCGX_Stream *
tl_feed(struct tl_feed *f, struct arena *a, const char *body, size_t n,
    size_t chunk)
{
	memset(f, 0, sizeof(*f));
	f->data = arena_alloc(a, n + 1);
	memcpy(f->data, body, n);
	f->len = n;
	f->chunk = chunk;
	f->s.isReader = 1;
	f->s.fillBuffProc = feed_fill;
	f->s.data = f;
	f->s.rdNext = f->s.stop = f->s.stopUnget = f->data;
	return &f->s;
}

/* Appends a server frame (unmasked unless mask) to out at *n. */
void
tl_ws_frame(uint8_t *out, size_t *n, int fin, int op, const char *p, size_t len,
    const uint8_t *mask)
{
	size_t i, h = 2;

	out[*n] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (len < 126)
		out[*n + 1] = (uint8_t)len;
	else if (len <= 0xFFFF) {
		out[*n + 1] = 126;
		out[*n + 2] = (uint8_t)(len >> 8);
		out[*n + 3] = (uint8_t)len;
		h = 4;
	} else {
		out[*n + 1] = 127;
		for (i = 0; i < 8; i++)
			out[*n + 2 + i] =
			    (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	if (mask != NULL) {
		out[*n + 1] |= 0x80;
		memcpy(out + *n + h, mask, 4);
		h += 4;
	}
	for (i = 0; i < len; i++)
		out[*n + h + i] = (uint8_t)(p[i] ^ (mask ? mask[i & 3] : 0));
	*n += h + len;
}
