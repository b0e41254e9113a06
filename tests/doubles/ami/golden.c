/*
 * Golden mode of ami_double.
 *
 *   ami_double --golden CASES.jsonl --control FILE [--port 15038]
 *              [--port-file FILE] [--log DIR] [--lifetime SECONDS]
 *
 * The control file names the case about to run (re-read at every accept
 * and while connections idle).  The n-th AMI connection of a case replays
 * backend.ami[n] with shared/tools/golden-double's rule: the greeting on
 * accept, then each recorded server chunk once the client has sent as
 * many complete messages (CRLF CRLF) as it had at that point of the
 * recording; a recorded server close closes.  While the case's state
 * holds ami_down or asterisk_stopped the listener is closed, so clients
 * see "connection refused".  Three extensions, because pbxapi keeps its
 * connection and sends other frames than the reference:
 *
 *  (a) pbxapi's login (with Events: off) is one message like the
 *      reference's, so it is answered with the recorded login reply;
 *  (b) when the recording's next client message is the reference's
 *      Logoff, the connection is closed right after the reply was
 *      served, so the persistent connection sees EOF and reconnects;
 *  (c) a case without a recorded AMI connection whose backend.shell ran
 *      "asterisk -rx 'X'" answers Action: Command / Command: X with the
 *      recorded stdout as Output: lines (Asterisk 22), DBPut, DBDel and
 *      DBDelTree with Asterisk's success replies, Login with success.
 *
 * A connection whose case is no longer the current one is closed when it
 * is idle or sends its next message (unanswered).  --log DIR keeps what
 * each connection sent as NNNNNN-<case>-ami.bin, like golden-double.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yajl_tree.h>

#include "ami_double.h"

struct gstep {
	size_t need; /* client messages before it is due */
	char *data;  /* NULL: close */
	size_t len;
};

struct gshell {
	const char *cmd; /* the X of asterisk -rx X */
	const char *out;
	size_t len;
	int used;
};

struct gcase {
	const char *id;
	int down;
	struct gstep **plan; /* per recorded AMI connection */
	size_t *nsteps, nami;
	struct gshell *sh;
	size_t nsh;
};

static struct {
	struct gcase *c;
	size_t n;
	const char *control, *logdir;
	char cur[512];
	int used; /* AMI connections of the current case so far */
} G;

/* The bytes of a chunk ("data" or "data_b64"); NULL if neither. */
static char *
chunk_bytes(yajl_val ch, size_t *n)
{
	const char *s = jstr(ch, "data"), *b = jstr(ch, "data_b64");
	char *out;

	if (s != NULL) {
		*n = strlen(s);
		return xstrndup(s, *n);
	}
	if (b == NULL)
		return NULL;
	out = xmalloc(strlen(b));
	*n = dbl_b64_decode(b, strlen(b), out);
	return out;
}

/* Counts the client messages (CRLF CRLF) in the n bytes at p. */
static size_t
count_ends(const char *p, size_t n)
{
	const char *e, *q;
	size_t c = 0;

	if (n == 0)
		return 0;
	e = p + n;
	while ((q = memmem(p, (size_t)(e - p), "\r\n\r\n", 4)) != NULL) {
		c++;
		p = q + 4;
	}
	return c;
}

static void
add_step(struct gstep **v, size_t *n, size_t need, char *data, size_t len)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].need = need;
	(*v)[*n].data = data;
	(*v)[(*n)++].len = len;
}

/* A recorded server chunk: the greeting goes out on accept. */
static void
server_step(
    struct gstep **v, size_t *n, size_t seen, char *d, size_t len, int first)
{
	static const char g[] = "Asterisk Call Manager/";
	char *nl = memmem(d, len, "\r\n", 2);
	size_t gl;

	if (!first || len < sizeof(g) - 1 || memcmp(d, g, sizeof(g) - 1) ||
	    nl == NULL) {
		add_step(v, n, seen, d, len);
		return;
	}
	gl = (size_t)(nl - d) + 2;
	add_step(v, n, 0, xstrndup(d, gl), gl);
	if (len > gl)
		add_step(v, n, seen, xstrndup(d + gl, len - gl), len - gl);
	free(d);
}

