/*
 * Scoreboard: one slot per worker in a shared anonymous mapping made by
 * the master before it forks.  A worker writes only its own slot (C11
 * atomics, strings under a per-slot sequence lock); the master reads all
 * slots for timeouts and spare-server counts, and the status page reads
 * them from inside a worker.
 */
#ifndef PBXAPI_SCOREBOARD_H
#define PBXAPI_SCOREBOARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

enum sb_role { SB_POOL, SB_STATUS, SB_COMPANION };

#define SB_BACKENDS 8 /* backend kinds, at least BK__MAX */

enum sb_state {
	SB_FREE,
	SB_STARTING,
	SB_IDLE,
	SB_READING,
	SB_RUNNING,
	SB_FINISHING,
	SB_ENDING,
};

struct sb_slot {
	_Atomic int pid;
	_Atomic int state;
	_Atomic int role; /* SB_POOL, SB_STATUS (pm.status_listen's), or
			   SB_COMPANION (the event companion) */
	_Atomic unsigned gen;
	_Atomic unsigned lock;	     /* odd while the strings change */
	_Atomic uint64_t spawned;    /* wall clock, seconds */
	_Atomic uint64_t started_us; /* monotonic start of the request */
	_Atomic uint64_t seq;	     /* requests begun */
	_Atomic uint64_t requests;   /* requests finished */
	_Atomic uint64_t last_us;    /* duration of the last request */
	_Atomic uint64_t last_cpu_us;
	_Atomic uint64_t last_mem;
	_Atomic int64_t clen;
	char id[LIM_SB_ID]; /* the request id */
	char method[8];
	char uri[LIM_SB_URI];
	char dialect[16];
	char tenant[LIM_SB_STR];
	char cmd[LIM_SB_STR];
	char op[LIM_SB_STR];
	/*
	 * The request's backend operations per kind (enum bk in metrics.h):
	 * how many ended and their time; bk_cur is the kind of the one
	 * running since bk_since (0: none).  The slow log's breakdown.
	 */
	_Atomic uint32_t bk_ops[SB_BACKENDS];
	_Atomic uint64_t bk_us[SB_BACKENDS];
	_Atomic int bk_cur;
	_Atomic uint64_t bk_since;
};

struct sb_pool {
	_Atomic uint64_t start;	   /* wall clock, seconds */
	_Atomic uint64_t accepted; /* requests accepted by all workers */
	_Atomic uint64_t slow;	   /* requests that hit the slow log */
	_Atomic uint64_t terminated;
	_Atomic uint64_t max_active;
	_Atomic uint64_t max_children_reached;
	_Atomic uint64_t spawned;   /* workers forked */
	_Atomic uint64_t crashed;   /* workers that died unasked */
	_Atomic uint64_t timed_out; /* ended by request_terminate_timeout */
	_Atomic uint64_t reloads;   /* configurations reloaded */
	_Atomic unsigned gen;	    /* current generation */
	_Atomic int pm;		    /* 0 static, 1 dynamic, 2 single */
};

/* A consistent copy of a slot's fields, for readers. */
struct sb_view {
	int pid, state, role;
	unsigned gen;
	uint64_t spawned, started_us, seq, requests, last_us, last_cpu_us;
	uint64_t last_mem;
	int64_t clen;
	char id[LIM_SB_ID], method[8], uri[LIM_SB_URI], dialect[16];
	char tenant[LIM_SB_STR], cmd[LIM_SB_STR], op[LIM_SB_STR];
	uint32_t bk_ops[SB_BACKENDS];
	uint64_t bk_us[SB_BACKENDS];
	int bk_cur;
	uint64_t bk_since;
};

#define SB_SLOTS (2 * LIM_WORKERS)

/* Maps the scoreboard (master, once).  Returns 0 or -1. */
int sb_create(void);

/* Returns the pool counters or a slot (NULL when not mapped). */
struct sb_pool *sb_pool(void);
struct sb_slot *sb_slot(size_t i);

/* Master: claims a free slot for a worker about to be forked, or -1. */
int sb_claim(unsigned gen, enum sb_role role);

/* Master: frees a slot after its worker was reaped. */
void sb_release(size_t i);

/* Worker: from now on the sb_self_* calls write slot i. */
void sb_attach(size_t i);

void sb_self_state(enum sb_state s);
void sb_self_begin(void);
void sb_self_id(const char *id);
void sb_self_request(const char *method, const char *uri, const char *dialect);
void sb_self_cmd(const char *tenant, const char *cmd);
void sb_self_op(const char *op);
/*
 * Counts an ended backend operation of kind done (0: none) that took us
 * microseconds, and notes that one of kind next (0: none) runs since.
 */
void sb_self_backend(int done, uint64_t us, int next, uint64_t since);
void sb_self_end(uint64_t dur_us, uint64_t cpu_us, uint64_t mem);
/* A connection ended without a request being answered. */
void sb_self_cancel(void);

/* Copies slot i consistently into v. */
void sb_view(size_t i, struct sb_view *v);

/* Returns the name php-fpm uses for a state ("Idle", "Running" ...). */
const char *sb_state_name(int state);

#endif
