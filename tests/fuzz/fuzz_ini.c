/*
 * libFuzzer target for the PHP ini emulation (fcgi/php/ini.c) and the PBX
 * credential readers (handlers/host/pbxconf.c).  ini_parse either fails or
 * returns an array of sections (arrays) and top-level scalars (strings),
 * nested at most key[offset] deep, that json_encode writes as valid JSON;
 * the same bytes give the same result twice.  The issabel.conf reader
 * returns a trimmed one-line value, the freepbx.conf reader values
 * without quotes.  The input is exactly size bytes, so any read past its
 * end is caught.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "fuzz.h"
#include "ini.h"
#include "json.h"
#include "pbxconf.h"
#include "pv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Depth of v: 0 for a scalar. */
static int
depth(const struct pv *v)
{
	const struct pv_ent *e;
	int d, max = 0;

	if (v->type != PV_ARR)
		return 0;
	for (e = v->u.arr->head; e != NULL; e = e->next) {
		FUZZ_CHECK(e->val.type == PV_ARR || e->val.type == PV_STR);
		d = depth(&e->val);
		if (d > max)
			max = d;
	}
	return max + 1;
}

static void
check_ini(struct arena *a, struct buf *b, const char *s, size_t size)
{
	struct pv *v, *v2;
	enum err e;
	char *first;
	size_t len;

	e = ini_parse(a, s, size, &v);
	FUZZ_CHECK(e == E_OK || e == E_BADREQ);
	FUZZ_CHECK(ini_parse(a, s, size, &v2) == e);
	if (e != E_OK)
		return;
	FUZZ_CHECK(v->type == PV_ARR && depth(v) <= 4);
	fuzz_encode_check(b, v2);
	first = arena_strndup(a, b->data, b->len);
	len = b->len;
	fuzz_encode_check(b, v);
	FUZZ_CHECK(len == b->len && memcmp(first, b->data, len) == 0);
}

static void
check_value(const char *v, const char *forbidden)
{
	if (v != NULL)
		FUZZ_CHECK(strpbrk(v, forbidden) == NULL);
}

static void
check_creds(struct arena *a, const char *s, size_t size)
{
	struct amp_conf amp;
	const char *pw;
	size_t n;

	pbx_freepbx_parse(a, s, size, &amp);
	check_value(amp.host, "'\"");
	check_value(amp.user, "'\"");
	check_value(amp.pass, "'\"");
	pw = pbx_issabel_rootpw(a, s, size);
	/* A NUL inside the value ends the C string early: no trim check. */
	if (pw == NULL || memchr(s, '\0', size) != NULL)
		return;
	check_value(pw, "\n");
	n = strlen(pw);
	FUZZ_CHECK(n == 0 || strchr(" \t\r\v", pw[0]) == NULL);
	FUZZ_CHECK(n == 0 || strchr(" \t\r\v", pw[n - 1]) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	static struct buf b;

	if (a == NULL) {
		a = arena_new();
		buf_init(&b, 1 << 26);
	}
	check_ini(a, &b, (const char *)data, size);
	check_creds(a, (const char *)data, size);
	arena_reset(a);
	return 0;
}
