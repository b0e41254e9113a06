/*
 * Helpers of the CDR and FusionPBX record stores (see rec_store.h).
 */
#include <string.h>

#include "arena.h"
#include "rec_store.h"
#include "str.h"

#define COMPONENT_MAX 255 /* NAME_MAX of Linux */

/* s as a LIKE pattern of itself but for "%" (rec_store.h). */
const char *
rec_like(struct arena *a, const char *s, char esc)
{
	char *out = arena_alloc(a, 2 * strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == '_' || *s == esc)
			*o++ = esc;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* "first tie" (rec_store.h). */
const char *
rec_pos_join(struct arena *a, const char *first, const char *tie)
{
	return arena_printf(a, "%s %s", first, tie);
}

/* Splits at the last space; 0 or -1 (rec_store.h). */
int
rec_pos_split(
    struct arena *a, const char *pos, const char **first, const char **tie)
{
	const char *sp = strrchr(pos, ' ');

	if (sp == NULL || sp == pos || sp[1] == '\0')
		return -1;
	*first = arena_strndup(a, pos, (size_t)(sp - pos));
	*tie = sp + 1;
	return 0;
}

/* 0 for one safe path component, else -1 (rec_store.h). */
int
rec_component_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > COMPONENT_MAX || strchr(s, '/') != NULL ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -1;
	return str_has_ctl(s, n) ? -1 : 0;
}

/*
 * The absolute path p with repeated and trailing slashes dropped ("/"
 * for the root directory), or NULL if p is not absolute, is too long, or
 * holds a "." or ".." component or a control byte.
 */
static const char *
normal(struct arena *a, const char *p)
{
	size_t n = strlen(p), len;
	char *out, *o;
	const char *c, *end;

	if (n == 0 || p[0] != '/' || n > REC_ROOT_MAX || str_has_ctl(p, n))
		return NULL;
	out = o = arena_alloc(a, n + 2);
	for (c = p; *c != '\0'; c = end) {
		c += strspn(c, "/");
		if (*c == '\0')
			break;
		end = c + strcspn(c, "/");
		len = (size_t)(end - c);
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return NULL;
		*o++ = '/';
		memcpy(o, c, len);
		o += len;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* dir/name relative to root, 0 or -1 (rec_store.h). */
int
rec_path_below(struct arena *a, const char *root, const char *dir,
    const char *name, const char **rel)
{
	const char *r = normal(a, root), *d = normal(a, dir), *sub;
	size_t rl;

	if (r == NULL || d == NULL || rec_component_ok(name) == -1)
		return -1;
	rl = strcmp(r, "/") == 0 ? 0 : strlen(r);
	if (strncmp(d, r, rl) != 0 || (d[rl] != '/' && d[rl] != '\0'))
		return -1;
	sub = d[rl] == '\0' || d[rl + 1] == '\0' ? "" : d + rl + 1;
	*rel = *sub == '\0' ? arena_strdup(a, name)
			    : arena_printf(a, "%s/%s", sub, name);
	return strlen(*rel) > REC_ROOT_MAX ? -1 : 0;
}
