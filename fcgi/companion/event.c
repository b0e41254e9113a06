/*
 * Names of the event model's types and states (fcgi/companion/event.h).
 */
#include <string.h>
#include <strings.h>

#include "event.h"
#include "limits.h"
#include "util.h"

static const char *const type_names[EV__COUNT] = {
	[EV_CREATED] = "created",
	[EV_STATE] = "state",
	[EV_DIAL] = "dial",
	[EV_DIAL_END] = "dial_end",
	[EV_ANSWER] = "answer",
	[EV_DTMF] = "dtmf",
	[EV_HOLD] = "hold",
	[EV_UNHOLD] = "unhold",
	[EV_BRIDGE_ENTER] = "bridge_enter",
	[EV_BRIDGE_LEAVE] = "bridge_leave",
	[EV_HANGUP] = "hangup",
	[EV_DESTROYED] = "destroyed",
	[EV_UPDATE] = "update",
	[EV_PEER] = "peer",
	[EV_QUEUE_MEMBER] = "queue_member",
};

/* ARI's names (Asterisk's ast_state2str()), which AMI's
 * ChannelStateDesc shares. */
static const char *const state_names[ST__COUNT] = {
	[ST_UNKNOWN] = "Unknown",
	[ST_DOWN] = "Down",
	[ST_RSRVD] = "Rsrvd",
	[ST_OFFHOOK] = "OffHook",
	[ST_DIALING] = "Dialing",
	[ST_RING] = "Ring",
	[ST_RINGING] = "Ringing",
	[ST_UP] = "Up",
	[ST_BUSY] = "Busy",
	[ST_DIALING_OFFHOOK] = "Dialing Offhook",
	[ST_PRERING] = "Pre-ring",
};

const char *
ev_type_name(enum ev_type t)
{
	return (unsigned)t < EV__COUNT ? type_names[t] : "unknown";
}

const char *
ev_state_name(enum ev_state s)
{
	return (unsigned)s < ST__COUNT ? state_names[s] : "Unknown";
}

enum ev_state
ev_state_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return ST_UNKNOWN;
	for (i = 0; i < nitems(state_names); i++)
		if (strcasecmp(s, state_names[i]) == 0)
			return (enum ev_state)i;
	return ST_UNKNOWN;
}

size_t
ev_str_len(const char *s)
{
	size_t n = strnlen(s, LIM_EV_STR);

	while (n > 0 && n == LIM_EV_STR && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}
