/*
 * dbload: the database-alone ceiling for the cdrreport benchmark.  Opens
 * N connections to MariaDB on a unix socket (one thread each) and runs
 * one statement on each, as fast as the server answers, for S seconds,
 * the way pbxapi's driver runs it (drivers/mysql.c): mysql_stmt_init,
 * mysql_stmt_prepare, the parameters bound, mysql_stmt_execute, every
 * row fetched with every column as text, mysql_stmt_close.  Every run
 * is timed; prints one line:
 *
 *   rps=R p50_ms=A p99_ms=B runs=N errors=E
 *
 *   dbload SOCKET USER PASSWORD DB CONNECTIONS SECONDS SQL [PARAM...]
 *
 * A PARAM is i:NUMBER (bound as MYSQL_TYPE_LONGLONG) or s:TEXT (bound as
 * MYSQL_TYPE_STRING), as pbxapi binds its integers and strings.  The
 * session character set is utf8mb4 (pbxapi's default DB_CHARSET).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#define THREADS_MAX 256
#define PARAMS_MAX  16
#define COLBUF_MIN  64	  /* as drivers/mysql.c */
#define COLBUF_MAX  65536 /* larger values are fetched in a 2nd step */

struct worker {
	pthread_t th;
	MYSQL *h;
	uint32_t *us; /* the time of every run, in microseconds */
	size_t n, cap;
	unsigned long errors;
};

static const char *sock, *user, *password, *dbname, *sql;
static MYSQL_BIND params[PARAMS_MAX];
static long long ints[PARAMS_MAX];
static unsigned long lens[PARAMS_MAX];
static unsigned int nparams;
static pthread_barrier_t ready;
static _Atomic int stop;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Parses i:NUMBER or s:TEXT into parameter i.  Returns 0, or -1. */
static int
param(unsigned int i, const char *arg)
{
	char *end;

	memset(&params[i], 0, sizeof(params[i]));
	if (strncmp(arg, "i:", 2) == 0) {
		errno = 0;
		ints[i] = strtoll(arg + 2, &end, 10);
		if (errno != 0 || end == arg + 2 || *end != '\0')
			return -1;
		params[i].buffer_type = MYSQL_TYPE_LONGLONG;
		params[i].buffer = &ints[i];
		return 0;
	}
	if (strncmp(arg, "s:", 2) == 0) {
		lens[i] = (unsigned long)strlen(arg + 2);
		params[i].buffer_type = MYSQL_TYPE_STRING;
		params[i].buffer = (void *)(uintptr_t)(arg + 2);
		params[i].buffer_length = lens[i];
		params[i].length = &lens[i];
		return 0;
	}
	return -1;
}

/* Fetches every row of the executed stmt as text.  Returns 0, or -1. */
static int
fetch_all(MYSQL_STMT *stmt)
{
	MYSQL_BIND *b = NULL, big;
	MYSQL_RES *meta;
	MYSQL_FIELD *f;
	unsigned long *len = NULL, got;
	my_bool *null = NULL, *trunc = NULL;
	char **buf = NULL, *tmp = NULL;
	size_t i, n, cap;
	int rc = -1, r;

	if ((meta = mysql_stmt_result_metadata(stmt)) == NULL)
		return mysql_stmt_errno(stmt) != 0 ? -1 : 0;
	n = mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	b = calloc(n + 1, sizeof(*b));
	len = calloc(n + 1, sizeof(*len));
	null = calloc(n + 1, sizeof(*null));
	trunc = calloc(n + 1, sizeof(*trunc));
	buf = calloc(n + 1, sizeof(*buf));
	if (b == NULL || len == NULL || null == NULL || trunc == NULL ||
	    buf == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		cap = f[i].length < COLBUF_MIN ? COLBUF_MIN
		    : f[i].length > COLBUF_MAX ? COLBUF_MAX
					       : f[i].length;
		if ((buf[i] = malloc(cap + 1)) == NULL)
			goto out;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = buf[i];
		b[i].buffer_length = cap;
		b[i].length = &len[i];
		b[i].is_null = &null[i];
		b[i].error = &trunc[i];
	}
	if (mysql_stmt_bind_result(stmt, b) != 0)
		goto out;
	while ((r = mysql_stmt_fetch(stmt)) != MYSQL_NO_DATA) {
		if (r == 1)
			goto out;
		for (i = 0; i < n; i++) {
			if (null[i] || !trunc[i])
				continue;
			free(tmp);
			if ((tmp = malloc(len[i] + 1)) == NULL)
				goto out;
			memset(&big, 0, sizeof(big));
			big.buffer_type = MYSQL_TYPE_STRING;
			big.buffer = tmp;
			big.buffer_length = len[i];
			big.length = &got;
			if (mysql_stmt_fetch_column(stmt, &big, (unsigned)i, 0))
				goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; buf != NULL && i < n; i++)
		free(buf[i]);
	free(tmp);
	free(buf);
	free(trunc);
	free(null);
	free(len);
	free(b);
	mysql_free_result(meta);
	return rc;
}

/*
 * One run of the statement on w's connection.  Returns 0, or the error's
 * code (the first error of each connection is printed).
 */
static unsigned int
run_once(struct worker *w)
{
	MYSQL_STMT *stmt;
	unsigned int code = 0;

	if ((stmt = mysql_stmt_init(w->h)) == NULL)
		return CR_OUT_OF_MEMORY;
	if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0 ||
	    mysql_stmt_param_count(stmt) != nparams ||
	    (nparams > 0 && mysql_stmt_bind_param(stmt, params) != 0) ||
	    mysql_stmt_execute(stmt) != 0 || fetch_all(stmt) != 0) {
		code = mysql_stmt_errno(stmt);
		if (code == 0) /* placeholders not as given, or no memory */
			code = ER_WRONG_ARGUMENTS;
		if (w->errors == 0)
			fprintf(stderr, "dbload: %u %s\n", code,
			    mysql_stmt_error(stmt));
	}
	mysql_stmt_close(stmt);
	return code;
}

