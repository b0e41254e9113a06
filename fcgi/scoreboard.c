/*
 * Scoreboard (see scoreboard.h).
 */
#include <sys/mman.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scoreboard.h"

struct sb {
	struct sb_pool pool;
	struct sb_slot slots[SB_SLOTS];
};

static struct sb *sb;
static struct sb_slot *self;

int
sb_create(void)
{
	void *p;

	if (sb != NULL)
		return 0;
	p = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb = p;
	atomic_store(&sb->pool.start, (uint64_t)time(NULL));
	return 0;
}

struct sb_pool *
sb_pool(void)
{
	return sb ? &sb->pool : NULL;
}

struct sb_slot *
sb_slot(size_t i)
{
	return sb && i < SB_SLOTS ? &sb->slots[i] : NULL;
}

int
sb_claim(unsigned gen, enum sb_role role)
{
	struct sb_slot *s;
	size_t i;

	for (i = 0; i < SB_SLOTS; i++) {
		s = &sb->slots[i];
		if (atomic_load(&s->state) != SB_FREE)
			continue;
		memset(s, 0, sizeof(*s));
		atomic_store(&s->state, SB_STARTING);
		atomic_store(&s->gen, gen);
		atomic_store(&s->role, (int)role);
		atomic_store(&s->spawned, (uint64_t)time(NULL));
		return (int)i;
	}
	return -1;
}

void
sb_release(size_t i)
{
	if (sb != NULL && i < SB_SLOTS) {
		atomic_store(&sb->slots[i].pid, 0);
		atomic_store(&sb->slots[i].state, SB_FREE);
	}
}

void
sb_attach(size_t i)
{
	self = sb_slot(i);
}

void
sb_self_state(enum sb_state s)
{
	if (self != NULL)
		atomic_store(&self->state, s);
}

/* Sequence lock around the string fields. */
static void
wlock(void)
{
	atomic_fetch_add_explicit(&self->lock, 1, memory_order_acq_rel);
	atomic_thread_fence(memory_order_release);
}

