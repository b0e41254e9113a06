/*
 * The helpers every protocol double links: the send loop, sleeping, a
 * detached thread, JSON strings, base64 and the option tables.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbl.h"

int
dbl_send_all(int fd, const char *p, size_t n)
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

void
dbl_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
dbl_spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_t t;
	int rc;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &at, fn, arg);
	pthread_attr_destroy(&at);
	return rc;
}

void
dbl_json_str(FILE *fp, const char *s, size_t n)
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

size_t
dbl_b64_decode(const char *s, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0, bits = 0;
	size_t i, o = 0;
	const char *p;

	for (i = 0; i < n && s[i] != '='; i++) {
		p = strchr(tab, s[i]);
		if (p == NULL || s[i] == '\0')
			continue;
		v = (v << 6) | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	return o;
}

void
dbl_opt_put(void *base, const struct dbl_opt *o, const char *v)
{
	char *m = (char *)base + o->off;

	switch (o->type) {
	case DBL_STR:
		*(const char **)(void *)m = v;
		break;
	case DBL_INT:
		*(int *)(void *)m = (int)strtol(v, NULL, 10);
		break;
	case DBL_LONG:
		*(long *)(void *)m = strtol(v, NULL, 10);
		break;
	}
}

int
dbl_opt_args(
    void *base, const struct dbl_opt *t, size_t n, int argc, char *const argv[])
{
	size_t j;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strncmp(argv[i], "--", 2) != 0)
			return -1;
		for (j = 0; j < n && strcmp(t[j].name, argv[i] + 2) != 0; j++)
			;
		if (j == n)
			return -1;
		dbl_opt_put(base, &t[j], argv[i + 1]);
	}
	return i == argc ? 0 : -1;
}

void
dbl_ack(const char *control, const char *who, const char *id)
{
	static char last[512] = "\001";
	char path[1024], tmp[1100];
	FILE *fp;

	if (control == NULL || strcmp(last, id) == 0)
		return;
	snprintf(path, sizeof(path), "%s.%s.ack", control, who);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	fprintf(fp, "%s\n", id);
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		return;
	snprintf(last, sizeof(last), "%s", id);
}
