/*
 * Named limits.  Every growable buffer and every loop over untrusted input
 * is bounded by one of these; the ones an operator may change are defaults
 * of settings in conf.c, with these as their bounds.
 */
#ifndef PBXAPI_LIMITS_H
#define PBXAPI_LIMITS_H

#define LIM_BODY_DEFAULT   (1024 * 1024)      /* body_max default */
#define LIM_BODY_CEILING   (64 * 1024 * 1024) /* body_max maximum */
#define LIM_BODY_DRAIN	   (16 * 1024 * 1024) /* unread body drained */
#define LIM_QUERY_MAX	   8192		      /* QUERY_STRING bytes */
#define LIM_PARAMS_DEFAULT 256		      /* params_max default */
#define LIM_PARAMS_CEILING 10000	      /* params_max maximum */
#define LIM_NAME_MAX	   256		      /* parameter name bytes */
#define LIM_VALUE_DEFAULT  65536	      /* value_max default */
#define LIM_NEST_MAX	   64		      /* x[a][b]... and JSON depth */
#define LIM_JSON_STACK	   512		      /* JSON depth ceiling */
#define LIM_REPLY_MAX	   (64 * 1024 * 1024) /* buffered reply body */
#define LIM_REPLY_HEADERS  16		      /* extra reply headers */
#define LIM_HEADER_VALUE   1024		      /* one reply header value */
#define LIM_CONF_LINE	   4096		      /* config file line */
#define LIM_CONF_FILE	   (1024 * 1024)      /* config or .env file */
#define LIM_TENANTS	   1024		      /* tenants per config */
#define LIM_TOKENS	   4096		      /* tokens per config */
#define LIM_TENANT_NAME	   64		      /* tenant name bytes */
#define LIM_WORKERS	   1024		      /* max_children maximum */
#define LIM_SB_STR	   32		      /* scoreboard string fields */
#define LIM_SB_URI	   128		      /* scoreboard request URI */
#define LIM_SB_ID	   40		      /* request id (struct req's) */
#define LIM_METRICS_TEXT   (8 * 1024 * 1024)  /* /metrics reply */
#define LIM_LOG_LINE	   2048		      /* one log line */
#define LIM_ERRMSG	   512		      /* public error message */
#define LIM_INI_FILE	   (4 * 1024 * 1024)  /* ini file read */
#define LIM_ARENA_CHUNK	   (16 * 1024)	      /* arena chunk size */
#define LIM_RANGES	   16		      /* byte ranges of one Range */
#define LIM_RATE_MAX	   1000000	      /* a rate's N and burst */
#define LIM_ORIG_CONC	   256		      /* originate_concurrent max */
#define LIM_RL_KEYS	   16384	      /* per-host buckets (tokens...) */
#define LIM_RL_KEY	   112		      /* a bucket's key bytes */
#define LIM_EV_CHANNELS	   10000	      /* channels kept per tenant */
#define LIM_EV_PEERS	   10000   /* peers, queue members per tenant */
#define LIM_EV_JOURNAL	   100000  /* events.journal maximum */
#define LIM_PUB_QUEUE	   1000000 /* events.publish_queue maximum */
#define LIM_EV_STR	   256	   /* a kept event string's bytes */
#define LIM_EV_EP_TEXT	   (4 * 1024 * 1024)  /* an endpoint listing */
#define LIM_EV_EP_BLOCK	   8192		      /* one endpoint's listed block */
#define LIM_EV_ENDPOINTS   10000	      /* endpoints in a listing */
#define LIM_EV_EP_REDO	   (64 * 1024)	      /* edits kept while it is read */
#define LIM_SUN_PATH	   108		      /* sockaddr_un's sun_path */
#define LIM_LOCAL_LINE	   2048		      /* a local interface request */
#define LIM_LOCAL_REPLY	   (32 * 1024 * 1024) /* a local interface reply */
#define LIM_LOCAL_CONNS \
	(2 * LIM_WORKERS) /* local clients: a worker of each slot */

#endif
