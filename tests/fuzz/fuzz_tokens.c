/*
 * libFuzzer target for the token file (tokfile_parse, tokline_parse,
 * token_scopes): a parsed file holds at most LIM_TOKENS lines with
 * distinct ids that are their digests' and printable labels; each line
 * written back (tokline_write) parses to the same line; scopes parse or
 * fail with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "fuzz.h"
#include "tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes tl to a line and parses it back into *back. */
static void
round_trip(const struct tokline *tl)
{
	static char line[LIM_CONF_LINE + 64];
	struct tokline back;
	char err[256];
	FILE *fp = fmemopen(line, sizeof(line), "w");
	long n;

	FUZZ_CHECK(fp != NULL);
	FUZZ_CHECK(tokline_write(fp, tl) == 0);
	n = ftell(fp);
	fclose(fp);
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n');
	FUZZ_CHECK(
	    tokline_parse(line, (size_t)n - 1, &back, err, sizeof(err)) == 1);
	FUZZ_CHECK(memcmp(&back, tl, sizeof(back)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	const char *const *cmds;
	struct tokline *v, one;
	char err[256];
	size_t i, n, ncmds;
	unsigned scopes;

	if (a == NULL)
		a = arena_new();
	err[0] = '\0';
	if (tokline_parse((const char *)data, size, &one, err, sizeof(err)) ==
	    -1)
		FUZZ_CHECK(err[0] != '\0');
	err[0] = '\0';
	if (tokfile_parse(
		a, (const char *)data, size, &v, &n, err, sizeof(err)) == -1) {
		FUZZ_CHECK(strncmp(err, "line ", 5) == 0);
		arena_reset(a);
		return 0;
	}
	FUZZ_CHECK(n <= LIM_TOKENS);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(strlen(v[i].id) == TOKEN_ID_LEN);
		FUZZ_CHECK(v[i].created > 0 && v[i].not_after >= 0);
		FUZZ_CHECK(i == 0 || strcmp(v[i].id, v[i - 1].id) != 0);
		round_trip(&v[i]);
		err[0] = '\0';
		if (token_scopes(a, v[i].scopes, &scopes, &cmds, &ncmds, err,
			sizeof(err)) == -1)
			FUZZ_CHECK(err[0] != '\0');
		else
			FUZZ_CHECK(ncmds == 0 || cmds != NULL);
	}
	arena_reset(a);
	return 0;
}
