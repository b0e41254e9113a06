/*
 * Helpers of ari_double: strings, time, files, JSON text and the JSON of
 * the fixtures and golden cases.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "phpin.h"
#include "pv.h"
#include "ari_double.h"

/* Copies n bytes of s into dst (size bytes), cut and NUL-terminated. */
void
copyn(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

double
elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - S.t0.tv_sec) +
	    (double)(t.tv_nsec - S.t0.tv_nsec) / 1e9;
}

char *
slurp(const char *path, size_t *len)
{
	struct buf b;
	char tmp[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return NULL;
	buf_init(&b, FILE_MAX);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_add(&b, tmp, (size_t)n) == -1)
			break;
	close(fd);
	*len = b.len;
	buf_addc(&b, '\0');
	return b.data != NULL ? b.data : strdup("");
}

/* Appends the bytes as a JSON string of code points U+0000-U+00FF. */
void
jstr(struct buf *b, const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

/* Appends s JSON-escaped as Asterisk writes strings (UTF-8 raw). */
void
jesc(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			buf_addc(b, *s);
	}
}

const char *
pv_s(const struct pv *obj, const char *key)
{
	const struct pv *v = pv_getz(obj, key);
	size_t n;

	if (v == NULL || v->type == PV_NULL)
		return NULL;
	return pv_to_str(S.arena, v, &n);
}

struct pv *
decode(const char *s, size_t n)
{
	struct in_limits lim = { .nest_max = 64 };
	struct pv *v = NULL;
	char err[128];

	if (json_decode_pv(S.arena, s, n, &lim, &v, err, sizeof(err)) != E_OK)
		die("invalid JSON: %s", err);
	return v;
}
