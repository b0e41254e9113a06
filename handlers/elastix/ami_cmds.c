/*
 * AMI commands of the ?cmd= dialect (elastix-api.md §5.2, §5.4-§5.7,
 * §5.22): sippeers, activecall, channelstatus, parkedcalls, originatecall,
 * queueaddmember and queueremovemember.  Each sends the reference's
 * action frame (plus an ActionID, and after a login with Events: off, see
 * drivers/ami.h) and shapes the reply the way the reference did, quirks
 * included.  activecall asks AMI for "core show channels verbose" instead
 * of running asterisk -rx through a shell.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami.h"
#include "asterisk.h"
#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "json.h"
#include "pbx.h"
#include "pv.h"
#include "reply.h"
#include "req.h"

#define AMI_FIELD_MAX 512 /* bytes of a client value sent to AMI */
#define AMI_FLAGS     (P_NOCTL | P_UTF8)
#define PJSIP_DONE    "EndpointListComplete"

static int
is_pjsip(const struct req *r)
{
	return strcmp(tenant_get(r->tenant, "CHAN_DRIVER"), "pjsip") == 0;
}

/*
 * sippeers: PJSIPShowEndpoints (read up to the EndpointListComplete line,
 * every non-empty block) or, for any other CHAN_DRIVER, Sippeers (up to
 * the ListItems line, blocks of more than 3 keys).  Unless fresh=1, the
 * event companion's listing of the same action's reply answers when it
 * has one (live.c), with X-State-Age: the same text, the same shaping.
 */
static enum err
sippeers(struct req *r, struct reply *rp)
{
	int pjsip = is_pjsip(r);
	struct ami_reply rep;
	const char *text, *age;
	size_t len;
	enum err e;
	const struct ami_action act = { .action = pjsip ? "PJSIPShowEndpoints"
							: "Sippeers",
		.complete = pjsip ? PJSIP_DONE : "PeerlistComplete" };

	if (elastix_live_sippeers(r,
		r->args[0].present && strcmp(r->args[0].s, "0") != 0, &text,
		&len, &age)) {
		pv_encode(elastix_json(r, rp, 200),
		    ami_blocks(r->arena, text, len, pjsip ? 0 : 3));
		reply_header(rp, "X-State-Age",
		    arena_printf(r->arena, "%.3f", strtod(age, NULL)));
		return E_OK;
	}
	e = ast_ami(r, &act, &rep);
	if (e != E_OK)
		return e;
	text = ami_reply_text(
	    r->arena, &rep, pjsip ? PJSIP_DONE : "ListItems", &len);
	pv_encode(elastix_json(r, rp, 200),
	    ami_blocks(r->arena, text, len, pjsip ? 0 : 3));
	return E_OK;
}

/* channelstatus: the raw reply to Status through StatusComplete. */
static enum err
channelstatus(struct req *r, struct reply *rp)
{
	const struct arg *ch = &r->args[0];
	struct ami_kv kv = { "Channel", ch->s, ch->len };
	struct ami_reply rep;
	const char *text;
	size_t len;
	enum err e;
	const struct ami_action act = { .action = "Status",
		.kv = &kv,
		.nkv = ch->present && ch->len > 0,
		.complete = "StatusComplete" };

	e = ast_ami(r, &act, &rep);
	if (e != E_OK)
		return e;
	text = ami_reply_text(r->arena, &rep, NULL, &len);
	elastix_text(r, rp, text, len);
	return E_OK;
}

/* parkedcalls: the raw reply to ParkedCalls, ending at the line
 * "Event: ParkedCallsComplete". */
static enum err
parkedcalls(struct req *r, struct reply *rp)
{
	struct ami_reply rep;
	const char *text;
	size_t len;
	enum err e;
	const struct ami_action act = { .action = "ParkedCalls",
		.complete = "ParkedCallsComplete" };

	e = ast_ami(r, &act, &rep);
	if (e != E_OK)
		return e;
	text = ami_reply_text(r->arena, &rep, "ParkedCallsComplete", &len);
	elastix_text(r, rp, text, len);
	return E_OK;
}

/*
 * originatecall: a synchronous Originate.  Whatever AMI answers, and also
 * when a ringing call keeps the answer past the deadline, the call was
 * handed over: CALL INITIATED, as the reference always says.
 */
static enum err
originatecall(struct req *r, struct reply *rp)
{
	char timeout[24];
	struct ami_kv kv[6] = {
		{ "Channel", r->args[0].s, r->args[0].len },
		{ "Context", r->args[2].s, r->args[2].len },
		{ "Exten", r->args[1].s, r->args[1].len },
		{ "Priority", "1", 1 },
		{ "Callerid", r->args[3].s, r->args[3].len },
		{ "Timeout", timeout, 0 },
	};
	struct ami_reply rep;
	enum err e;
	const struct ami_action act = {
		.action = "Originate", .kv = kv, .nkv = 6, .flags = AMI_SENT_OK
	};

	kv[5].vlen = (size_t)snprintf(
	    timeout, sizeof(timeout), "%lld", (long long)r->args[4].i);
	e = ast_ami(r, &act, &rep);
	if (e != E_OK)
		return e;
	return elastix_status(r, rp, "CALL INITIATED");
}

