/*
 * The AMI source's translation, with no I/O (src_ami.c): one AMI event
 * frame into zero or one struct ev.  For the source and its tests.
 */
#ifndef PBXAPI_SRC_AMI_H
#define PBXAPI_SRC_AMI_H

#include <stddef.h>

#include "event.h"

struct ami_msg;

/*
 * The WCS AMI path's Originate ActionID ends in AMI_WCS_TAIL and the
 * callId (handlers/wcs/call.c): its OriginateResponse, broadcast to
 * every manager session, names the call even when no channel was made.
 */
#define AMI_WCS_TAIL ";wcs="

/* Room for the strings a translation makes (values are NUL-terminated
 * copies: the frame's values are not). */
struct ami_evbuf {
	char s[8192];
	size_t used;
};

/*
 * Translates the frame m (an "Event:" frame; CoreShowChannel too, as
 * EV_CREATED) into e, the strings in b.  now_ms is the wall clock, for a
 * CoreShowChannel's Duration.  Returns 1; 2 for a failed origination
 * that made no channel (e is its EV_HANGUP; the same event as
 * EV_DESTROYED is to follow it); or 0 for a frame that is ignored (not
 * an event, or an event the model does not carry).
 */
int ami_translate(const struct ami_msg *m, long long now_ms, struct ev *e,
    struct ami_evbuf *b);

/* A NUL-terminated copy of header name in b, or NULL if absent. */
const char *ami_evget(
    const struct ami_msg *m, struct ami_evbuf *b, const char *name);

/* One change an event makes to the endpoint listing (event.h). */
struct ami_ep_edit {
	const char *endpoint, *key, *value;
	enum ev_ep_how how;
};

struct ami_ep {
	int relist; /* Reload, FullyBooted: list the endpoints again */
	struct ami_ep_edit e[4];
	size_t n;
};

/*
 * Translates the frame m into the changes it makes to the endpoint
 * listing of a pjsip (PJSIPShowEndpoints) or chan_sip (Sippeers)
 * tenant, the strings in b: DeviceStateChange sets DeviceState;
 * ContactStatus Created/Removed adds or removes "AOR/URI," in Contacts
 * and Newchannel/Hangup of a PJSIP/NAME-... channel count NAME's
 * ActiveChannels up or down (pjsip); PeerStatus sets IPaddress and IPport
 * (Registered, Unregistered) or Status (Reachable, Lagged, Unreachable)
 * (chan_sip); Reload and FullyBooted ask for a new listing.  Returns 1 if there
 * is anything, else 0.
 */
int ami_ep_translate(
    const struct ami_msg *m, int pjsip, struct ami_ep *o, struct ami_evbuf *b);

#endif