/* Recorded connection -> steps, closing where the reference logged off. */
static void
plan(yajl_val conn, struct gstep **v, size_t *n)
{
	const char *cp[] = { "chunks", NULL }, *dir;
	yajl_val chunks = yajl_tree_get(conn, cp, yajl_t_array), ch;
	size_t i, seen = 0, len;
	int first = 1;
	char *d;

	*v = NULL;
	*n = 0;
	for (i = 0; i < jlen(chunks); i++) {
		ch = jat(chunks, i);
		dir = jstr(ch, "dir");
		if ((d = chunk_bytes(ch, &len)) == NULL) { /* eof */
			if (dir && strcmp(dir, "s>c") == 0)
				add_step(v, n, seen, NULL, 0);
			continue;
		}
		if (dir && strcmp(dir, "c>s") == 0) {
			if (memmem(d, len, "Action: Logoff", 14) != NULL ||
			    memmem(d, len, "Action: logoff", 14) != NULL) {
				add_step(v, n, seen, NULL, 0); /* (b) */
				free(d);
				return;
			}
			seen += count_ends(d, len);
			free(d);
			continue;
		}
		server_step(v, n, seen, d, len, first);
		first = 0;
	}
}

/* Returns argv[i] of a shell entry if it is a string, else NULL. */
static const char *
arg_at(yajl_val argv, size_t i)
{
	yajl_val a = jat(argv, i);

	return a != NULL && YAJL_IS_STRING(a) ? a->u.string : NULL;
}

/* backend.shell entries that ran asterisk -rx: (c). */
static void
shell_entries(struct gcase *gc, yajl_val shell)
{
	const char *ap[] = { "argv", NULL }, *so, *a0, *a2;
	yajl_val e, argv;
	size_t i, m;

	m = jlen(shell);
	gc->sh = xmalloc((m + 1) * sizeof(*gc->sh));
	memset(gc->sh, 0, (m + 1) * sizeof(*gc->sh));
	for (i = 0; i < m; i++) {
		e = jat(shell, i);
		argv = yajl_tree_get(e, ap, yajl_t_array);
		a0 = arg_at(argv, 0);
		a2 = arg_at(argv, 2);
		if (a0 == NULL || a2 == NULL || arg_at(argv, 3) != NULL ||
		    strstr(a0, "asterisk") == NULL)
			continue;
		so = jstr(e, "stdout");
		gc->sh[gc->nsh].cmd = a2;
		gc->sh[gc->nsh].out = so ? so : "";
		gc->sh[gc->nsh++].len = so ? strlen(so) : 0;
	}
}

static void
load_case(struct gcase *gc, yajl_val c)
{
	const char *amip[] = { "backend", "ami", NULL };
	const char *shp[] = { "backend", "shell", NULL };
	yajl_val ami = yajl_tree_get(c, amip, yajl_t_array);
	yajl_val sh = yajl_tree_get(c, shp, yajl_t_array);
	const char *state = jstr(c, "state");
	size_t i;

	memset(gc, 0, sizeof(*gc));
	gc->id = jstr(c, "id") ? jstr(c, "id") : "";
	gc->down = state &&
	    (strstr(state, "ami_down") != NULL ||
		strstr(state, "asterisk_stopped") != NULL);
	gc->nami = jlen(ami);
	gc->plan = xmalloc((gc->nami + 1) * sizeof(*gc->plan));
	gc->nsteps = xmalloc((gc->nami + 1) * sizeof(*gc->nsteps));
	for (i = 0; i < gc->nami; i++)
		plan(jat(ami, i), &gc->plan[i], &gc->nsteps[i]);
	if (sh != NULL)
		shell_entries(gc, sh);
}

static void
load_cases(const char *path)
{
	char *text, *line, *nl, err[512];
	size_t n, cap = 256;
	yajl_val v;

	if ((text = slurp(path, &n)) == NULL)
		die("cannot read '%s'", path);
	G.c = xmalloc(cap * sizeof(*G.c));
	for (line = text; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (*line != '\0') {
			if ((v = yajl_tree_parse(line, err, sizeof(err))) ==
			    NULL)
				die("'%s': %s", path, err);
			if (G.n == cap)
				G.c = xrealloc(G.c, (cap *= 2) * sizeof(*G.c));
			load_case(&G.c[G.n++], v);
		}
		if (nl == NULL)
			break;
	}
}

static struct gcase *
gcase(const char *id)
{
	size_t i;

	for (i = 0; i < G.n; i++)
		if (strcmp(G.c[i].id, id) == 0)
			return &G.c[i];
	return NULL;
}

