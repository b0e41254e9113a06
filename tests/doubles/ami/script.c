/*
 * Scripted mode of ami_double: the fixtures, the scenario file and its
 * rules, the replies and the fault modes, and the connection loop (see
 * the top of main.c).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl_tree.h>

#include "ami_frame.h"
#include "world.h"
#include "ami_double.h"

static void scenario_refresh(void);

static const struct fixture *
fixture(const char *name)
{
	size_t i;

	for (i = 0; i < S.nfx; i++)
		if (strcasecmp(S.fx[i].name, name) == 0)
			return &S.fx[i];
	return NULL;
}

/* A fixture that load_fixtures() made sure of. */
static const struct fixture *
must(const char *name)
{
	const struct fixture *f = fixture(name);

	if (f == NULL)
		die("no fixture '%s'", name);
	return f;
}

/* Returns 1 if every header of (h, nh) is in the message m. */
static int
has_headers(const char *m, size_t n, const struct kv *h, size_t nh)
{
	char *v;
	size_t i;
	int ok = 1;

	for (i = 0; i < nh && ok; i++) {
		v = header(m, n, h[i].k);
		ok = v != NULL && strcmp(v, h[i].v) == 0;
		free(v);
	}
	return ok;
}

/* Counts the header lines of a message, ActionID aside. */
static size_t
count_headers(const char *m, size_t n)
{
	const char *line = m, *end = m + n, *nl;
	size_t c = 0;

	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if (memchr(line, ':', (size_t)(nl - line)) != NULL &&
		    strncasecmp(line, "ActionID:", 9) != 0)
			c++;
	}
	return c;
}

/* The fixture for a request: same headers, else by action name. */
static const struct fixture *
lookup(const char *m, size_t n, const char *action)
{
	size_t i, al = strlen(action), nh = count_headers(m, n);

	for (i = 0; i < S.nfx; i++)
		if (S.fx[i].nh == nh &&
		    has_headers(m, n, S.fx[i].h, S.fx[i].nh))
			return &S.fx[i];
	if (strcasecmp(action, "Command") == 0)
		return NULL;
	if (fixture(action) != NULL)
		return fixture(action);
	for (i = 0; i < S.nfx; i++)
		if (strncasecmp(S.fx[i].name, action, al) == 0 &&
		    S.fx[i].name[al] == '_' && S.fx[i].nh > 0 &&
		    strcasecmp(S.fx[i].h[0].v, action) == 0)
			return &S.fx[i];
	return NULL;
}

/* Asterisk <= 13 (AMI 1.x/2.x): a Command reply as Response: Follows. */
static void
as_follows(struct out *o, const char *r, size_t n, const char *id)
{
	const char *line = r, *end = r + n, *nl;
	size_t l;

	out_adds(o, "Response: Follows\r\nPrivilege: Command\r\n");
	if (id != NULL) {
		out_adds(o, "ActionID: ");
		out_adds(o, id);
		out_adds(o, "\r\n");
	}
	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			break;
		l = (size_t)(nl - line);
		if (l > 0 && line[l - 1] == '\r')
			l--;
		if (l >= 7 && strncasecmp(line, "Output:", 7) == 0) {
			line += 7 + (l > 7 && line[7] == ' ');
			out_add(o, line,
			    (size_t)(nl - line) -
				(nl > line && nl[-1] == '\r'));
			out_adds(o, "\n");
		}
	}
	out_adds(o, AMI_END_COMMAND "\r\n\r\n");
}

/* AMI 1.x and 2.x (Asterisk <= 13) answer Command as Response: Follows. */
static int
old_cli(void)
{
	return strtol(S.version, NULL, 10) < 3;
}

/* The reply to an action without a rule of its own. */
static void
default_reply(
    struct out *o, const char *m, size_t n, const char *action, const char *id)
{
	const struct fixture *f = lookup(m, n, action);
	char *cmd;

	if (f != NULL && strcasecmp(action, "Command") == 0 && old_cli()) {
		as_follows(o, f->reply, f->rlen, id);
	} else if (f != NULL) {
		with_id(o, f->reply, f->rlen, id);
	} else if (strcasecmp(action, "Command") == 0) {
		cmd = header(m, n, "Command");
		out_adds(o, "Response: Error\r\n");
		with_id(o, "ActionID: x\r\n", 13, id);
		out_adds(o,
		    "Message: Command output follows\r\nOutput: No such command '");
		out_adds(o, cmd ? cmd : "");
		out_adds(o, "'\r\n\r\n");
		free(cmd);
	} else {
		out_adds(o, "Response: Error\r\n");
		with_id(o, "ActionID: x\r\n", 13, id);
		out_adds(o, "Message: Invalid/unknown command: ");
		out_adds(o, action);
		out_adds(o,
		    ". Use Action: ListCommands to show available commands.\r\n\r\n");
	}
}

