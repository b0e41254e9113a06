/*
 * libFuzzer target for the audit verifier (audit_parse and the chain
 * checks of audit_verify_line): the input is a log, split at newlines.
 * Whatever the lines, the verifier ends with a verdict; once a line
 * breaks the chain no later one mends it; a parsed line is sealed
 * exactly when SHA-256 of its canonical bytes is its hash; and it counts
 * every line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The canonical bytes of a parsed line: all before ',"hash"', then '}'. */
static int
sealed(struct arena *a, const char *line, size_t n)
{
	char *c, h[AUDIT_HEX + 1];
	size_t cut = n - (9 + AUDIT_HEX + 2);

	c = arena_alloc(a, cut + 1);
	memcpy(c, line, cut);
	c[cut] = '}';
	audit_hash(c, cut + 1, h);
	return memcmp(h, line + cut + 9, AUDIT_HEX) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct audit_verify *v = audit_verify_new();
	const char *p = (const char *)data, *end = p + size, *nl, *why;
	struct audit_rec rec;
	unsigned long lineno = 0;
	int rc, was_broken = 0;
	size_t n;

	if (a == NULL)
		a = arena_new();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		arena_reset(a);
		if (audit_parse(a, p, n, &rec, &why) == 0) {
			FUZZ_CHECK(rec.sealed == sealed(a, p, n));
			FUZZ_CHECK(strlen(rec.hash) == AUDIT_HEX &&
			    strlen(rec.prev) == AUDIT_HEX);
		} else
			FUZZ_CHECK(why != NULL && *why != '\0');
		rc = audit_verify_line(v, "fuzz", ++lineno, p, n, nl != NULL);
		FUZZ_CHECK(!(was_broken && rc == 0));
		was_broken |= rc == -1;
		p = nl ? nl + 1 : end;
	}
	rc = audit_verify_end(v);
	FUZZ_CHECK(!(was_broken && rc == 0));
	FUZZ_CHECK((rc == 0) == (*audit_verify_why(v) == '\0'));
	FUZZ_CHECK(audit_verify_lines(v) == lineno);
	audit_verify_free(v);
	return 0;
}
