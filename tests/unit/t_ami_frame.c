/*
 * AMI framing (drivers/ami_frame.c): every captured Asterisk 22 exchange
 * in shared/fixtures/ami parses, reads split at every byte boundary give
 * the same frames, the Asterisk <= 13 Command form, garbage and limits,
 * and the elastix block parser.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami_frame.h"
#include "arena.h"
#include "elastix.h"
#include "buf.h"
#include "json.h"
#include "pv.h"
#include "tap.h"

#define MAXF	  256
#define WHOLE_MAX 4096 /* longer streams are split frame by frame */

/* The frames a stream was cut into. */
struct got {
	size_t off[MAXF], len[MAXF], nh[MAXF];
	int follows[MAXF];
	size_t n;
	int err;     /* AMI_EPROTO was returned */
	size_t left; /* bytes of an unfinished frame */
};

static struct ami_hdr hbuf[AMI_HEADERS_MAX];

static char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	long sz;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	p = malloc((size_t)sz + 1);
	if (p == NULL || fread(p, 1, (size_t)sz, fp) != (size_t)sz) {
		fclose(fp);
		free(p);
		return NULL;
	}
	fclose(fp);
	*n = (size_t)sz;
	return p;
}

/*
 * Takes the whole frames that have arrived (the first avail bytes of p)
 * off the stream from *base on, as the driver does with its buffer.
 */
static void
take(const char *p, size_t avail, size_t *base, struct ami_scan *s,
    struct got *g)
{
	struct ami_frame f;
	enum ami_rc rc;
	size_t len;

	while (!g->err &&
	    (rc = ami_frame_find(p + *base, avail - *base, s, &len)) !=
		AMI_MORE) {
		if (rc == AMI_EPROTO ||
		    ami_frame_parse(
			p + *base, len, &f, hbuf, AMI_HEADERS_MAX) != AMI_OK ||
		    g->n == MAXF) {
			g->err = 1;
			break;
		}
		g->off[g->n] = *base;
		g->len[g->n] = len;
		g->nh[g->n] = f.nh;
		g->follows[g->n] = f.follows;
		g->n++;
		*base += len;
		memset(s, 0, sizeof(*s));
	}
	g->left = avail - *base;
}

/* Feeds p in pieces of step bytes (the first piece of first bytes). */
static void
feed(const char *p, size_t n, size_t first, size_t step, struct got *g)
{
	size_t base = 0, off = 0, k;
	struct ami_scan s;

	g->n = g->left = 0; /* the arrays are read up to n only */
	g->err = 0;
	memset(&s, 0, sizeof(s));
	while (off < n && !g->err) {
		k = off == 0 && first > 0 ? first : step;
		off += k > n - off ? n - off : k;
		take(p, off, &base, &s, g);
	}
}

static int
same(const struct got *a, const struct got *b)
{
	size_t i;

	if (a->n != b->n || a->err != b->err || a->left != b->left)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->off[i] != b->off[i] || a->len[i] != b->len[i] ||
		    a->nh[i] != b->nh[i] || a->follows[i] != b->follows[i])
			return 0;
	return 1;
}

/*
 * Frames are independent (the scan restarts at each), so a long stream is
 * split at every boundary frame by frame: the frame of len bytes at p
 * must come out whole, with nh headers, wherever a read ends inside it.
 */
static int
frame_splits(const char *p, size_t len, size_t nh)
{
	static struct got g;
	size_t k;

	for (k = 0; k <= len; k++) {
		feed(p, len, k, len, &g);
		if (g.err || g.n != 1 || g.len[0] != len || g.nh[0] != nh ||
		    g.left != 0)
			return 0;
	}
	return 1;
}

