/*
 * REST routing by method and path template (see rest.h).
 */
#include <string.h>

#include "arena.h"
#include "pv.h"
#include "rest.h"

/*
 * Splits path (from its "/") into segments, in place.  Returns their
 * number, at most REST_SEGS_MAX + 1 (too many).
 */
static size_t
split(char *path, char **seg)
{
	size_t n = 0;
	char *p = path;

	while (*p == '/' && n <= REST_SEGS_MAX) {
		*p++ = '\0';
		seg[n++] = p;
		p += strcspn(p, "/");
	}
	return n;
}

/*
 * Matches segs against a path template.  Returns the number of literal
 * segments that matched (the row's precedence), or -1.
 */
static int
template_match(const char *tmpl, char **segs, size_t n)
{
	size_t i = 0, len;
	int lit = 0;

	while (*tmpl == '/') {
		tmpl++;
		len = strcspn(tmpl, "/");
		if (i == n)
			return -1;
		if (tmpl[0] == '{') {
			if (segs[i][0] == '\0')
				return -1;
		} else if (strlen(segs[i]) != len ||
		    strncmp(tmpl, segs[i], len) != 0)
			return -1;
		else
			lit++;
		tmpl += len;
		i++;
	}
	return i == n ? lit : -1;
}

/* Stores the path parameters of tmpl from segs into r->pathargs. */
static void
path_args(struct req *r, const char *tmpl, char **segs)
{
	const char *name;
	size_t i = 0, len;

	r->pathargs = pv_new_arr(r->arena);
	while (*tmpl == '/') {
		tmpl++;
		len = strcspn(tmpl, "/");
		if (tmpl[0] == '{') {
			name = arena_strndup(r->arena, tmpl + 1, len - 2);
			pv_set(r->arena, r->pathargs, name, len - 2,
			    pv_str(segs[i], strlen(segs[i])));
		}
		tmpl += len;
		i++;
	}
}

enum err
rest_route(struct req *r, const struct family *const *fams, const char *path,
    const struct cmd **cmd, unsigned *allow)
{
	const struct cmd *c, *best = NULL;
	char *segs[REST_SEGS_MAX + 1], *p = arena_strdup(r->arena, path);
	size_t n;
	int lit, top = -1;

	*allow = 0;
	n = split(p, segs);
	if (n == 0 || n > REST_SEGS_MAX)
		return E_NOTFOUND;
	for (; *fams != NULL; fams++)
		for (c = (*fams)->cmds; c < (*fams)->cmds + (*fams)->ncmds;
		     c++) {
			if (c->path == NULL)
				continue;
			lit = template_match(c->path, segs, n);
			if (lit < 0 || lit < top)
				continue;
			if (lit > top) {
				top = lit;
				*allow = 0;
				best = NULL;
			}
			*allow |= c->methods;
			if (c->methods & r->m)
				best = c;
		}
	if (top < 0)
		return E_NOTFOUND;
	if (best == NULL)
		return E_METHOD;
	path_args(r, best->path, segs);
	*cmd = best;
	return E_OK;
}

const char *
rest_allow(struct req *r, const char *first, unsigned methods)
{
	static const struct {
		unsigned bit;
		const char *name;
	} order[] = { { M_GET, "GET" }, { M_POST, "POST" }, { M_HEAD, "HEAD" },
		{ M_PUT, "PUT" }, { M_DELETE, "DELETE" } };
	char *s = arena_strdup(r->arena, first != NULL ? first : "");
	size_t i;

	for (i = 0; i < nitems(order); i++)
		if (methods & order[i].bit)
			s = arena_printf(r->arena, "%s%s%s", s,
			    *s != '\0' ? "," : "", order[i].name);
	return s;
}
