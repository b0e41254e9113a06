/*
 * libFuzzer target for the FreeSWITCH event source's mapping
 * (fcgi/companion/src_esl.c): the first byte picks an event-json body
 * (src_esl_map) or a show channels answer (src_esl_rows).  On any input
 * it must not crash, and what it returns keeps the model's rules: a
 * count in range, known types and states, backend "esl", a channel id on
 * every channel event and every row, NUL-terminated strings; and a
 * domain's scope takes them all (a row never asks for a creation).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "fuzz.h"
#include "src_esl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every byte of s (ASan sees a string that is not terminated). */
static size_t
len(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void
check_chan(const struct ev_chan *c)
{
	FUZZ_CHECK((unsigned)c->state < ST__COUNT);
	(void)(len(c->name) + len(c->caller_num) + len(c->caller_name) +
	    len(c->connected_num) + len(c->connected_name) +
	    len(c->accountcode) + len(c->context) + len(c->exten) +
	    len(c->app) + len(c->app_data) + len(c->linkedid) + len(c->bridge) +
	    len(c->language));
}

static void
check_ev(const struct ev *e)
{
	FUZZ_CHECK((unsigned)e->type < EV__COUNT);
	FUZZ_CHECK(strcmp(e->backend, "esl") == 0);
	if (e->type == EV_PEER)
		FUZZ_CHECK(len(e->peer) > 0 && len(e->peer_state) > 0);
	else
		FUZZ_CHECK(len(e->chan.id) > 0);
	check_chan(&e->chan);
	(void)(len(e->digit) + len(e->cause_txt));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esl_scope *sc;
	struct arena *a;
	struct ev out[SRC_ESL_EV_MAX], *rows;
	int i, n;

	if (size == 0)
		return 0;
	a = arena_new();
	sc = src_esl_scope_new("d");
	if (data[0] & 1) {
		n = src_esl_rows(a, (const char *)data + 1, size - 1, &rows);
		FUZZ_CHECK(n >= -1);
		for (i = 0; i < n; i++) {
			FUZZ_CHECK(rows[i].type == EV_CREATED);
			check_ev(&rows[i]);
			FUZZ_CHECK(
			    src_esl_scope(sc, &rows[i]) != SCOPE_CREATE_FIRST);
		}
	} else {
		n = src_esl_map(a, (const char *)data + 1, size - 1, out);
		FUZZ_CHECK(n >= -1 && n <= SRC_ESL_EV_MAX);
		for (i = 0; i < n; i++) {
			check_ev(&out[i]);
			(void)src_esl_scope(sc, &out[i]);
		}
	}
	src_esl_scope_free(sc);
	arena_free(a);
	return 0;
}
