/*
 * The workers' reader of the companion's live channels (the "channels"
 * document, docs/architecture.md "The local protocol"), for the
 * dialects that answer from memory: whether to ask at all (the tenant's
 * events on, state.fresh never, no ?fresh=1), the ask, and a yajl
 * callback reader that keeps only the snapshot keys the caller names
 * (a generic decode cost ten times the round trip: PERFORMANCE.md).
 */
#ifndef PBXAPI_CHANDOC_H
#define PBXAPI_CHANDOC_H

#include <stddef.h>

struct arena;
struct req;

/* Bytes of the document, NUL-terminated (s "" when absent). */
struct cd_span {
	const char *s;
	size_t n;
};

struct cd_doc {
	int synced;
	struct cd_span age; /* seconds, as the companion wrote it */
	long long calls_seen;
	size_t nkeys;	   /* the keys asked for */
	struct cd_span *v; /* n channels of nkeys values, in key order */
	size_t n;
};

/* Channel i's value of key k (the index in the caller's table). */
#define CD_GET(d, i, k) ((d)->v[(i) * (d)->nkeys + (k)])

/*
 * Reads the document of len bytes at body, keeping for each channel the
 * values of keys[0..nkeys-1] (numbers and booleans as their text).
 * Returns 0, or -1 if it is not one (or has over LIM_EV_CHANNELS).
 */
int cd_read(struct arena *a, const char *const *keys, size_t nkeys,
    const char *body, size_t len, struct cd_doc *d);

/*
 * Asks the companion "VERB TENANT" when r should be answered from
 * memory (r's tenant has events on, state.fresh is never, fresh is 0,
 * a companion serves): returns 1 with its reply's body, else 0 (the
 * backend answers), the reason logged at most once a minute with what.
 */
int cd_ask(struct req *r, int fresh, const char *what, const char *verb,
    const char **body, size_t *len);

/*
 * Answers from memory when it should: returns 1 with *d if r's tenant
 * has events on, state.fresh is never, fresh is 0, a companion serves
 * and its state of the tenant is synced; else 0 (the backend answers),
 * the reason logged at most once a minute with what ("activecall").
 */
int cd_live(struct req *r, int fresh, const char *what, const char *const *keys,
    size_t nkeys, struct cd_doc *d);

#endif