/* The first rule for this request (action NULL: connection rules). */
static struct rule *
rule_for(const struct client *c, const char *m, size_t n, const char *action)
{
	struct rule *r;
	size_t i;

	pthread_mutex_lock(&S.lock);
	scenario_refresh();
	for (i = 0; i < S.nrules; i++) {
		r = &S.rules[i];
		if (r->times < 0 || (r->conn != 0 && r->conn != c->n))
			continue;
		if ((action == NULL) != (r->action == NULL))
			continue;
		if (action != NULL && strcmp(r->action, "*") != 0 &&
		    strcasecmp(r->action, action) != 0)
			continue;
		if (action != NULL && !has_headers(m, n, r->h, r->nh))
			continue;
		if (r->times > 0 && --r->times == 0)
			r->times = -1;
		pthread_mutex_unlock(&S.lock);
		return r;
	}
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

static int
is(const struct rule *r, const char *fault)
{
	return r != NULL && r->fault != NULL && strcmp(r->fault, fault) == 0;
}

/* Garbage of a kind, instead of a reply. */
static int
send_garbage(struct client *c, const char *kind)
{
	struct out o = { 0 };
	int i, rc = 0;

	kind = kind ? kind : "nocolon";
	out_adds(&o, "Response: Success\r\n");
	if (strcmp(kind, "nocolon") == 0)
		out_adds(&o, "this line has no colon\r\n\r\n");
	else if (strcmp(kind, "binary") == 0)
		out_adds(&o, "Message: \xff\xfe\xc3\x28 caf\xe9\r\n\r\n");
	else if (strcmp(kind, "nul") == 0)
		out_add(&o, "Message: a\0b\r\n\r\n", 16);
	else if (strcmp(kind, "huge") == 0)
		for (i = 0; i < 3000; i++)
			out_adds(&o,
			    "X-Pad: "
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
	rc = dbl_send_all(c->fd, o.p, o.len);
	if (strcmp(kind, "endless") == 0 || strcmp(kind, "neverend") == 0) {
		out_adds(&o,
		    strcmp(kind, "endless") == 0
			? "Message: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			: "Key: value\r\n");
		for (i = 0; i < 100000 && rc == 0; i++) {
			rc = dbl_send_all(c->fd, o.p + 19, o.len - 19);
			dbl_sleep_ms(strcmp(kind, "endless") == 0 ? 1 : 10);
		}
	}
	free(o.p);
	return rc;
}

/* Sends a reply the way the rule says.  Returns -1 to close. */
static int
deliver(struct client *c, const struct rule *r, const struct out *o)
{
	struct out co = { 0 };
	size_t i, step;
	int rc;

	if (is(r, "close-mid-reply")) {
		dbl_send_all(c->fd, o->p,
		    (size_t)r->bytes < o->len ? (size_t)r->bytes : o->len);
		return -1;
	}
	if (is(r, "slow-drip")) {
		step = r->chunk > 0 ? (size_t)r->chunk : 1;
		for (i = 0; i < o->len; i += step) {
			if (dbl_send_all(c->fd, o->p + i,
				i + step > o->len ? o->len - i : step) == -1)
				return -1;
			dbl_sleep_ms(r->delay_ms > 0 ? r->delay_ms : 2);
		}
		return 0;
	}
	if (is(r, "coalesce") && S.nevents > 0) {
		for (i = 0; i < S.nevents && i < 3; i++)
			out_adds(&co, S.events[i]);
		out_add(&co, o->p, o->len);
		for (i = 3; i < S.nevents && i < 6; i++)
			out_adds(&co, S.events[i]);
		rc = dbl_send_all(c->fd, co.p, co.len);
		free(co.p);
		return rc;
	}
	return dbl_send_all(c->fd, o->p, o->len);
}

/* Login: the configured pair, or Authentication failed and a close. */
static int
login(struct client *c, const char *m, size_t n, const struct rule *r)
{
	char *u = header(m, n, "Username"), *s = header(m, n, "Secret");
	char *ev = header(m, n, "Events");
	const struct fixture *f;
	struct out o = { 0 };
	char tag[32];
	int good, rc;

	good = !is(r, "auth-fail") && u && s && strcmp(u, S.user) == 0 &&
	    strcmp(s, S.secret) == 0;
	c->events_on = ev == NULL || strcasecmp(ev, "off") != 0;
	free(u);
	free(s);
	free(ev);
	if (!good) {
		dbl_sleep_ms(S.auth_delay_ms);
		f = must("Login_AuthFailed");
		with_id(&o, f->reply, f->rlen, c->id);
		dbl_send_all(c->fd, o.p, o.len);
		free(o.p);
		return -1;
	}
	c->logged_in = 1;
	f = must(c->events_on ? "Login_EventsOn" : "Login");
	with_id(&o, f->reply, f->rlen, c->id);
	snprintf(tag, sizeof(tag), "ami-%d", c->n);
	world_unsub(tag); /* a second Login: still one subscription */
	if (r == NULL && c->events_on) {
		/* The call world's events after the reply, none missed. */
		world_lock();
		if ((rc = deliver(c, r, &o)) == 0)
			world_sub_locked(c->fd, tag, "on");
		world_unlock();
	} else if ((rc = deliver(c, r, &o)) == 0 && c->events_on)
		world_sub(c->fd, tag, "on"); /* after a rule's faulty reply */
	free(o.p);
	return rc;
}

/* Answers one message.  Returns -1 to close the connection. */
static int
answer(struct client *c, const char *m, size_t n)
{
	char *action = header(m, n, "Action"), *id = header(m, n, "ActionID");
	const struct fixture *f = NULL;
	struct out o = { 0 };
	struct rule *r;
	char start[96] = "";
	int rc = 0;

	c->id = id;
	r = rule_for(c, m, n, action ? action : "");
	if (is(r, "stall"))
		goto done;
	if (is(r, "garbage")) {
		send_garbage(c, r->kind);
		rc = -1;
		goto done;
	}
	if (action != NULL && strcasecmp(action, "Login") == 0) {
		rc = login(c, m, n, r);
		goto done;
	}
	if (action == NULL)
		f = fixture("MissingAction");
	else if (strcasecmp(action, "Logoff") == 0)
		f = fixture("Logoff");
	else if (!c->logged_in && strcasecmp(action, "Challenge") != 0)
		f = fixture("NotLoggedIn_CoreShowChannels");
	if (f != NULL)
		with_id(&o, f->reply, f->rlen, id);
	else if (r == NULL && action != NULL &&
	    live_action(action, m, n, id, &o, start, sizeof(start)) == 0)
		; /* the call world's */
	else if (r != NULL && r->reply != NULL && fixture(r->reply) != NULL)
		with_id(
		    &o, fixture(r->reply)->reply, fixture(r->reply)->rlen, id);
	else if (r != NULL && r->text != NULL)
		with_id(&o, r->text, strlen(r->text), id);
	else
		default_reply(&o, m, n, action, id);
	rc = deliver(c, r, &o);
	if (start[0] != '\0') /* its events follow the reply */
		world_start(start);
	live_after_reply();
	if (action != NULL && strcasecmp(action, "Logoff") == 0)
		rc = -1;
done:
	free(o.p);
	free(action);
	free(id);
	c->id = NULL;
	return rc;
}

/* Sends the next unsolicited event of the chatty stream. */
static int
chatter(struct client *c, size_t *k)
{
	const char *e;

	if (S.nevents == 0)
		return 0;
	e = S.events[*k % S.nevents];
	(*k)++;
	return dbl_send_all(c->fd, e, strlen(e));
}

/* Serves one scripted connection. */
static void *
serve(void *arg)
{
	struct client *c = arg;
	struct rule *cr = rule_for(c, NULL, 0, NULL);
	char greet[64];
	size_t len, k = 0;
	int ms, rc = 0;

	log_line(c, "accept", "", 0);
	if (is(cr, "refuse") || world_refusing())
		goto out;
	snprintf(
	    greet, sizeof(greet), "Asterisk Call Manager/%s\r\n", S.version);
	if (is(cr, "garbage"))
		snprintf(greet, sizeof(greet), "HTTP/1.1 400 Bad Request\r\n");
	if ((!is(cr, "stall") || cr->greet) &&
	    dbl_send_all(c->fd, greet, strlen(greet)) == -1)
		goto out;
	ms = is(cr, "chatty") ? (int)cr->interval_ms : 100; /* 0: a flood */
	while (rc == 0) {
		while (rc == 0 && (len = client_msg(c)) > 0) {
			log_line(c, NULL, c->buf, len);
			if (!is(cr, "stall"))
				rc = answer(c, c->buf, len);
			client_drop(c, len);
		}
		if (rc != 0 || (rc = client_read(c, ms)) == -1)
			break;
		rc = 0;
		if (is(cr, "chatty") && c->logged_in)
			rc = chatter(c, &k);
	}
out:
	snprintf(greet, sizeof(greet), "ami-%d", c->n);
	world_unsub(greet);
	client_close(c);
	free(c);
	return NULL;
}

/* ---- loading ---- */

/* Parses the header lines of a request file, ActionID dropped. */
static void
request_headers(struct fixture *f, const char *p, size_t n)
{
	const char *line = p, *end = p + n, *nl, *colon, *v;
	size_t l;

	f->h = xmalloc(32 * sizeof(*f->h));
	for (; line < end && f->nh < 32; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if ((colon = memchr(line, ':', (size_t)(nl - line))) == NULL ||
		    strncasecmp(line, "ActionID:", 9) == 0)
			continue;
		for (v = colon + 1; v < nl && *v == ' '; v++)
			;
		l = (size_t)(nl - v) - (nl > v && nl[-1] == '\r');
		f->h[f->nh].k = xstrndup(line, (size_t)(colon - line));
		f->h[f->nh++].v = xstrndup(v, l);
	}
}

/* Keeps the event frames (no ActionID) of a fixture for chatty. */
static void
load_events(const char *p, size_t n)
{
	static struct ami_hdr h[512];
	struct ami_frame f;
	size_t off = 0, used, vl;

	S.events = xmalloc(256 * sizeof(*S.events));
	while (S.nevents < 256 &&
	    ami_frame_next(p + off, n - off, &f, h, 512, &used) == AMI_OK) {
		if (ami_frame_get(p + off, &f, "Event", &vl) != NULL &&
		    ami_frame_get(p + off, &f, "ActionID", &vl) == NULL)
			S.events[S.nevents++] = xstrndup(p + off, used);
		off += used;
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct fixture *)a)->name,
	    ((const struct fixture *)b)->name);
}

void
load_fixtures(const char *dir)
{
	char path[4096], *req;
	struct dirent *de;
	size_t n, cap = 128, l;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		die("cannot open '%s'", dir);
	S.fx = xmalloc(cap * sizeof(*S.fx));
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0 ||
		    strstr(de->d_name, ".request.") != NULL)
			continue;
		if (S.nfx == cap)
			S.fx = xrealloc(S.fx, (cap *= 2) * sizeof(*S.fx));
		memset(&S.fx[S.nfx], 0, sizeof(S.fx[0]));
		S.fx[S.nfx].name = xstrndup(de->d_name, l - 4);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((S.fx[S.nfx].reply = slurp(path, &S.fx[S.nfx].rlen)) ==
		    NULL)
			die("cannot read '%s'", path);
		snprintf(path, sizeof(path), "%s/%s.request.txt", dir,
		    S.fx[S.nfx].name);
		if ((req = slurp(path, &n)) != NULL)
			request_headers(&S.fx[S.nfx], req, n);
		free(req);
		if (strcmp(de->d_name, EVENTS_FILE) == 0)
			load_events(S.fx[S.nfx].reply, S.fx[S.nfx].rlen);
		S.nfx++;
	}
	closedir(d);
	qsort(S.fx, S.nfx, sizeof(*S.fx), by_name);
	must("Login");
	must("Login_EventsOn");
	must("Login_AuthFailed");
	must("Logoff");
	must("MissingAction");
	must("NotLoggedIn_CoreShowChannels");
}

