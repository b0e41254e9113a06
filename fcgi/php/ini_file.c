/*
 * The file side of the PHP ini emulation (see ini.h): a regular file read
 * whole into the arena under a size limit, then parsed by ini_parse().
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "ini.h"
#include "limits.h"

/* Reads fd to its end into the arena, growing from cap up to max bytes. */
static enum err
read_all(
    int fd, struct arena *a, size_t cap, size_t max, char **text, size_t *n)
{
	char *buf = arena_alloc(a, cap + 1), *nb;
	size_t len = 0;
	ssize_t k;

	for (;;) {
		if (len == cap) {
			if (cap > max)
				return E_TOOLARGE;
			cap = cap > max / 2 ? max + 1 : cap * 2;
			nb = arena_alloc(a, cap + 1);
			memcpy(nb, buf, len);
			buf = nb;
		}
		k = read(fd, buf + len, cap - len);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1)
			return E_NOTFOUND;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (len > max)
		return E_TOOLARGE;
	buf[len] = '\0';
	*text = buf;
	*n = len;
	return E_OK;
}

enum err
ini_read_file(
    struct arena *a, const char *path, size_t max, char **text, size_t *n)
{
	struct stat st;
	enum err e;
	int fd;

	*text = NULL;
	*n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return E_NOTFOUND;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		e = E_NOTFOUND;
	else if ((uintmax_t)st.st_size > max)
		e = E_TOOLARGE;
	else
		e = read_all(fd, a, (size_t)st.st_size + 64, max, text, n);
	close(fd);
	return e;
}

enum err
ini_load(struct arena *a, const char *path, struct pv **out)
{
	char *text;
	size_t n;
	enum err e;

	*out = NULL;
	e = ini_read_file(a, path, LIM_INI_FILE, &text, &n);
	if (e != E_OK)
		return e;
	return ini_parse(a, text, n, out);
}
