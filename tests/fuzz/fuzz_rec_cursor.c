/*
 * libFuzzer target for the recording dialect's keyset cursor
 * (handlers/recordings/model.c).  The input, read as a cursor, must be
 * refused or read (never a crash or an overread; a forged MAC is never
 * accepted by chance).  Split at its first NUL into a start time and a
 * row id, it must make a cursor that reads back to exactly that
 * position, for its tenant only.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "fuzz.h"
#include "recordings.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf *C;
static struct buf body;

/* The cursor after a page ending at (ts, id). */
static char *
make(struct req *r, const char *ts, long long id)
{
	struct rec_record rec = { .rowid = id, .cursor_ts = ts };
	struct rec_list l = { .v = &rec, .n = 1, .has_next = 1 };
	struct rec_page pg = { .keyset = 1 };
	struct reply rp;
	const char *c, *end;

	buf_clear(&body);
	reply_init(&rp, r->arena, &body, NULL);
	rec_reply_list(r, &rp, &l, &pg);
	FUZZ_CHECK(buf_addc(&body, '\0') == 0);
	c = strstr(body.data, "\"cursor\":\"");
	FUZZ_CHECK(c != NULL);
	c += 10;
	end = strchr(c, '"');
	FUZZ_CHECK(end != NULL);
	return arena_strndup(r->arena, c, (size_t)(end - c));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct req r;
	struct rec_page pg;
	struct tenant other;
	const char *nul;
	char *s, *c, *ts;
	long long id = 0;
	char err[256];

	if (a == NULL) {
		a = arena_new();
		C = conf_load(NULL, NULL, 0, err, sizeof(err));
		buf_init(&body, 1 << 20);
	}
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.conf = C;
	r.tenant = &C->tenants[0];
	s = arena_strndup(a, (const char *)data, size);
	memset(&pg, 0, sizeof(pg));
	if (rec_cursor_parse(&r, s, &pg) == 0)
		FUZZ_CHECK(*s == '\0'); /* no forged MAC */
	nul = memchr(data, '\0', size);
	if (nul != NULL && (size_t)(nul - (const char *)data) + 9 <= size) {
		ts = arena_strndup(
		    a, (const char *)data, (size_t)(nul - (const char *)data));
		memcpy(&id, nul + 1, sizeof(id));
		if (strchr(ts, '"') == NULL && strchr(ts, '\\') == NULL &&
		    id >= 0) {
			c = make(&r, ts, id);
			memset(&pg, 0, sizeof(pg));
			FUZZ_CHECK(rec_cursor_parse(&r, c, &pg) == 0);
			FUZZ_CHECK(
			    strcmp(pg.after_ts, ts) == 0 && pg.after_id == id);
			other = C->tenants[0];
			other.name = "other";
			r.tenant = &other;
			FUZZ_CHECK(rec_cursor_parse(&r, c, &pg) == -1);
		}
	}
	arena_reset(a);
	return 0;
}
