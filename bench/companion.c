/*
 * The cost of asking the event companion (docs/PERFORMANCE.md): a
 * companion's local interface served on a thread of this process over a
 * unix socket, a tenant holding N channels (default 100), and a client
 * (fcgi/companion/client.c, what a worker runs) asking "channels acme"
 * again and again.  Prints the round trip's mean and percentiles in µs.
 * VERB=ping asks "ping" instead (the transport alone).  With
 * COMPANION_SOCKET=path it serves nothing and asks VERB of the companion
 * listening there (a running pool's, e.g. VERB="wcs.find default -"),
 * the round trip a worker makes, measured without a worker.
 *
 *   make build/bench/companion
 *   build/bench/companion [channels [requests]]
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "client.h"
#include "companion.h"
#include "conf.h"
#include "local.h"
#include "phpin.h"
#include "pv.h"
#include "state.h"

static struct companion cmp;

static void *
serve(void *arg)
{
	local_serve(&cmp, *(int *)arg, -1);
	return NULL;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A channel like the ones a PBX holds (names, caller ids, an app). */
static void
fill(struct st_tenant *st, int n)
{
	char id[32], name[64], num[16];
	struct ev e;
	int i;

	st_begin_sync(st);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "1796000000.%d", i);
		snprintf(name, sizeof(name), "PJSIP/%d-%08x", 200 + i % 50, i);
		snprintf(num, sizeof(num), "55501%02d", i % 100);
		memset(&e, 0, sizeof(e));
		e.type = EV_CREATED;
		e.chan = (struct ev_chan){ .id = id,
			.name = name,
			.state = ST_UP,
			.caller_num = num,
			.caller_name = "Bench",
			.connected_num = "600",
			.connected_name = "Queue",
			.accountcode = "",
			.context = "from-internal",
			.exten = "600",
			.priority = 2,
			.app = "Dial",
			.app_data = "PJSIP/600,30,tT",
			.linkedid = id,
			.bridge = "",
			.language = "en" };
		st_apply(st, &e);
	}
	st_end_sync(st);
}

/*
 * For comparison: the reply decoded into PHP values (json_decode_pv),
 * which handlers/elastix/live.c avoids by reading it with yajl's
 * callbacks straight into the fields it needs.
 */
static void
decode(const char *body, size_t len)
{
	static const struct in_limits lim = { .params_max = 1 << 22,
		.name_max = 64,
		.value_max = 1 << 20,
		.nest_max = 8 };
	struct arena *a;
	struct pv *doc;
	char err[128];
	uint64_t t0 = now_ns();
	int k;

	for (k = 0; k < 1000; k++) {
		a = arena_new();
		if (json_decode_pv(
			a, body, len, &lim, &doc, err, sizeof(err)) != E_OK) {
			fprintf(stderr, "decode: %s\n", err);
			exit(1);
		}
		arena_free(a);
	}
	printf("json_decode_pv of the reply (not used): %.1f us\n",
	    (double)(now_ns() - t0) / 1000 / 1000.0);
}

/*
 * Asks verb n times, one after the other, as a worker does (a request
 * arena each); prints the round trip's mean and percentiles (nch: the
 * channels served here, or -1: a running companion's).  Returns 0,
 * or 1 when an answer failed.
 */
static int
ask_n(const struct conf *conf, const char *verb, int nch, int n)
{
	struct arena *a = arena_new();
	uint64_t *lat, t0, sum = 0;
	const char *body;
	char why[256];
	size_t len = 0;
	int i;

	if ((lat = calloc((size_t)n, sizeof(*lat))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (companion_ask(
			conf, a, verb, &body, &len, why, sizeof(why)) != E_OK) {
			fprintf(stderr, "ask: %s\n", why);
			return 1;
		}
		lat[i] = now_ns() - t0;
		sum += lat[i];
		/* A worker frees its request arena after each request. */
		arena_free(a);
		a = arena_new();
	}
	arena_free(a);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	if (nch >= 0)
		printf("channels %d, ", nch);
	else
		printf("'%s', ", verb);
	printf("reply %zu bytes, %d requests: mean %.1f us, "
	       "p50 %.1f us, p99 %.1f us\n",
	    len, n, (double)sum / n / 1000.0, (double)lat[n / 2] / 1000.0,
	    (double)lat[n * 99 / 100] / 1000.0);
	free(lat);
	return 0;
}

int
main(int argc, char *argv[])
{
	int nch = argc > 1 ? atoi(argv[1]) : 100;
	int n = argc > 2 ? atoi(argv[2]) : 20000, lfd;
	static struct tenant t = { .name = "acme" };
	static struct conf conf = { .companion_ms = 1000 };
	static struct cmp_src src;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *verb = getenv("VERB") ? getenv("VERB") : "channels acme";
	struct arena *a;
	const char *body;
	pthread_t th;
	char why[256];
	size_t len = 0;
	uint64_t t0;

	if (getenv("COMPANION_SOCKET") != NULL) {
		conf.companion_socket = getenv("COMPANION_SOCKET");
		return ask_n(&conf, verb, -1, n);
	}
	a = arena_new();
	snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "/tmp/pbxapi-bench-companion.%ld", (long)getpid());
	conf.companion_socket = sun.sun_path;
	src = (struct cmp_src){ .t = &t, .backend = "ami", .cmp = &cmp };
	src.st = st_new("acme", "ami", 10000, 1000);
	cmp = (struct companion){ .conf = &conf, .src = &src, .nsrc = 1 };
	fill(src.st, nch);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(sun.sun_path);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(lfd, 16)) {
		perror("listen");
		return 1;
	}
	pthread_create(&th, NULL, serve, &lfd);
	{
		/* The reply's making alone, for comparison. */
		struct buf b;
		int k;

		buf_init(&b, 64 * 1024 * 1024);
		t0 = now_ns();
		for (k = 0; k < 1000; k++) {
			buf_clear(&b);
			st_channels_json(src.st, &b);
		}
		printf("render only: %.1f us\n",
		    (double)(now_ns() - t0) / 1000 / 1000.0);
		buf_free(&b);
	}
	if (ask_n(&conf, verb, nch, n) != 0)
		return 1;
	if (strncmp(verb, "channels", 8) == 0 &&
	    companion_ask(&conf, a, verb, &body, &len, why, sizeof(why)) ==
		E_OK)
		decode(body, len);
	arena_free(a);
	atomic_store(&cmp.stop, 1);
	pthread_join(th, NULL);
	unlink(sun.sun_path);
	return 0;
}
