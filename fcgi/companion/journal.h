/*
 * The event journal: a ring of the last N normalised events of one
 * tenant, each kept as its JSON text with an id.  Ids increase by one per
 * event and start, when the companion starts, at the wall clock in
 * microseconds: they are never reused, not by a reconnect of the source
 * and not by a restart of the companion (unless the clock is set back
 * meanwhile), so a reader that asks for the events after the last id it
 * saw never gets an old one again.  Not
 * thread-safe: the state store (state.h) holds it under its lock.
 */
#ifndef PBXAPI_JOURNAL_H
#define PBXAPI_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct ev;
struct jw;

struct jentry {
	uint64_t id;
	char *json; /* the event, {"id":...} (malloc'd) */
	size_t len;
};

struct journal {
	struct jentry *ring;
	size_t cap, n, head; /* head: the oldest entry's index */
	uint64_t next_id;
};

/* Makes a journal of cap entries whose first id is first_id. */
void journal_init(struct journal *j, size_t cap, uint64_t first_id);
void journal_free(struct journal *j);

/*
 * Records e (as ev_json() writes it), received at rx_ms (wall clock), under
 * a new id.  Returns the id.
 */
uint64_t journal_add(struct journal *j, const struct ev *e, int64_t rx_ms);

/* The oldest id kept (0: empty) and the last id given (first_id-1: none). */
uint64_t journal_first(const struct journal *j);
uint64_t journal_last(const struct journal *j);

/*
 * Makes the next id at least next_id (with redis set, the last id the
 * tenant's journal in Redis holds, plus one: ids never go back when
 * another host's companion takes over).
 */
void journal_floor(struct journal *j, uint64_t next_id);

/* The entry journal_add() made last, or NULL if the journal is empty. */
const struct jentry *journal_newest(const struct journal *j);

/*
 * Writes the events with an id above since, oldest first, as the
 * elements of an array already opened on w.  Returns how many.
 */
size_t journal_since(const struct journal *j, uint64_t since, struct jw *w);

/*
 * Writes e as a JSON object into w: id, type, ts (the backend's time in
 * ms, 0: it gave none), received (ms), backend, and the fields the event
 * says (the channel's snapshot under "channel").
 */
void ev_json(struct jw *w, uint64_t id, const struct ev *e, int64_t rx_ms);

#endif
