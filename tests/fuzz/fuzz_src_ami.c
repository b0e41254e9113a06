/*
 * libFuzzer target for the AMI event source's translations
 * (fcgi/companion/src_ami.c, src_ami_ep.c) and the endpoint listing's
 * edits (eplist.c): the input is cut into AMI frames; each goes through
 * ami_translate() and ami_ep_translate() (pjsip and chan_sip), and the
 * edits are applied to a listing.  On any input it must not crash, and
 * what comes out keeps the rules: a count of 0 to 2, known types,
 * backend "ami", a channel id (maybe "") on every channel event, a failed
 * origination's hangup naming the callId, NUL-terminated strings, and a
 * listing within its limits, still NUL-terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ami.h"
#include "ami_frame.h"
#include "eplist.h"
#include "fuzz.h"
#include "src_ami.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char listing[] =
    "Response: Success\r\nEventList: start\r\n\r\n"
    "Event: EndpointList\r\nObjectName: 102\r\nContacts: \r\n"
    "DeviceState: Unavailable\r\n\r\n"
    "Event: PeerEntry\r\nObjectName: 200\r\nIPaddress: -none-\r\n"
    "IPport: 0\r\nStatus: UNKNOWN\r\n\r\n"
    "Event: EndpointListComplete\r\n";

static size_t
len(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void
check_ev(const struct ev *e, int n)
{
	FUZZ_CHECK(n >= 0 && n <= 2);
	if (n == 0)
		return;
	FUZZ_CHECK((unsigned)e->type < EV__COUNT);
	FUZZ_CHECK(strcmp(e->backend, "ami") == 0);
	if (n == 2)
		FUZZ_CHECK(e->type == EV_HANGUP && len(e->chan.id) > 0);
	/* "" is possible (the state ignores it); NULL is not. */
	if (e->type != EV_PEER && e->type != EV_QUEUE_MEMBER)
		FUZZ_CHECK(e->chan.id != NULL);
	(void)(len(e->chan.name) + len(e->peer) + len(e->peer_state) +
	    len(e->cause_txt) + len(e->dialstatus) + len(e->digit));
}

static void
one(const struct ami_msg *m, struct ami_evbuf *b, struct eplist *l)
{
	struct ami_ep o;
	struct ev e;
	size_t i;
	int pjsip;

	check_ev(&e, ami_translate(m, 1795350000000LL, &e, b));
	for (pjsip = 0; pjsip < 2; pjsip++) {
		if (!ami_ep_translate(m, pjsip, &o, b))
			continue;
		FUZZ_CHECK(o.n <= nitems(o.e));
		for (i = 0; i < o.n; i++)
			(void)eplist_edit(l, o.e[i].endpoint, o.e[i].key,
			    o.e[i].value, o.e[i].how);
		FUZZ_CHECK(l->text != NULL && l->len <= LIM_EV_EP_TEXT &&
		    strlen(l->text) == l->len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ami_evbuf b;
	struct ami_hdr h[64];
	struct eplist l = { 0 };
	struct ami_msg m;
	size_t off = 0, used;

	FUZZ_CHECK(eplist_set(&l, listing, sizeof(listing) - 1) == 0);
	while (off < size) {
		memset(&m, 0, sizeof(m));
		if (ami_frame_next((const char *)data + off, size - off, &m.f,
			h, 64, &used) != AMI_OK ||
		    used == 0)
			break;
		m.raw = (const char *)data + off;
		m.len = used;
		if (m.f.nh > 0)
			one(&m, &b, &l);
		off += used;
	}
	eplist_free(&l);
	return 0;
}