static int
record(struct worker *w, uint64_t us)
{
	uint32_t *p;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 4096;
		if ((p = realloc(w->us, w->cap * sizeof(*p))) == NULL)
			return -1;
		w->us = p;
	}
	w->us[w->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	unsigned int code;
	uint64_t t0;

	mysql_thread_init();
	pthread_barrier_wait(&ready);
	while (!atomic_load(&stop)) {
		t0 = now_us();
		if ((code = run_once(w)) != 0) {
			w->errors++;
			if (code >= CR_MIN_ERROR && code <= CR_MAX_ERROR)
				break; /* the connection is unusable */
			continue;
		}
		if (record(w, now_us() - t0) != 0)
			break;
	}
	mysql_thread_end();
	return NULL;
}

static MYSQL *
dial(void)
{
	unsigned int proto = MYSQL_PROTOCOL_SOCKET;
	MYSQL *h;

	if ((h = mysql_init(NULL)) == NULL)
		return NULL;
	mysql_optionsv(h, MYSQL_OPT_PROTOCOL, &proto);
	mysql_optionsv(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(
		h, "localhost", user, password, dbname, 0, sock, 0) == NULL) {
		fprintf(stderr, "dbload: %s\n", mysql_error(h));
		mysql_close(h);
		return NULL;
	}
	return h;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Prints the line of results of the n workers over secs seconds. */
static int
report(struct worker *w, int n, double secs)
{
	unsigned long errors = 0;
	uint32_t *all;
	size_t total = 0, k = 0, i;
	int j;

	for (j = 0; j < n; j++) {
		total += w[j].n;
		errors += w[j].errors;
	}
	if ((all = malloc((total + 1) * sizeof(*all))) == NULL)
		return 1;
	for (j = 0; j < n; j++)
		for (i = 0; i < w[j].n; i++)
			all[k++] = w[j].us[i];
	qsort(all, total, sizeof(*all), cmp_u32);
	printf("rps=%.1f p50_ms=%.3f p99_ms=%.3f runs=%zu errors=%lu\n",
	    secs > 0 ? (double)total / secs : 0.0,
	    total ? all[total / 2] / 1000.0 : 0.0,
	    total ? all[(total * 99 + 99) / 100 - 1] / 1000.0 : 0.0, total,
	    errors);
	free(all);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct worker w[THREADS_MAX];
	uint64_t t0;
	int n, seconds, i, rc;

	if (argc < 8 || argc - 8 > PARAMS_MAX) {
		fprintf(stderr,
		    "usage: dbload socket user password db connections "
		    "seconds sql [i:NUMBER | s:TEXT ...]\n");
		return 2;
	}
	sock = argv[1];
	user = argv[2];
	password = argv[3];
	dbname = argv[4];
	n = (int)strtol(argv[5], NULL, 10);
	seconds = (int)strtol(argv[6], NULL, 10);
	sql = argv[7];
	if (n < 1 || n > THREADS_MAX || seconds < 1)
		return 2;
	for (i = 8; i < argc; i++)
		if (param(nparams++, argv[i]) != 0) {
			fprintf(
			    stderr, "dbload: bad parameter '%s'\n", argv[i]);
			return 2;
		}
	if (mysql_library_init(0, NULL, NULL) != 0)
		return 1;
	for (i = 0; i < n; i++)
		if ((w[i].h = dial()) == NULL)
			return 1;
	pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
	for (i = 0; i < n; i++)
		pthread_create(&w[i].th, NULL, work, &w[i]);
	pthread_barrier_wait(&ready);
	t0 = now_us();
	sleep((unsigned)seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	rc = report(w, n, (double)(now_us() - t0) / 1e6);
	for (i = 0; i < n; i++) {
		mysql_close(w[i].h);
		free(w[i].us);
	}
	mysql_library_end();
	return rc;
}
