/*
 * The AMI source's endpoint listing events (src_ami.h, event.h): what
 * DeviceStateChange, ContactStatus, Newchannel and Hangup, PeerStatus,
 * Reload and FullyBooted change of a PJSIPShowEndpoints or Sippeers
 * listing, as Asterisk's
 * manager documentation gives their headers.  No I/O.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ami.h"
#include "src_ami.h"
#include "util.h"

/* DeviceStateChange's State as the listing's DeviceState says it. */
static const struct {
	const char *state, *listed;
} devstates[] = {
	{ "UNKNOWN", "Unknown" },
	{ "NOT_INUSE", "Not in use" },
	{ "INUSE", "In use" },
	{ "BUSY", "Busy" },
	{ "INVALID", "Invalid" },
	{ "UNAVAILABLE", "Unavailable" },
	{ "RINGING", "Ringing" },
	{ "RINGINUSE", "Ring+Inuse" },
	{ "ONHOLD", "On Hold" },
};

/* The endpoint of a device ("PJSIP/102" is 102 for pjsip), or NULL. */
static const char *
device_endpoint(const char *dev, int pjsip)
{
	const char *tech = pjsip ? "PJSIP/" : "SIP/";
	size_t n = strlen(tech);

	if (dev == NULL || strncasecmp(dev, tech, n) != 0 || dev[n] == '\0')
		return NULL;
	return dev + n;
}

static void
ep_edit(struct ami_ep *o, const char *ep, const char *key, const char *value,
    enum ev_ep_how how)
{
	if (o->n < nitems(o->e) && ep != NULL && value != NULL)
		o->e[o->n++] = (struct ami_ep_edit){ ep, key, value, how };
}

/* "Registered" with Address, "Reachable" with Time ... (chan_sip). */
static void
peer_status(const struct ami_msg *m, struct ami_evbuf *b, const char *ep,
    struct ami_ep *o)
{
	const char *st = ami_evget(m, b, "PeerStatus"),
		   *addr = ami_evget(m, b, "Address");
	const char *ms = ami_evget(m, b, "Time"), *colon;
	char *d;
	size_t n;

	if (st == NULL)
		return;
	if (strcasecmp(st, "Registered") == 0 && addr != NULL &&
	    (colon = strrchr(addr, ':')) != NULL) {
		n = (size_t)(colon - addr);
		if (b->used + n + 1 > sizeof(b->s))
			return;
		d = b->s + b->used;
		memcpy(d, addr, n);
		d[n] = '\0';
		b->used += n + 1;
		ep_edit(o, ep, "IPaddress", d, EP_SET);
		ep_edit(o, ep, "IPport", colon + 1, EP_SET);
	} else if (strcasecmp(st, "Unregistered") == 0) {
		ep_edit(o, ep, "IPaddress", "-none-", EP_SET);
		ep_edit(o, ep, "IPport", "0", EP_SET);
	} else if ((strcasecmp(st, "Reachable") == 0 ||
		       strcasecmp(st, "Lagged") == 0) &&
	    ms != NULL && b->used + strlen(ms) + 16 <= sizeof(b->s)) {
		d = b->s + b->used;
		b->used +=
		    (size_t)snprintf(d, sizeof(b->s) - b->used, "%s (%s ms)",
			strcasecmp(st, "Lagged") == 0 ? "LAGGED" : "OK", ms) +
		    1;
		ep_edit(o, ep, "Status", d, EP_SET);
	} else if (strcasecmp(st, "Unreachable") == 0)
		ep_edit(o, ep, "Status", "UNREACHABLE", EP_SET);
}

/* ContactStatus: a contact made or removed is in the Contacts list. */
static void
contact_status(const struct ami_msg *m, struct ami_evbuf *b, const char *ep,
    struct ami_ep *o)
{
	const char *st = ami_evget(m, b, "ContactStatus"),
		   *aor = ami_evget(m, b, "AOR");
	const char *uri = ami_evget(m, b, "URI");
	char *d;
	size_t n;

	if (st == NULL || aor == NULL || uri == NULL)
		return;
	/* The listing's form: every contact as "AOR/URI," */
	n = strlen(aor) + strlen(uri) + 2;
	if (b->used + n + 1 > sizeof(b->s))
		return;
	d = b->s + b->used;
	memcpy(d, aor, strlen(aor));
	d[strlen(aor)] = '/';
	memcpy(d + strlen(aor) + 1, uri, strlen(uri));
	memcpy(d + n - 1, ",", 2);
	b->used += n + 1;
	if (strcasecmp(st, "Created") == 0)
		ep_edit(o, ep, "Contacts", d, EP_ADD);
	else if (strcasecmp(st, "Removed") == 0)
		ep_edit(o, ep, "Contacts", d, EP_DEL);
}

/*
 * Newchannel and Hangup of "PJSIP/102-0000000a" count endpoint 102's
 * ActiveChannels (Asterisk's count of the endpoint's channels) up and
 * down.  The endpoint is the name up to its last '-', in b.
 */
static void
channel_count(
    const struct ami_msg *m, struct ami_evbuf *b, int up, struct ami_ep *o)
{
	const char *ch = ami_evget(m, b, "Channel"), *dash;
	size_t n;
	char *d;

	if (ch == NULL || strncmp(ch, "PJSIP/", 6) != 0 ||
	    (dash = strrchr(ch, '-')) == NULL || dash == ch + 6)
		return;
	n = (size_t)(dash - ch - 6);
	if (b->used + n + 1 > sizeof(b->s))
		return;
	d = b->s + b->used;
	memcpy(d, ch + 6, n);
	d[n] = '\0';
	b->used += n + 1;
	ep_edit(o, d, "ActiveChannels", "1", up ? EP_INC : EP_DEC);
}

int
ami_ep_translate(
    const struct ami_msg *m, int pjsip, struct ami_ep *o, struct ami_evbuf *b)
{
	const char *name, *st, *ep;
	size_t i;

	memset(o, 0, sizeof(*o));
	b->used = 0;
	if ((name = ami_evget(m, b, "Event")) == NULL)
		return 0;
	if (strcasecmp(name, "Reload") == 0 ||
	    strcasecmp(name, "FullyBooted") == 0) {
		o->relist = 1;
	} else if (strcasecmp(name, "DeviceStateChange") == 0) {
		ep = device_endpoint(ami_evget(m, b, "Device"), pjsip);
		st = ami_evget(m, b, "State");
		for (i = 0; st != NULL && i < nitems(devstates); i++)
			if (strcasecmp(st, devstates[i].state) == 0)
				ep_edit(o, ep, "DeviceState",
				    devstates[i].listed, EP_SET);
	} else if (pjsip &&
	    (strcasecmp(name, "Newchannel") == 0 ||
		strcasecmp(name, "Hangup") == 0)) {
		channel_count(m, b, strcasecmp(name, "Newchannel") == 0, o);
	} else if (pjsip && strcasecmp(name, "ContactStatus") == 0) {
		contact_status(m, b, ami_evget(m, b, "EndpointName"), o);
	} else if (!pjsip && strcasecmp(name, "PeerStatus") == 0) {
		peer_status(
		    m, b, device_endpoint(ami_evget(m, b, "Peer"), 0), o);
	}
	return o->relist || o->n > 0;
}
