/*
 * libFuzzer target for the ARI dialect's reading of FreeSWITCH's "show
 * channels as json" (handlers/ari/esl_chan.c): on any input it must not
 * crash, it returns -1 or a row count, and every row it returns, written
 * as ARI's Channel, is valid JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ari_esl.h"
#include "buf.h"
#include "fuzz.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct aesl_chan *rows;
	struct buf b;
	struct jw w;
	int i, n;

	n = aesl_parse_channels(a, (const char *)data, size, &rows);
	FUZZ_CHECK(n >= -1);
	buf_init(&b, 1 << 24);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(rows[i].uuid[0] != '\0');
		buf_clear(&b);
		jw_init(&w, &b, JW_UTF8);
		aesl_channel_json(&w, &rows[i]);
		FUZZ_CHECK(!w.error && fuzz_json_valid(b.data, b.len));
		(void)aesl_in_domain(&rows[i], "d.example");
	}
	buf_free(&b);
	arena_free(a);
	return 0;
}