static void
load_rule(struct rule *r, yajl_val v)
{
	const char *path[] = { "headers", NULL };
	yajl_val h = yajl_tree_get(v, path, yajl_t_object);
	size_t i;

	r->action = jstr(v, "action");
	r->reply = jstr(v, "reply");
	r->text = jstr(v, "text");
	r->fault = jstr(v, "fault");
	r->kind = jstr(v, "kind");
	r->conn = (int)jnum(v, "conn", 0);
	r->times = (int)jnum(v, "times", 0);
	r->bytes = jnum(v, "bytes", 0);
	r->chunk = jnum(v, "chunk", 1);
	r->delay_ms = jnum(v, "delay_ms", 2);
	r->interval_ms = jnum(v, "interval_ms", 5);
	r->greet = yajl_tree_get(v, (const char *[]){ "greet", NULL },
		       yajl_t_true) != NULL;
	if (h == NULL || !YAJL_IS_OBJECT(h))
		return;
	r->nh = h->u.object.len;
	r->h = xmalloc(r->nh * sizeof(*r->h));
	for (i = 0; i < r->nh; i++) {
		r->h[i].k = h->u.object.keys[i];
		r->h[i].v = YAJL_IS_STRING(h->u.object.values[i])
		    ? h->u.object.values[i]->u.string
		    : "";
	}
}