/* The queue commands exist only where the PBX driver manages queues. */
static int
has_queues(const struct req *r)
{
	return pbx_distro(r->tenant)->queues_sql != NULL;
}

/* Sends a queue action; *ok is 1 if AMI answered Response: Success. */
static enum err
queue_action(struct req *r, const char *action, const struct ami_kv *kv,
    size_t nkv, int *ok)
{
	struct ami_reply rep;
	enum err e;
	const struct ami_action act = {
		.action = action, .kv = kv, .nkv = nkv
	};

	if (!has_queues(r))
		return req_error(
		    r, E_NOTSUP, "%s requires FreePBX driver", r->cmd->name);
	if ((e = ast_ami(r, &act, &rep)) != E_OK)
		return e;
	*ok = rep.n > 0 && ami_is(&rep.msg[0], "Response", "Success");
	return E_OK;
}

static enum err
queueaddmember(struct req *r, struct reply *rp)
{
	char penalty[24];
	struct ami_kv kv[3] = {
		{ "Queue", r->args[0].s, r->args[0].len },
		{ "Interface", r->args[1].s, r->args[1].len },
		{ "Penalty", penalty, 0 },
	};
	int ok = 0;
	enum err e;

	kv[2].vlen = (size_t)snprintf(
	    penalty, sizeof(penalty), "%lld", (long long)r->args[2].i);
	if ((e = queue_action(r, "QueueAdd", kv, 3, &ok)) != E_OK)
		return e;
	return elastix_status(r, rp, ok ? "MEMBER ADDED" : "FAILED");
}

static enum err
queueremovemember(struct req *r, struct reply *rp)
{
	struct ami_kv kv[2] = {
		{ "Queue", r->args[0].s, r->args[0].len },
		{ "Interface", r->args[1].s, r->args[1].len },
	};
	int ok = 0;
	enum err e;

	if ((e = queue_action(r, "QueueRemove", kv, 2, &ok)) != E_OK)
		return e;
	return elastix_status(r, rp, ok ? "MEMBER REMOVED" : "FAILED");
}

/* ---- activecall ---- */

/* A line of text (arena). */
struct span {
	const char *s;
	size_t n;
};

/* The CLI lines as PHP's exec() returned them. */
struct lines {
	struct arena *a;
	struct span *v;
	size_t n, cap;
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

/* PHP trim()'s characters: " \t\n\r\0\x0B". */
static int
is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' ||
	    c == '\v';
}

/* PHP trim(). */
static struct span
trim(const char *s, size_t n)
{
	struct span t = { s, n };

	while (t.n > 0 && is_trim(*t.s)) {
		t.s++;
		t.n--;
	}
	while (t.n > 0 && is_trim(t.s[t.n - 1]))
		t.n--;
	return t;
}

/* exec() drops the trailing whitespace of every line. */
static void
add_line(void *arg, const char *s, size_t n)
{
	struct lines *l = arg;
	struct span *v;

	while (n > 0 && is_ws(s[n - 1]))
		n--;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		v = arena_alloc(l->a, l->cap * sizeof(*v));
		if (l->n > 0)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
	}
	l->v[l->n].s = s;
	l->v[l->n].n = n;
	l->n++;
}

/*
 * preg_split('/\s+/', s): the pieces between whitespace runs (a leading
 * run gives an empty first piece); with runs set, the run lengths too.
 */
static size_t
split_ws(struct arena *a, struct span s, struct span **out, size_t **runs)
{
	size_t i = 0, n = 0, cap = s.n / 2 + 2, start;
	struct span *v = arena_alloc(a, cap * sizeof(*v));
	size_t *rl = arena_zalloc(a, cap * sizeof(*rl));

	for (;;) {
		start = i;
		while (i < s.n && !is_ws(s.s[i]))
			i++;
		v[n].s = s.s + start;
		v[n].n = i - start;
		start = i;
		while (i < s.n && is_ws(s.s[i]))
			i++;
		rl[n++] = i - start;
		if (i == start)
			break;
	}
	*out = v;
	if (runs != NULL)
		*runs = rl;
	return n;
}

