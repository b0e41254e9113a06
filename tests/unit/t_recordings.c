/*
 * The recording dialect's pure pieces (handlers/recordings/model.c): the
 * file id whitelist, the Record writer's shape, and the keyset cursor:
 * made by rec_reply_list after a page's last record, read back by
 * rec_cursor_parse to the same position, refused when any byte is
 * changed or when another tenant presents it.
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "json.h"
#include "recordings.h"
#include "reply.h"
#include "tap.h"

static struct arena *A;
static struct conf *C;
static struct buf body;

static void
ids(void)
{
	static const char *const good[] = { "xivocc_gateway-1459435465.15089",
		"a", "A-b_c.d", "0" };
	static const char *const bad[] = { "", ".hidden", "..", "a/b", "a b",
		"a%2e", "a\nb", "é", "a\\b" };
	char longest[REC_ID_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(rec_valid_id(good[i], strlen(good[i])), 0, good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(rec_valid_id(bad[i], strlen(bad[i])), -1, "refused id");
	is_int(rec_valid_id("a\0b", 3), -1, "a NUL is refused");
	memset(longest, 'x', sizeof(longest));
	is_int(rec_valid_id(longest, REC_ID_MAX), 0, "REC_ID_MAX bytes");
	is_int(rec_valid_id(longest, REC_ID_MAX + 1), -1, "one more: refused");
}

static void
record(void)
{
	const char *keys[] = { "color", "recording" };
	const char *vals[] = { "green", NULL };
	struct rec_record rec = { .id = "r1",
		.start = "2016-03-31 16:44:26",
		.src_num = "1",
		.status = "answered",
		.keys = keys,
		.vals = vals,
		.nattached = 2 };
	struct jw w;
	struct buf b;

	buf_init(&b, 4096);
	jw_init(&w, &b, JW_UTF8);
	rec_write_record(&w, &rec);
	buf_addc(&b, '\0');
	is_str(b.data,
	    "{\"agent\":null,\"attached_data\":{\"color\":\"green\","
	    "\"recording\":null},\"dst_num\":null,\"duration\":\"\","
	    "\"id\":\"r1\",\"queue\":null,\"src_num\":\"1\","
	    "\"start\":\"2016-03-31 16:44:26\",\"status\":\"answered\"}",
	    "a Record: keys in order, null for what is absent, \"\" duration");
	buf_free(&b);
}

/* The cursor rec_reply_list writes after l's last record. */
static char *
cursor_of(struct req *r, struct rec_list *l)
{
	struct rec_page pg = { .keyset = 1 };
	struct reply rp;
	char *c, *end;

	buf_clear(&body);
	reply_init(&rp, A, &body, NULL);
	rec_reply_list(r, &rp, l, &pg);
	buf_addc(&body, '\0');
	c = strstr(body.data, "\"cursor\":\"");
	if (c == NULL)
		return NULL;
	c += 10;
	end = strchr(c, '"');
	return arena_strndup(A, c, (size_t)(end - c));
}

static void
cursor(void)
{
	struct rec_record v[2] = {
		{ .rowid = 7, .cursor_ts = "2026-01-10 12:00:00.000000" },
		{ .rowid = 123456789012LL,
		    .cursor_ts = "2026-01-09 08:00:00.123456" },
	};
	struct rec_list l = { .v = v, .n = 2, .has_next = 1 };
	struct req r = { .arena = A, .conf = C, .tenant = &C->tenants[0] };
	struct rec_page pg = { 0 };
	struct tenant other;
	char *c = cursor_of(&r, &l), *t;
	size_t i;

	ok(c != NULL, "a cursor after a page with a next one");
	is_int(rec_cursor_parse(&r, c, &pg), 0, "it parses back");
	is_str(pg.after_ts, v[1].cursor_ts, "to the last record's time");
	ok(pg.after_id == v[1].rowid && pg.keyset, "and its row id");
	memset(&pg, 0, sizeof(pg));
	is_int(rec_cursor_parse(&r, "", &pg), 0, "\"\" is the first page");
	ok(pg.keyset && pg.after_ts == NULL, "keyset mode from the top");
	for (i = 0; c[i] != '\0'; i++) {
		t = arena_strdup(A, c);
		t[i] = t[i] == '0' ? '1' : t[i] == '.' ? '0' : '0';
		if (rec_cursor_parse(&r, t, &pg) != -1)
			break;
	}
	is_int((int)i, (int)strlen(c), "any byte changed: refused");
	other = C->tenants[0];
	other.name = "other";
	r.tenant = &other;
	is_int(rec_cursor_parse(&r, c, &pg), -1, "another tenant's: refused");
	r.tenant = &C->tenants[0];
	is_int(rec_cursor_parse(&r, "zz", &pg), -1, "not hex: refused");
	is_int(rec_cursor_parse(&r, ".", &pg), -1, "no MAC: refused");
	for (i = 0; i < 2000; i++) {
		v[1].rowid = (long long)i;
		if (rec_cursor_parse(&r, cursor_of(&r, &l), &pg) != 0 ||
		    pg.after_id != (long long)i)
			break;
	}
	is_int((int)i, 2000, "2000 cursors read back (a MAC byte may be 0)");
	l.has_next = 0;
	ok(cursor_of(&r, &l) == NULL, "the last page has a null cursor");
}

int
main(void)
{
	char err[256];

	A = arena_new();
	C = conf_load(NULL, NULL, 0, err, sizeof(err));
	buf_init(&body, 1 << 16);
	ids();
	record();
	cursor();
	conf_free(C);
	arena_free(A);
	return done_testing();
}
