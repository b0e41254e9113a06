/*
 * The endpoint listing an AMI source hands over (event.h, ep_list and
 * ep_set): the text of a PJSIPShowEndpoints or Sippeers reply as a
 * worker reads it, blocks of "Key: value" lines separated by a blank
 * line, and the edits the events make to one endpoint's block (the one
 * whose "ObjectName" is the endpoint).  Bounded: LIM_EV_EP_TEXT bytes
 * in all, LIM_EV_EP_BLOCK bytes a value.  The state store (state.h)
 * holds one per tenant under its lock.
 */
#ifndef PBXAPI_EPLIST_H
#define PBXAPI_EPLIST_H

#include <stddef.h>

#include "event.h"

struct buf;

struct eplist {
	char *text; /* NUL-terminated, NULL: no listing */
	size_t len;
};

/*
 * Replaces the listing by a copy of the len bytes at text.  Returns 0,
 * or -1 if it is over LIM_EV_EP_TEXT or text is NULL (a source's listing
 * over its limits, event.h): then there is none.
 */
int eplist_set(struct eplist *l, const char *text, size_t len);

/*
 * Changes the value of the line "key: value" in endpoint's block: sets
 * it (EP_SET), appends value unless the value holds it as an item
 * (EP_ADD), or removes that item (EP_DEL); an item ends in value's last
 * byte (Contacts' "aor/uri,"); or counts it one up or down (EP_INC,
 * EP_DEC: ActiveChannels; value unused).  Nothing without such a line.  Returns
 * 0, or -1 if the change would pass a limit (not made).
 */
int eplist_edit(struct eplist *l, const char *endpoint, const char *key,
    const char *value, enum ev_ep_how how);

/*
 * Writes "SYNCED AGE\n" and the listing into out (the local verb
 * "endpoints").  Returns 0, -1 if out overflowed, 1 if there is none.
 */
int eplist_write(
    const struct eplist *l, int synced, double age, struct buf *out);

void eplist_free(struct eplist *l);

#endif