/* One channel line split by the header's column widths. */
static struct pv
columns(struct arena *a, struct span line, const struct span *hdr, size_t nhdr,
    const size_t *width, size_t nw)
{
	struct pv *o = pv_new_arr(a);
	struct span rest = line, v;
	const char *key;
	size_t i, w, klen;

	for (i = 0; i < nw; i++) {
		if (i < nhdr) {
			key = hdr[i].s;
			klen = hdr[i].n;
		} else {
			key = arena_printf(a, "col%zu", i);
			klen = strlen(key);
		}
		if (klen == 9 && memcmp(key, "BridgedTo", 9) == 0) {
			v = trim(rest.s, rest.n);
		} else {
			w = width[i] < rest.n ? width[i] : rest.n;
			v = trim(rest.s, w);
			rest.s += w;
			rest.n -= w;
		}
		pv_set(a, o, key, klen, pv_str(v.s, v.n));
	}
	return *o;
}

/*
 * The reference's column algorithm (§5.4): headers from the trimmed first
 * line, widths from its words plus the whitespace after each; lines over
 * 100 bytes become objects, others trimmed strings.
 */
static struct pv *
channel_table(struct arena *a, const struct lines *l)
{
	struct pv *out = pv_new_arr(a);
	struct span *hdr, *words, t;
	size_t nhdr, nw, i, *runs, *width;

	if (l->n == 0)
		return out;
	nhdr = split_ws(a, trim(l->v[0].s, l->v[0].n), &hdr, NULL);
	nw = split_ws(a, l->v[0], &words, &runs);
	width = arena_alloc(a, nw * sizeof(*width));
	for (i = 0; i < nw; i++)
		width[i] = words[i].n + runs[i];
	for (i = 1; i < l->n; i++) {
		if (l->v[i].n > 100) {
			pv_push(
			    a, out, columns(a, l->v[i], hdr, nhdr, width, nw));
			continue;
		}
		t = trim(l->v[i].s, l->v[i].n);
		pv_push(a, out, pv_str(t.s, t.n));
	}
	return out;
}

/*
 * activecall: "core show channels verbose" through AMI Command, or the
 * same table from the event companion's live state (live.c) unless
 * fresh=1.
 */
static enum err
activecall(struct req *r, struct reply *rp)
{
	struct ami_kv kv = { "Command", "core show channels verbose", 26 };
	struct lines l = { .a = r->arena };
	struct ami_reply rep;
	enum err e;
	const struct ami_action act = {
		.action = "Command", .kv = &kv, .nkv = 1
	};

	if (elastix_live_activecall(
		r, rp, r->args[0].present && strcmp(r->args[0].s, "0") != 0))
		return E_OK;
	if ((e = ast_ami(r, &act, &rep)) != E_OK)
		return e;
	ami_command_lines(&rep, add_line, &l);
	pv_encode(elastix_json(r, rp, 200), channel_table(r->arena, &l));
	return E_OK;
}

static const struct param activecall_params[] = {
	{ .name = "fresh", .src = SRC_QUERY, .type = PT_STR, .maxlen = 8 },
};

static const struct param channel_params[] = {
	{ .name = "channel",
	    .src = SRC_QUERY,
	    .flags = AMI_FLAGS,
	    .maxlen = AMI_FIELD_MAX },
};

/* A body field sent in an AMI header, "" or def when absent. */
#define AMI_STR(n, d)                                                 \
	{                                                             \
		.name = n, .src = SRC_BODY, .type = PT_STR,           \
		.flags = AMI_FLAGS, .maxlen = AMI_FIELD_MAX, .def = d \
	}

static const struct param originate_params[] = {
	AMI_STR("channel", ""),
	AMI_STR("extension", ""),
	AMI_STR("context", "from-internal"),
	AMI_STR("callerid", ""),
	{ .name = "timeout", .src = SRC_BODY, .type = PT_INT, .def = "30000" },
};

static const struct param queueadd_params[] = {
	AMI_STR("queue", ""),
	AMI_STR("device", ""),
	{ .name = "penalty", .src = SRC_BODY, .type = PT_INT, .def = "0" },
};

static const struct param queueremove_params[] = {
	AMI_STR("queue", ""),
	AMI_STR("device", ""),
};

static const struct cmd cmds[] = {
	{ .name = "sippeers",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(activecall_params),
	    .run = sippeers },
	{ .name = "activecall",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(activecall_params),
	    .run = activecall },
	{ .name = "channelstatus",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(channel_params),
	    .run = channelstatus },
	{ .name = "parkedcalls",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = parkedcalls },
	{ .name = "originatecall",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    .flags = C_ORIGINATE,
	    PARAMS(originate_params),
	    .target = "channel",
	    .run = originatecall },
	{ .name = "queueaddmember",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(queueadd_params),
	    .target = "queue",
	    .run = queueaddmember },
	{ .name = "queueremovemember",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(queueremove_params),
	    .target = "queue",
	    .run = queueremovemember },
};

const struct family ami_family = {
	.name = "ami",
	CMDS(cmds),
};
