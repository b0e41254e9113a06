/*
 * Request arena (see arena.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "limits.h"
#include "log.h"

#define ALIGN (sizeof(max_align_t))

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *arg;
};

struct arena {
	struct chunk *head;
	struct cleanup *cleanups;
	size_t used;
};

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c;

	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		fatalx("out of memory (arena chunk of %zu bytes)", size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct arena *
arena_new(void)
{
	struct arena *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		fatalx("out of memory (arena)");
	a->head = chunk_new(LIM_ARENA_CHUNK);
	return a;
}

static void
run_cleanups(struct arena *a)
{
	struct cleanup *c;

	while ((c = a->cleanups) != NULL) {
		a->cleanups = c->next;
		c->fn(c->arg);
	}
}

void
arena_reset(struct arena *a)
{
	struct chunk *c, *next;

	run_cleanups(a);
	/* Keep the last chunk in the list: it is the first one allocated. */
	for (c = a->head; c->next != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = c;
	c->used = 0;
	a->used = 0;
}

void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	run_cleanups(a);
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need;
	void *p;

	if (n > SIZE_MAX - ALIGN)
		fatalx("arena allocation of %zu bytes", n);
	need = (n + ALIGN - 1) & ~(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	if (c->size - c->used < need) {
		c = chunk_new(need > LIM_ARENA_CHUNK ? need : LIM_ARENA_CHUNK);
		/* Insert before the head so the first chunk stays last. */
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	a->used += need;
	return p;
}

void *
arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	char *p;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		fatalx("arena_vprintf: bad format");
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_cleanup(struct arena *a, void (*fn)(void *), void *arg)
{
	struct cleanup *c = arena_alloc(a, sizeof(*c));

	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
}

size_t
arena_used(const struct arena *a)
{
	return a->used;
}
