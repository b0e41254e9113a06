/*
 * libFuzzer target for the json_decode/json_encode round trip of the
 * FusionPBX dialect (handlers/fusionpbx/json.c, used on the
 * destination_actions column): on any input it must not crash, must
 * leave the buffer as it was unless it succeeds, and what it writes must
 * be valid JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fusionpbx.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);
	struct buf b;
	int rc;

	memcpy(p, data, size);
	buf_init(&b, 1 << 24);
	buf_adds(&b, "x");
	rc = fpx_json_php(&b, p, size);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc == 1)
		FUZZ_CHECK(fuzz_json_valid(b.data + 1, b.len - 1));
	else
		FUZZ_CHECK(b.len == 1);
	buf_free(&b);
	free(p);
	return 0;
}
