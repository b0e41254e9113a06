/*
 * libFuzzer target for the ARI dialect's router and the codecs of its
 * credentials.  The input is a method byte, then a path under /ari
 * (percent-encoded as a client sends it).  Whatever it holds: the route
 * either names a row of the dialect whose method matches, with every
 * path parameter non-empty and free of NUL, or fails with an ARI error
 * status (404, 405 with an Allow list); never a crash or an overread.
 * base64_decode must invert base64 and refuse what is not base64, and
 * url_encode's output must hold only unreserved bytes and escapes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ari_dialect.h"
#include "arena.h"
#include "buf.h"
#include "fuzz.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct dialect ari_dialect;

static void
route(struct arena *a, const uint8_t *data, size_t size)
{
	static const unsigned methods[] = { M_GET, M_POST, M_DELETE, M_PUT,
		M_HEAD, M_OPTIONS };
	const struct family *const *f;
	const struct pv_ent *e;
	struct ari_req *q;
	struct req r;
	const char *name = NULL;
	size_t len = 0, i;
	int found = 0;
	enum err rc;

	if (size == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.m = methods[data[0] % nitems(methods)];
	r.path = arena_printf(
	    a, "/ari%.*s", (int)(size - 1), (const char *)data + 1);
	if (strlen(r.path) != size + 3)
		return; /* a NUL in the path: FastCGI cannot carry it */
	rc = ari_dialect.route(&r, &name, &len);
	if (rc != E_OK) {
		q = r.dctx;
		FUZZ_CHECK(q != NULL && (q->status == 404 || q->status == 405));
		FUZZ_CHECK(q->status != 405 ||
		    (q->allow != NULL && strncmp(q->allow, "OPTIONS", 7) == 0));
		return;
	}
	FUZZ_CHECK(name != NULL && strlen(name) == len);
	for (f = ari_dialect.families; *f != NULL; f++)
		for (i = 0; i < (*f)->ncmds; i++)
			if (strcmp((*f)->cmds[i].name, name) == 0 &&
			    ((*f)->cmds[i].methods & r.m))
				found = 1;
	FUZZ_CHECK(found);
	if (r.pathargs != NULL)
		for (e = r.pathargs->u.arr->head; e != NULL; e = e->next)
			FUZZ_CHECK(e->val.type == PV_STR &&
			    e->val.u.str.len > 0 &&
			    memchr(e->val.u.str.s, '\0', e->val.u.str.len) ==
				NULL);
}

static void
codecs(struct arena *a, const uint8_t *data, size_t size)
{
	struct buf b;
	const char *enc;
	char *dec;
	size_t n, i;

	enc = base64(a, data, size);
	dec = base64_decode(a, enc, strlen(enc), &n);
	FUZZ_CHECK(dec != NULL && n == size && memcmp(dec, data, size) == 0);
	dec = base64_decode(a, (const char *)data, size, &n);
	if (dec != NULL)
		FUZZ_CHECK(n <= size / 4 * 3);
	buf_init(&b, 3 * size + 1);
	FUZZ_CHECK(url_encode(&b, (const char *)data, size) == 0);
	for (i = 0; i < b.len; i++)
		FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789-._~%",
			       b.data[i]) != NULL &&
		    b.data[i] != '\0');
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;

	if (a == NULL)
		a = arena_new();
	route(a, data, size);
	codecs(a, data, size);
	arena_reset(a);
	return 0;
}
