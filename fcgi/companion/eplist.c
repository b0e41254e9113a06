/*
 * The endpoint listing's text and its edits (see eplist.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "eplist.h"
#include "limits.h"
#include "log.h"

int
eplist_set(struct eplist *l, const char *text, size_t len)
{
	free(l->text);
	l->text = NULL;
	l->len = 0;
	if (text == NULL) /* the source's word: over its limits */
		return -1;
	if (len > LIM_EV_EP_TEXT)
		return -1;
	if ((l->text = malloc(len + 1)) == NULL)
		fatal("malloc");
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	l->len = len;
	return 0;
}

int
eplist_write(const struct eplist *l, int synced, double age, struct buf *out)
{
	if (l->text == NULL)
		return 1;
	buf_printf(out, "%d %.3f\n", synced, age);
	buf_add(out, l->text, l->len);
	return out->overflow ? -1 : 0;
}

void
eplist_free(struct eplist *l)
{
	free(l->text);
	l->text = NULL;
	l->len = 0;
}

/* The line after the one at p (its end), within end. */
static const char *
next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

/* Whether the line at p is "key: " + (value, if not NULL) + EOL. */
static int
line_is(const char *p, const char *end, const char *key, const char *value)
{
	size_t k = strlen(key), l = (size_t)(next_line(p, end) - p);

	while (l > 0 && (p[l - 1] == '\n' || p[l - 1] == '\r'))
		l--;
	if (l < k + 2 || memcmp(p, key, k) != 0 || memcmp(p + k, ": ", 2) != 0)
		return 0;
	return value == NULL ||
	    (l - k - 2 == strlen(value) &&
		memcmp(p + k + 2, value, l - k - 2) == 0);
}

/*
 * The line "key: ..." in the block (frame) whose "ObjectName" is
 * endpoint, or NULL.
 */
static const char *
ep_line(const struct eplist *l, const char *endpoint, const char *key)
{
	const char *end = l->text + l->len, *blk, *p;
	int mine;

	for (blk = l->text; blk < end;) {
		mine = 0;
		for (p = blk; p < end && *p != '\r' && *p != '\n';
		     p = next_line(p, end))
			mine |= line_is(p, end, "ObjectName", endpoint);
		for (p = blk; mine && p < end && *p != '\r' && *p != '\n';
		     p = next_line(p, end))
			if (line_is(p, end, key, NULL))
				return p;
		blk = next_line(p, end); /* past the blank line */
	}
	return NULL;
}

/*
 * Where the item value is in the n bytes at v: a list of items each
 * ending in its last byte (Contacts: "aor/uri,aor/uri,"), so a match
 * must start the value or follow that byte.  NULL if not there.
 */
static const char *
item_at(const char *v, size_t n, const char *value, size_t k)
{
	const char *at, *p = v;

	while (k > 0 && p < v + n &&
	    (at = memmem(p, n - (size_t)(p - v), value, k)) != NULL) {
		if (at == v || at[-1] == value[k - 1])
			return at;
		p = at + 1;
	}
	return NULL;
}

/* A count one up or down (never below 0; not a count: 0). */
static char *
count(const char *v, size_t n, enum ev_ep_how how)
{
	unsigned long c = 0;
	size_t i;
	char *t;

	for (i = 0; i < n && i < 9 && v[i] >= '0' && v[i] <= '9'; i++)
		c = c * 10 + (unsigned long)(v[i] - '0');
	if (i != n)
		c = 0;
	c = how == EP_INC ? c + 1 : c > 0 ? c - 1 : 0;
	if ((t = malloc(24)) == NULL)
		fatal("malloc");
	snprintf(t, 24, "%lu", c);
	return t;
}

/* The new value of a line whose value is the n bytes at v. */
static char *
ep_value(const char *v, size_t n, const char *value, enum ev_ep_how how)
{
	size_t k = strlen(value);
	const char *at;
	char *t;

	if (how == EP_INC || how == EP_DEC)
		return count(v, n, how);
	if ((t = malloc(n + k + 1)) == NULL)
		fatal("malloc");
	at = item_at(v, n, value, k);
	if (how == EP_SET)
		n = 0;
	if (how == EP_DEL && at != NULL) {
		memcpy(t, v, (size_t)(at - v));
		memcpy(t + (at - v), at + k, n - (size_t)(at - v) - k);
		t[n - k] = '\0';
		return t;
	}
	memcpy(t, v, n);
	if (how == EP_SET || (how == EP_ADD && at == NULL))
		memcpy(t + n, value, k), n += k;
	t[n] = '\0';
	return t;
}

int
eplist_edit(struct eplist *l, const char *endpoint, const char *key,
    const char *value, enum ev_ep_how how)
{
	const char *line, *vend;
	size_t at, old, n;
	char *t, *v;

	if (l->text == NULL || (line = ep_line(l, endpoint, key)) == NULL)
		return 0;
	at = (size_t)(line - l->text) + strlen(key) + 2;
	vend = next_line(line, l->text + l->len);
	while (vend > l->text + at && (vend[-1] == '\n' || vend[-1] == '\r'))
		vend--;
	old = (size_t)(vend - l->text) - at;
	v = ep_value(l->text + at, old, value, how);
	n = strlen(v);
	if (l->len - old + n > LIM_EV_EP_TEXT || n > LIM_EV_EP_BLOCK) {
		free(v);
		return -1;
	}
	if ((t = malloc(l->len - old + n + 1)) == NULL)
		fatal("malloc");
	memcpy(t, l->text, at);
	memcpy(t + at, v, n);
	memcpy(t + at + n, l->text + at + old, l->len - at - old + 1);
	free(v);
	free(l->text);
	l->text = t;
	l->len = l->len - old + n;
	return 0;
}