/* Re-reads the control file; a new case resets the connection count. */
static void
read_control(char *id, size_t size)
{
	char buf[512];
	FILE *fp = fopen(G.control, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	pthread_mutex_lock(&S.lock);
	if (strcmp(buf, G.cur) != 0) {
		snprintf(G.cur, sizeof(G.cur), "%s", buf);
		G.used = 0;
	}
	if (id != NULL)
		snprintf(id, size, "%s", G.cur);
	pthread_mutex_unlock(&S.lock);
}

/* Returns 1 if the control file names another case than id. */
static int
moved_on(const char *id)
{
	char cur[512];

	read_control(cur, sizeof(cur));
	return strcmp(cur, id) != 0;
}

/* A golden connection. */
struct gcl {
	struct client c;
	char id[512];
	int idx;
	struct out seen; /* everything received, for --log */
};

/* Reads into both buffers; returns as client_read. */
static int
gread(struct gcl *g, int ms)
{
	size_t before = g->c.len;
	int rc = client_read(&g->c, ms);

	if (rc == 1)
		out_add(&g->seen, g->c.buf + before, g->c.len - before);
	return rc;
}

/* Replays the steps of a recorded connection. */
static void
replay(struct gcl *g, const struct gstep *st, size_t n)
{
	double t0 = now();
	size_t i = 0;
	int rc;

	while (i < n) {
		if (st[i].need <= count_ends(g->seen.p, g->seen.len)) {
			if (st[i].data == NULL)
				return;
			if (dbl_send_all(g->c.fd, st[i].data, st[i].len) == -1)
				return;
			i++;
			continue;
		}
		if ((rc = gread(g, 50)) == -1)
			return;
		if (rc == 0 && (moved_on(g->id) || now() - t0 > 120))
			return;
	}
	while (gread(g, 300) == 1) /* what the client still says */
		;
}

/* (c): Command X answered with the recorded stdout of asterisk -rx X. */
static void
synth_command(struct gcase *gc, struct out *o, const char *cmd)
{
	const char *line, *nl, *end;
	struct gshell *sh = NULL;
	size_t i;

	for (i = 0; cmd != NULL && i < gc->nsh; i++)
		if (strcmp(gc->sh[i].cmd, cmd) == 0 && (sh == NULL || sh->used))
			sh = &gc->sh[i];
	if (sh == NULL) {
		out_adds(o, "Output: No such command '");
		out_adds(o, cmd ? cmd : "");
		out_adds(o, "'\r\n");
		return;
	}
	sh->used = 1;
	end = sh->out + sh->len;
	for (line = sh->out; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		out_adds(o, "Output: ");
		out_add(o, line, (size_t)(nl - line));
		out_adds(o, "\r\n");
	}
}

/* Returns 1 if case gc recorded asterisk -rx cmd. */
static int
has_command(const struct gcase *gc, const char *cmd)
{
	size_t i;

	for (i = 0; cmd != NULL && i < gc->nsh; i++)
		if (strcmp(gc->sh[i].cmd, cmd) == 0)
			return 1;
	return 0;
}

/* The Response and Message of an action other than Command. */
static const char *
synth_status(const char *a)
{
	if (a == NULL)
		return "Error\r\nMessage: Missing action in request";
	if (strcasecmp(a, "Login") == 0)
		return "Success\r\nMessage: Authentication accepted";
	if (strcasecmp(a, "Logoff") == 0)
		return "Goodbye\r\nMessage: Thanks for all the fish.";
	if (strcasecmp(a, "DBPut") == 0)
		return "Success\r\nMessage: Updated database successfully";
	if (strcasecmp(a, "DBDel") == 0)
		return "Success\r\nMessage: Key deleted successfully";
	if (strcasecmp(a, "DBDelTree") == 0)
		return "Success\r\nMessage: Key tree deleted successfully";
	if (strcasecmp(a, "Command") != 0)
		return "Error\r\nMessage: Invalid/unknown command";
	return NULL;
}

/* (c): the reply to one message of a case without recorded AMI. */
static void
synth_reply(struct gcase *gc, struct out *o, const char *m, size_t n)
{
	char *a = header(m, n, "Action"), *id = header(m, n, "ActionID");
	char *cmd = header(m, n, "Command");
	const char *msg = synth_status(a);

	out_adds(o, "Response: ");
	out_adds(o, msg ? msg : has_command(gc, cmd) ? "Success" : "Error");
	out_adds(o, "\r\n");
	if (id != NULL) {
		out_adds(o, "ActionID: ");
		out_adds(o, id);
		out_adds(o, "\r\n");
	}
	if (msg == NULL) {
		out_adds(o, "Message: Command output follows\r\n");
		synth_command(gc, o, cmd);
	}
	out_adds(o, "\r\n");
	free(a);
	free(id);
	free(cmd);
}

/* Serves a case without a recorded AMI connection: (c). */
static void
synth(struct gcl *g, struct gcase *gc)
{
	struct out o = { 0 };
	size_t len;
	int rc, bye;

	dbl_send_all(g->c.fd, "Asterisk Call Manager/11.0.0\r\n", 30);
	for (;;) {
		while ((len = client_msg(&g->c)) > 0) {
			if (moved_on(g->id))
				return;
			o.len = 0;
			pthread_mutex_lock(&S.lock);
			synth_reply(gc, &o, g->c.buf, len);
			pthread_mutex_unlock(&S.lock);
			bye = strncmp(o.p, "Response: Goodbye", 17) == 0;
			client_drop(&g->c, len);
			if (dbl_send_all(g->c.fd, o.p, o.len) == -1 || bye) {
				free(o.p);
				return;
			}
		}
		if ((rc = gread(g, 20)) == -1 || (rc == 0 && moved_on(g->id)))
			break;
	}
	free(o.p);
}

static void
glog(struct gcl *g, int n)
{
	char path[4096], name[512];
	size_t i;
	FILE *fp;

	if (G.logdir == NULL)
		return;
	for (i = 0; g->id[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] =
		    isalnum((unsigned char)g->id[i]) || strchr("_.-", g->id[i])
		    ? g->id[i]
		    : '_';
	name[i] = '\0';
	snprintf(path, sizeof(path), "%s/%06d-%s-ami.bin", G.logdir, n,
	    i ? name : "none");
	if ((fp = fopen(path, "wb")) != NULL) {
		if (g->seen.len > 0)
			fwrite(g->seen.p, 1, g->seen.len, fp);
		fclose(fp);
	}
}

static void *
gserve(void *arg)
{
	struct gcl *g = arg;
	struct gcase *gc = gcase(g->id);

	if (gc != NULL && (size_t)g->idx < gc->nami)
		replay(g, gc->plan[g->idx], gc->nsteps[g->idx]);
	else if (gc != NULL && gc->nami == 0 && gc->nsh > 0)
		synth(g, gc);
	glog(g, g->c.n);
	close(g->c.fd);
	free(g->c.buf);
	free(g->seen.p);
	free(g);
	return NULL;
}

static void
gaccept(int lfd)
{
	struct gcl *g;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	g = xmalloc(sizeof(*g));
	memset(g, 0, sizeof(*g));
	g->c.fd = fd;
	read_control(NULL, 0);
	pthread_mutex_lock(&S.lock);
	snprintf(g->id, sizeof(g->id), "%s", G.cur);
	g->idx = G.used++;
	g->c.n = ++S.nconn;
	pthread_mutex_unlock(&S.lock);
	if (dbl_spawn(gserve, g) != 0)
		die("pthread_create");
}

/* Runs golden mode until end; the listener follows the case's state. */
void
golden(const char *cases, const char *control, int port, const char *port_file,
    const char *logdir, double end)
{
	struct pollfd p = { .events = POLLIN };
	struct gcase *gc;
	char id[512];
	int lfd = -1, want;

	G.control = control;
	G.logdir = logdir;
	if (logdir != NULL)
		mkdir(logdir, 0755);
	load_cases(cases);
	while (now() < end) {
		read_control(id, sizeof(id));
		gc = gcase(id);
		want = gc == NULL || !gc->down;
		if (want && lfd == -1) {
			lfd = listen_on(port, port_file);
			if (port == 0) {
				struct sockaddr_in sin;
				socklen_t sl = sizeof(sin);
				getsockname(lfd, (struct sockaddr *)&sin, &sl);
				port = ntohs(sin.sin_port);
			}
			port_file = NULL;
		} else if (!want && lfd != -1) {
			close(lfd);
			lfd = -1;
		}
		dbl_ack(control, "ami", id);
		if (lfd == -1) {
			dbl_sleep_ms(20);
			continue;
		}
		p.fd = lfd;
		if (poll(&p, 1, 20) > 0)
			gaccept(lfd);
	}
}
