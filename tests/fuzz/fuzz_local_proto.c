/*
 * libFuzzer target for the companion's local interface
 * (fcgi/companion/local_proto.c, local.c).  The input is a client's byte
 * stream: requests are parsed one after another, and each is answered by
 * local_answer() on a companion with one tenant whose state holds a
 * channel; every span must lie inside its line, verbs and arguments must
 * have the characters the format allows, every prefix of a line without
 * its LF must be LOCAL_MORE (or LOCAL_EPROTO past the limit), and every
 * answer must be valid JSON or text of bounded size (wcs.find: its age
 * line, then JSON; the tenant has a WCS call registry).  The same bytes are
 * also read as a reply head.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "companion.h"
#include "conf.h"
#include "fuzz.h"
#include "local.h"
#include "local_proto.h"
#include "state.h"
#include "wcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct companion cmp;
static struct cmp_src src;
static struct tenant tenant = { .name = "acme" };
static struct conf conf = { .events_journal = 8 };

static void
setup(void)
{
	if (cmp.src != NULL)
		return;
	src.t = &tenant;
	src.backend = "ami";
	src.st = st_new("acme", "ami", 8, 8);
	src.wcs = wcs_new(1000, 1000);
	src.cmp = &cmp;
	st_begin_sync(src.st);
	st_apply(src.st,
	    &(struct ev){ .type = EV_CREATED,
		.chan.id = "c1",
		.chan.name = "PJSIP/1-\"\\\x01" });
	st_end_sync(src.st);
	cmp.conf = &conf;
	cmp.src = &src;
	cmp.nsrc = 1;
}

static void
check_req(const char *p, const struct local_req *r, size_t used)
{
	size_t i, k;

	FUZZ_CHECK(used > 0 && used <= LIM_LOCAL_LINE && p[used - 1] == '\n');
	FUZZ_CHECK(
	    r->verb.p == p && r->verb.n > 0 && r->verb.n <= LOCAL_VERB_MAX);
	FUZZ_CHECK(r->nargs <= LOCAL_ARGS_MAX);
	for (i = 0; i < r->verb.n; i++)
		FUZZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyz0123456789._",
			       r->verb.p[i]) != NULL);
	for (k = 0; k < r->nargs; k++) {
		FUZZ_CHECK(
		    r->arg[k].p > p && r->arg[k].p + r->arg[k].n < p + used);
		FUZZ_CHECK(r->arg[k].n > 0 && r->arg[k].n <= LOCAL_ARG_MAX);
		for (i = 0; i < r->arg[k].n; i++)
			FUZZ_CHECK(
			    r->arg[k].p[i] > 0x20 && r->arg[k].p[i] < 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct local_req r;
	struct buf out;
	enum local_rc rc;
	size_t off = 0, used, len, cut;
	char *p = malloc(size + 1);
	int ok;

	setup();
	memcpy(p, data, size);
	buf_init(&out, LIM_LOCAL_REPLY);
	if (local_parse_head(p, size, &ok, &len, &used) == LOCAL_OK)
		FUZZ_CHECK(used <= size && len <= LIM_LOCAL_REPLY);
	while (off < size) {
		rc = local_parse_req(p + off, size - off, &r, &used);
		if (rc != LOCAL_OK)
			break;
		check_req(p + off, &r, used);
		/* Every prefix without the LF wants more. */
		cut = used - 1;
		FUZZ_CHECK(
		    local_parse_req(p + off, cut, &r, &len) == LOCAL_MORE);
		local_parse_req(p + off, used, &r, &len);
		buf_clear(&out);
		ok = local_answer(&cmp, &r, &out);
		FUZZ_CHECK(!out.overflow);
		if (ok && local_is(r.verb, "wcs.find")) {
			const char *nl = memchr(out.data, '\n', out.len);

			FUZZ_CHECK(nl != NULL);
			FUZZ_CHECK(fuzz_json_valid(
			    nl + 1, out.len - (size_t)(nl + 1 - out.data)));
		} else if (ok && !local_is(r.verb, "metrics") &&
		    !local_is(r.verb, "ping") &&
		    !local_is(r.verb, "wcs.reserve") &&
		    !local_is(r.verb, "wcs.done") &&
		    !local_is(r.verb, "idem.claim") &&
		    !local_is(r.verb, "idem.put") &&
		    !local_is(r.verb, "idem.done"))
			FUZZ_CHECK(fuzz_json_valid(out.data, out.len));
		off += used;
	}
	buf_free(&out);
	free(p);
	return 0;
}
