/*
 * Request arena (arena.c) and buffers with a ceiling (buf.c).
 */
#include <sys/wait.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "limits.h"
#include "tap.h"

static char order[16];
static size_t norder;

static void
free_null(void)
{
	arena_free(NULL);
}

/* Returns nonzero if fn returns normally in a child process. */
static int
survives(void (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == -1)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void
note(void *arg)
{
	if (norder < sizeof(order) - 1)
		order[norder++] = *(const char *)arg;
}

static void
cleanups(void)
{
	struct arena *a = arena_new();
	static const char one = '1', two = '2', three = '3';

	arena_cleanup(a, note, (void *)(uintptr_t)&one);
	arena_cleanup(a, note, (void *)(uintptr_t)&two);
	arena_cleanup(a, note, (void *)(uintptr_t)&three);
	is_str(order, "", "cleanups do not run early");
	arena_reset(a);
	is_str(order, "321", "cleanups run LIFO on reset");
	arena_reset(a);
	is_str(order, "321", "cleanups run once");
	arena_cleanup(a, note, (void *)(uintptr_t)&one);
	arena_free(a);
	is_str(order, "3211", "arena_free runs the cleanups");
}

static void
allocs(void)
{
	struct arena *a = arena_new();
	char *p, *q, *big;
	size_t i;
	int aligned = 1;

	p = arena_alloc(a, 1);
	q = arena_alloc(a, 1);
	ok(p != q, "two allocations differ");
	for (i = 0; i < 100; i++)
		if ((uintptr_t)arena_alloc(a, i) % sizeof(max_align_t) != 0)
			aligned = 0;
	ok(aligned, "allocations are aligned for any type");
	ok(arena_alloc(a, 0) != NULL, "zero-byte allocation");
	big = arena_alloc(a, 10 * LIM_ARENA_CHUNK);
	memset(big, 'x', 10 * LIM_ARENA_CHUNK);
	ok(big[10 * LIM_ARENA_CHUNK - 1] == 'x', "large allocation usable");
	ok(arena_used(a) >= 10 * LIM_ARENA_CHUNK, "arena_used counts it");
	p = arena_zalloc(a, 100);
	for (i = 0; i < 100 && p[i] == 0; i++)
		;
	is_int((long long)i, 100, "arena_zalloc zeroes");
	for (i = 0; i < 1000; i++)
		arena_alloc(a, 100);
	arena_reset(a);
	is_int((long long)arena_used(a), 0, "reset forgets the usage");
	is_str(arena_strndup(a, "abcdef", 3), "abc", "arena_strndup");
	is_str(arena_strndup(a, NULL, 0), "", "arena_strndup of nothing");
	is_str(arena_strdup(a, "xyz"), "xyz", "arena_strdup");
	is_str(arena_printf(a, "%s-%d", "a", 42), "a-42", "arena_printf");
	p = arena_printf(a, "%5000d", 7);
	is_int((long long)strlen(p), 5000, "arena_printf long output");
	arena_free(a);
	ok(survives(free_null), "arena_free(NULL) is a no-op");
}

static void
ceiling(void)
{
	struct buf b;

	buf_init(&b, 8);
	is_str(buf_cstr(&b), "", "empty buffer is ''");
	is_int(buf_add(&b, "abcd", 4), 0, "buf_add under the ceiling");
	is_int(buf_adds(&b, "efgh"), 0, "buf_adds up to the ceiling");
	is_int(b.overflow, 0, "no overflow yet");
	is_int(buf_addc(&b, 'x'), -1, "one byte past the ceiling");
	is_int(b.overflow, 1, "overflow flag set");
	is_mem(b.data, b.len, "abcdefgh", "buffer unchanged by failed add");
	is_int(buf_add(&b, "", 0), 0, "empty add at the ceiling");
	buf_clear(&b);
	is_int(b.overflow, 0, "buf_clear resets the flag");
	is_int((long long)b.len, 0, "buf_clear forgets the contents");
	is_int(buf_printf(&b, "%d", 12345678), 0, "buf_printf fits");
	is_str(buf_cstr(&b), "12345678", "buf_printf output");
	buf_clear(&b);
	is_int(buf_printf(&b, "%d", 123456789), -1, "buf_printf past ceiling");
	is_int(b.overflow, 1, "buf_printf sets overflow");
	is_int((long long)b.len, 0, "failed buf_printf leaves nothing");
	is_int(buf_add(&b, "x", SIZE_MAX), -1, "huge add fails cleanly");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0, "buf_free");
}

static void
growth(void)
{
	struct buf b;
	size_t i;
	int okay = 1;

	buf_init(&b, 1 << 20);
	for (i = 0; i < 100000; i++)
		if (buf_addc(&b, (char)('a' + i % 26)) != 0)
			okay = 0;
	ok(okay && b.len == 100000, "buffer grows to 100000 bytes");
	ok(b.data[99999] == 'a' + 99999 % 26 && b.data[100000] == '\0',
	    "contents and NUL kept");
	buf_free(&b);
}

int
main(void)
{
	cleanups();
	allocs();
	ceiling();
	growth();
	return done_testing();
}