/*
 * The scenario's "calls": [{"dest": "600", "ring_ms": 50, ...}] become
 * the call world's rules (lib/world.h), each object written back as the
 * flat JSON text the world reads.
 */
static void
load_calls(yajl_val v)
{
	const char *cp[] = { "calls", NULL };
	yajl_val a = yajl_tree_get(v, cp, yajl_t_array), o, x;
	const char *texts[64];
	struct out t[64];
	size_t i, k, n = 0;

	for (i = 0; i < jlen(a) && n < 64; i++) {
		if (!YAJL_IS_OBJECT(o = jat(a, i)))
			continue;
		memset(&t[n], 0, sizeof(t[n]));
		out_adds(&t[n], "{");
		for (k = 0; k < o->u.object.len; k++) {
			x = o->u.object.values[k];
			out_adds(&t[n], k ? ",\"" : "\"");
			out_adds(&t[n], o->u.object.keys[k]);
			out_adds(&t[n], "\":");
			if (YAJL_IS_STRING(x)) {
				out_adds(&t[n], "\"");
				out_adds(&t[n], x->u.string);
				out_adds(&t[n], "\"");
			} else if (YAJL_IS_NUMBER(x))
				out_adds(&t[n], x->u.number.r);
			else
				out_adds(
				    &t[n], YAJL_IS_TRUE(x) ? "true" : "false");
		}
		out_adds(&t[n], "}");
		texts[n] = t[n].p;
		n++;
	}
	world_rules(1, texts, n);
	for (i = 0; i < n; i++)
		free(t[i].p);
}

