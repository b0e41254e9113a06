/*
 * The AMI source's translation, with no I/O (src_ami.c): one AMI event
 * frame into zero or one struct ev.  For the source and its tests.
 */
#ifndef PBXAPI_SRC_AMI_H
#define PBXAPI_SRC_AMI_H

#include <stddef.h>

#include "event.h"

struct ami_msg;

/* Room for the strings a translation makes (values are NUL-terminated
 * copies: the frame's values are not). */
struct ami_evbuf {
	char s[8192];
	size_t used;
};

/*
 * Translates the frame m (an "Event:" frame; CoreShowChannel too, as
 * EV_CREATED) into e, the strings in b.  now_ms is the wall clock, for a
 * CoreShowChannel's Duration.  Returns 1, or 0 for a frame that is
 * ignored (not an event, or an event the model does not carry).
 */
int ami_translate(const struct ami_msg *m, long long now_ms, struct ev *e,
    struct ami_evbuf *b);

#endif
