/*
 * libFuzzer target for elastix .env files (env_parse): every key and
 * value it keeps is trimmed, keys hold no '=' or newline, a key is kept
 * once, and tenant_get finds each key's value.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
trimmed(const char *s)
{
	size_t n = strlen(s);

	return n == 0 ||
	    (strchr(" \t\n\r\v", s[0]) == NULL &&
		strchr(" \t\n\r\v", s[n - 1]) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct tenant t = { .name = "fuzz" };
	size_t i, j;

	if (a == NULL)
		a = arena_new();
	env_parse(a, &t, (const char *)data, size);
	for (i = 0; i < t.nenv; i++) {
		FUZZ_CHECK(strchr(t.env[i].key, '=') == NULL);
		FUZZ_CHECK(strchr(t.env[i].key, '\n') == NULL);
		FUZZ_CHECK(strchr(t.env[i].val, '\n') == NULL);
		FUZZ_CHECK(trimmed(t.env[i].key));
		FUZZ_CHECK(t.env[i].key[0] != '#');
		for (j = i + 1; j < t.nenv; j++)
			FUZZ_CHECK(strcmp(t.env[i].key, t.env[j].key) != 0);
		FUZZ_CHECK(tenant_get(&t, t.env[i].key) == t.env[i].val);
	}
	arena_reset(a);
	return 0;
}