/* Loads the scenario file.  Returns 0, or -1 if it cannot be used. */
int
load_scenario(const char *path)
{
	const char *rp[] = { "rules", NULL };
	char err[512], *text;
	struct rule *rules;
	yajl_val v, rv;
	size_t n, i;

	if ((text = slurp(path, &n)) == NULL)
		return -1;
	if ((v = yajl_tree_parse(text, err, sizeof(err))) == NULL) {
		fprintf(stderr, "ami_double: '%s': %s\n", path, err);
		return -1;
	}
	S.version = jstr(v, "version") ? jstr(v, "version") : S.version_arg;
	S.user = jstr(v, "username") ? jstr(v, "username") : "admin";
	S.secret = jstr(v, "secret") ? jstr(v, "secret") : "amp111";
	S.auth_delay_ms = jnum(v, "auth_delay_ms", S.auth_delay_ms);
	rv = yajl_tree_get(v, rp, yajl_t_array);
	rules = xmalloc((jlen(rv) + 1) * sizeof(*rules));
	memset(rules, 0, (jlen(rv) + 1) * sizeof(*rules));
	for (i = 0; i < jlen(rv); i++)
		load_rule(&rules[i], jat(rv, i));
	S.rules = rules; /* the old ones may still be in use: kept */
	S.nrules = jlen(rv);
	load_calls(v);
	return 0;
}

/*
 * Reloads the scenario when its file was replaced or changed (tests
 * rewrite it between requests).  Called with S.lock held.
 */
static void
scenario_refresh(void)
{
	static struct stat seen;
	struct stat st;

	if (S.scenario == NULL || stat(S.scenario, &st) == -1)
		return;
	if (st.st_ino == seen.st_ino && st.st_size == seen.st_size &&
	    st.st_mtim.tv_sec == seen.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == seen.st_mtim.tv_nsec)
		return;
	if (load_scenario(S.scenario) == 0)
		seen = st;
}

/* Accepts scripted connections until the lifetime is over. */
void
scripted(int lfd, double end)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	struct client *c;
	int fd;

	while (now() < end) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		c = xmalloc(sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		pthread_mutex_lock(&S.lock);
		c->n = ++S.nconn;
		pthread_mutex_unlock(&S.lock);
		if (dbl_spawn(serve, c) != 0)
			die("pthread_create");
	}
}