/* Every split point and a byte-by-byte drip give the one-shot frames. */
static void
fixture(const char *dir, const char *name)
{
	char path[2048];
	static struct got one, g; /* large: off the stack */
	size_t n, k, i, used;
	char ver[32], *p;
	int all = 1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((p = slurp(path, &n)) == NULL) {
		ok(0, "%s: readable", name);
		return;
	}
	if (strcmp(name, "Greeting.txt") == 0) {
		ok(ami_greeting(p, n, &used, ver, sizeof(ver)) == AMI_OK &&
			used == n && strcmp(ver, "11.0.0") == 0,
		    "%s: greeting, version 11.0.0", name);
		free(p);
		return;
	}
	feed(p, n, n, n, &one);
	ok(!one.err && one.left == 0 && one.n > 0,
	    "%s: %zu frames, every byte used", name, one.n);
	for (k = 0; k <= n && all && n <= WHOLE_MAX; k++) {
		feed(p, n, k, n, &g);
		all = same(&one, &g);
	}
	for (i = 0; i < one.n && all && n > WHOLE_MAX; i++) {
		all = frame_splits(p + one.off[i], one.len[i], one.nh[i]);
		for (k = one.off[i]; k < one.off[i] + 4 && k <= n && all; k++) {
			feed(p, n, k, n, &g); /* around frame boundaries */
			all = same(&one, &g);
			feed(p, n, k > 2 ? k - 2 : 0, 3, &g);
			all = all && same(&one, &g);
		}
	}
	ok(all, "%s: split at every byte boundary", name);
	feed(p, n, 1, 1, &g);
	ok(same(&one, &g), "%s: one byte at a time", name);
	free(p);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
fixtures(void)
{
	const char *shared = getenv("PBXAPI_SHARED");
	char dir[1024], *names[512];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;

	snprintf(
	    dir, sizeof(dir), "%s/fixtures/ami", shared ? shared : "../shared");
	if ((d = opendir(dir)) == NULL) {
		ok(0, "fixtures in %s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 512)
		if (strstr(de->d_name, ".txt") != NULL)
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	is_int(n >= 150, 1, "at least 150 fixture files");
	for (i = 0; i < n; i++) {
		fixture(dir, names[i]);
		free(names[i]);
	}
}

/* Parses s in one step; returns the code, frame in *f. */
static enum ami_rc
one(const char *s, size_t n, struct ami_frame *f, size_t *used)
{
	return ami_frame_next(s, n, f, hbuf, AMI_HEADERS_MAX, used);
}

/* The same for a NUL-terminated s. */
static enum ami_rc
onez(const char *s, struct ami_frame *f, size_t *used)
{
	return one(s, strlen(s), f, used);
}

static void
headers(void)
{
	static const char s[] =
	    "Response: Success\r\nActionID: 7\r\n"
	    "message:Authentication accepted\r\n"
	    "Output:  two spaces\r\nResponse: Again\r\n\r\nEvent: Next\r\n";
	struct ami_frame f;
	size_t used, vl;
	const char *v;

	ok(one(s, sizeof(s) - 1, &f, &used) == AMI_OK && f.nh == 5 &&
		used == sizeof(s) - 1 - 13,
	    "frame with 5 headers, the next frame left");
	v = ami_frame_get(s, &f, "MESSAGE", &vl);
	is_mem(v, vl, "Authentication accepted",
	    "names case-insensitive, no space after ':'");
	v = ami_frame_get(s, &f, "output", &vl);
	is_mem(v, vl, " two spaces", "one space after ':' is dropped");
	v = ami_frame_get(s, &f, "Response", &vl);
	is_mem(v, vl, "Success", "duplicate header: get finds the first");
	ok(ami_frame_get(s, &f, "Nope", &vl) == NULL, "absent header");
	v = ami_peek(s, used, "actionid", &vl);
	is_mem(v, vl, "7", "ami_peek without parsing");
	ok(ami_peek(s, used, "Event", &vl) == NULL,
	    "ami_peek stops at the empty line");
	ok(onez("Event: X\nA: b\n\n", &f, &used) == AMI_OK && f.nh == 2 &&
		used == 15,
	    "LF-only line ends are accepted");
	ok(onez("\r\nEvent: X\r\n\r\n", &f, &used) == AMI_OK && f.nh == 0 &&
		used == 2,
	    "a stray empty line is a frame of its own");
	ok(onez("Event: X\r\nA: b\r\n", &f, &used) == AMI_MORE,
	    "no empty line yet: more");
	ok(onez("Key: caf\xe9 \xff\r\n\r\n", &f, &used) == AMI_OK,
	    "non-UTF-8 bytes in a value pass");
}

static void
follows(void)
{
	static const char s[] =
	    "Response: Follows\r\nPrivilege: Command\r\nActionID: a1\r\n"
	    "Channel              Context\n\nline: two\n"
	    "2 active channels\n--END COMMAND--\r\n\r\nEvent: X\r\n\r\n";
	static const char glued[] =
	    "Response: Follows\r\nPrivilege: "
	    "Command\r\nNo such command 'x'--END COMMAND--\r\n\r\n";
	static const char empty[] = "Response: Follows\r\nPrivilege: Command"
				    "\r\n--END COMMAND--\r\n\r\n";
	struct ami_frame f;
	size_t used, vl;
	const char *v;

	ok(one(s, sizeof(s) - 1, &f, &used) == AMI_OK && f.follows &&
		f.nh == 3 && used == sizeof(s) - 1 - 12,
	    "Response: Follows ends at --END COMMAND--, not at blank lines");
	is_mem(s + f.body, f.blen,
	    "Channel              Context\n\nline: two\n2 active channels\n",
	    "the CLI text is the body");
	v = ami_frame_get(s, &f, "ActionID", &vl);
	is_mem(v, vl, "a1", "Follows headers are parsed");
	ok(ami_peek(s, used, "line", &vl) == NULL,
	    "ami_peek does not look into the CLI text");
	ok(one(glued, sizeof(glued) - 1, &f, &used) == AMI_OK && f.follows,
	    "--END COMMAND-- glued to the last line");
	is_mem(glued + f.body, f.blen, "No such command 'x'", "glued body");
	ok(one(empty, sizeof(empty) - 1, &f, &used) == AMI_OK && f.blen == 0,
	    "empty CLI text");
	ok(onez("Response: Follows\r\nabc\r\n\r\nmore\r\n", &f, &used) ==
		AMI_MORE,
	    "Follows without --END COMMAND-- waits");
	ok(ami_frame_parse("Response: Follows\r\n\r\n", 21, &f, hbuf,
	       AMI_HEADERS_MAX) == AMI_EPROTO,
	    "parse rejects a Follows frame without the terminator");
}

/* Returns the code of a one-shot parse of the NUL-terminated s. */
static enum ami_rc
rc_of(const char *s)
{
	struct ami_frame f;
	size_t used;

	return onez(s, &f, &used);
}

static void
limits(void)
{
	struct ami_frame f;
	size_t used, n;
	char *big;

	ok(rc_of("garbage without colon\r\n\r\n") == AMI_EPROTO,
	    "a line without ':' is a protocol error");
	ok(rc_of(": no name\r\n\r\n") == AMI_EPROTO, "empty name");
	ok(rc_of("Bad Name: x\r\n\r\n") == AMI_EPROTO, "space in a name");
	ok(one("A: b\0c\r\n\r\n", 10, &f, &used) == AMI_EPROTO,
	    "NUL is a protocol error");
	ok(one("A: b\0", 5, &f, &used) == AMI_EPROTO,
	    "NUL in an unfinished line is an error at once");
	ok(ami_frame_next("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 20, &f, hbuf, 2,
	       &used) == AMI_EPROTO,
	    "more headers than the caller's array");
	n = AMI_LINE_MAX + 10;
	big = malloc(AMI_FRAME_MAX + 16);
	memset(big, 'x', n);
	big[0] = 'A';
	big[1] = ':';
	ok(one(big, n, &f, &used) == AMI_EPROTO,
	    "an endless line fails before its end arrives");
	memcpy(big + n, "\r\n\r\n", 4);
	ok(one(big, n + 4, &f, &used) == AMI_EPROTO, "an over-long line");
	for (n = 0; n + 8 <= AMI_FRAME_MAX + 8; n += 8)
		memcpy(big + n, "Aa: bb\r\n", 8);
	ok(one(big, n, &f, &used) == AMI_EPROTO,
	    "a frame past AMI_FRAME_MAX without its end");
	free(big);
	ok(ami_greeting("Asterisk Call Manager/2.10.6\r\nResponse", 38, &used,
	       NULL, 0) == AMI_OK &&
		used == 30,
	    "greeting of Asterisk 13");
	ok(ami_greeting("Asterisk Call", 13, &used, NULL, 0) == AMI_MORE,
	    "partial greeting");
	ok(ami_greeting("HTTP/1.1 400 Bad Request\r\n", 26, &used, NULL, 0) ==
		AMI_EPROTO,
	    "not an AMI greeting");
	big = calloc(1, AMI_GREETING_MAX + 1);
	memset(big, 'A', AMI_GREETING_MAX);
	ok(ami_greeting(big, AMI_GREETING_MAX, &used, NULL, 0) == AMI_EPROTO,
	    "greeting longer than the limit");
	free(big);
}

/* json_encode of ami_blocks(s). */
static void
blocks_is(struct arena *a, const char *s, size_t more, const char *want,
    const char *name)
{
	struct buf b;
	struct jw w;

	buf_init(&b, 1 << 20);
	jw_init(&w, &b, JW_PHP);
	pv_encode(&w, ami_blocks(a, s, strlen(s), more));
	is_mem(b.data, b.len, want, name);
	buf_free(&b);
}

static void
blocks(struct arena *a)
{
	/* The reference's input for the verified sippeers example (§5.2):
	 * read up to the line holding EndpointListComplete. */
	static const char pjsip[] =
	    "Response: Success\r\nEventList: start\r\nMessage: A listing of "
	    "Endpoints follows, presented as EndpointList events\r\n\r\n"
	    "Event: EndpointList\r\nObjectType: endpoint\r\nObjectName: "
	    "100\r\nTransport: transport-udp\r\nAor: 100\r\nAuths: "
	    "auth100\r\nOutboundAuths: \r\nContacts: "
	    "100/sip:100@192.168.1.10:5060,\r\nDeviceState: Not in "
	    "use\r\nActiveChannels: \r\n\r\nEvent: EndpointListComplete\r\n";
	static const char sip[] =
	    "Response: Success\r\nEventList: start\r\nMessage: Peer status "
	    "list will follow\r\n\r\nEvent: PeerEntry\r\nChanneltype: "
	    "SIP\r\nObjectName: 100\r\nChanObjectType: peer\r\n\r\n"
	    "Event: PeerlistComplete\r\nEventList: Complete\r\nListItems: 1\r\n";

	blocks_is(a, pjsip, 0,
	    "[{\"Response\":\"Success\",\"EventList\":\"start\",\"Message\":"
	    "\"A listing of Endpoints follows, presented as EndpointList "
	    "events\"},{\"Event\":\"EndpointList\",\"ObjectType\":"
	    "\"endpoint\",\"ObjectName\":\"100\",\"Transport\":"
	    "\"transport-udp\",\"Aor\":\"100\",\"Auths\":\"auth100\","
	    "\"OutboundAuths\":\"\",\"Contacts\":\"100\\/sip:100@192.168.1."
	    "10:5060,\",\"DeviceState\":\"Not in use\",\"ActiveChannels\":"
	    "\"\"},{\"Event\":\"EndpointListComplete\"}]",
	    "PJSIP: every non-empty block, the terminator line last");
	blocks_is(a, sip, 3,
	    "[{\"Event\":\"PeerEntry\",\"Channeltype\":\"SIP\","
	    "\"ObjectName\":\"100\",\"ChanObjectType\":\"peer\"}]",
	    "chan_sip: only blocks with more than 3 keys");
	blocks_is(a, "x: 1\r\ny: 2\r\nx: 3\r\n", 0,
	    "[{\"x\":\"3\",\"y\":\"2\"}]", "duplicate key overwrites in place");
	blocks_is(a, "a: b: c\nnocolon\nk:v\n\n\n\nq: \r\r\n", 0,
	    "[{\"a\":\"b: c\"},{\"q\":\"\"}]",
	    "first ': ' splits, other lines ignored, empty lines end blocks");
	blocks_is(a, "", 0, "[]", "empty input");
	is_str(AMI_END_COMMAND, "--END COMMAND--", "terminator text");
	blocks_is(a, "100: x\n", 0, "[{\"100\":\"x\"}]", "numeric keys");
}

int
main(void)
{
	struct arena *a = arena_new();

	fixtures();
	headers();
	follows();
	limits();
	blocks(a);
	arena_free(a);
	return done_testing();
}