static void
wunlock(void)
{
	atomic_thread_fence(memory_order_release);
	atomic_fetch_add_explicit(&self->lock, 1, memory_order_acq_rel);
}

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void
sb_self_begin(void)
{
	struct timespec ts;
	size_t i;

	if (self == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	wlock();
	self->id[0] = self->method[0] = self->uri[0] = self->dialect[0] = '\0';
	self->tenant[0] = self->cmd[0] = self->op[0] = '\0';
	wunlock();
	atomic_store(&self->clen, 0);
	for (i = 0; i < SB_BACKENDS; i++) {
		atomic_store(&self->bk_ops[i], 0);
		atomic_store(&self->bk_us[i], 0);
	}
	atomic_store(&self->bk_cur, 0);
	atomic_fetch_add(&self->seq, 1);
	atomic_store(&self->started_us,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	atomic_store(&self->state, SB_READING);
	atomic_fetch_add(&sb->pool.accepted, 1);
}

void
sb_self_id(const char *id)
{
	if (self == NULL)
		return;
	wlock();
	copy(self->id, sizeof(self->id), id);
	wunlock();
}

void
sb_self_request(const char *method, const char *uri, const char *dialect)
{
	if (self == NULL)
		return;
	wlock();
	copy(self->method, sizeof(self->method), method);
	copy(self->uri, sizeof(self->uri), uri);
	copy(self->dialect, sizeof(self->dialect), dialect);
	wunlock();
	atomic_store(&self->state, SB_RUNNING);
}

void
sb_self_cmd(const char *tenant, const char *cmd)
{
	if (self == NULL)
		return;
	wlock();
	copy(self->tenant, sizeof(self->tenant), tenant);
	copy(self->cmd, sizeof(self->cmd), cmd);
	wunlock();
}

void
sb_self_op(const char *op)
{
	if (self == NULL)
		return;
	wlock();
	copy(self->op, sizeof(self->op), op);
	wunlock();
}

void
sb_self_backend(int done, uint64_t us, int next, uint64_t since)
{
	if (self == NULL)
		return;
	if (done > 0 && done < SB_BACKENDS) {
		atomic_fetch_add(&self->bk_us[done], us);
		atomic_fetch_add(&self->bk_ops[done], 1);
	}
	if (next > 0 && next < SB_BACKENDS)
		atomic_store(&self->bk_since, since);
	atomic_store(&self->bk_cur, next > 0 && next < SB_BACKENDS ? next : 0);
}

void
sb_self_end(uint64_t dur_us, uint64_t cpu_us, uint64_t mem)
{
	if (self == NULL)
		return;
	atomic_store(&self->last_us, dur_us);
	atomic_store(&self->last_cpu_us, cpu_us);
	atomic_store(&self->last_mem, mem);
	atomic_store(&self->started_us, 0);
	atomic_fetch_add(&self->requests, 1);
	atomic_store(&self->state, SB_IDLE);
}

void
sb_self_cancel(void)
{
	if (self == NULL)
		return;
	atomic_store(&self->started_us, 0);
	atomic_store(&self->state, SB_IDLE);
}

void
sb_view(size_t i, struct sb_view *v)
{
	struct sb_slot *s = sb_slot(i);
	unsigned before, tries = 0;
	size_t k;

	memset(v, 0, sizeof(*v));
	if (s == NULL)
		return;
	v->pid = atomic_load(&s->pid);
	v->state = atomic_load(&s->state);
	v->role = atomic_load(&s->role);
	v->gen = atomic_load(&s->gen);
	v->spawned = atomic_load(&s->spawned);
	v->started_us = atomic_load(&s->started_us);
	v->seq = atomic_load(&s->seq);
	v->requests = atomic_load(&s->requests);
	v->last_us = atomic_load(&s->last_us);
	v->last_cpu_us = atomic_load(&s->last_cpu_us);
	v->last_mem = atomic_load(&s->last_mem);
	v->clen = atomic_load(&s->clen);
	for (k = 0; k < SB_BACKENDS; k++) {
		v->bk_ops[k] = atomic_load(&s->bk_ops[k]);
		v->bk_us[k] = atomic_load(&s->bk_us[k]);
	}
	v->bk_cur = atomic_load(&s->bk_cur);
	v->bk_since = atomic_load(&s->bk_since);
	do {
		before = atomic_load_explicit(&s->lock, memory_order_acquire);
		if (before & 1)
			continue;
		memcpy(v->id, s->id, sizeof(v->id));
		memcpy(v->method, s->method, sizeof(v->method));
		memcpy(v->uri, s->uri, sizeof(v->uri));
		memcpy(v->dialect, s->dialect, sizeof(v->dialect));
		memcpy(v->tenant, s->tenant, sizeof(v->tenant));
		memcpy(v->cmd, s->cmd, sizeof(v->cmd));
		memcpy(v->op, s->op, sizeof(v->op));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load(&s->lock) == before)
			break;
	} while (++tries < 100);
	v->id[sizeof(v->id) - 1] = '\0';
	v->method[sizeof(v->method) - 1] = v->uri[sizeof(v->uri) - 1] = '\0';
	v->dialect[sizeof(v->dialect) - 1] = '\0';
	v->tenant[sizeof(v->tenant) - 1] = v->cmd[sizeof(v->cmd) - 1] = '\0';
	v->op[sizeof(v->op) - 1] = '\0';
}

const char *
sb_state_name(int state)
{
	switch (state) {
	case SB_STARTING:
		return "Starting";
	case SB_IDLE:
		return "Idle";
	case SB_READING:
		return "Reading headers";
	case SB_RUNNING:
		return "Running";
	case SB_FINISHING:
		return "Finishing";
	case SB_ENDING:
		return "Ending";
	default:
		return "Free";
	}
}
