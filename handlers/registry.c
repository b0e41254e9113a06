/*
 * The registry: which path serves which dialect, and the command
 * families (one handlers/ file each) the dispatcher searches.
 */
#include <stddef.h>

#include "conf.h"
#include "dispatch.h"

extern const struct dialect elastix_dialect;
extern const struct dialect status_dialect;
extern const struct dialect fusionpbx_dialect;

extern const struct family system_family;
extern const struct family status_family;
extern const struct family recordings_family;
extern const struct family ari_family;
extern const struct family ami_family;
extern const struct family pbxinfo_family;
extern const struct family cdr_family;
extern const struct family extension_family;
extern const struct family followme_family;
extern const struct family queues_db_family;
extern const struct family fusionpbx_read_family;
extern const struct family fusionpbx_create_family;
extern const struct family fusionpbx_call_family;

const struct route routes[] = {
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, status_path),
	    .dialect = &status_dialect },
	{ .path = NULL,
	    .conf_off = offsetof(struct conf, ping_path),
	    .dialect = &status_dialect },
	{ .path = "/api/api.php", .dialect = &elastix_dialect },
	{ .path = "/app/rest_api/rest.php", .dialect = &fusionpbx_dialect },
	{ .dialect = NULL },
};

const struct family *const families[] = {
	&system_family,
	&status_family,
	&pbxinfo_family,
	&ari_family,
	&ami_family,
	&recordings_family,
	&cdr_family,
	&extension_family,
	&followme_family,
	&queues_db_family,
	&fusionpbx_read_family,
	&fusionpbx_create_family,
	&fusionpbx_call_family,
	NULL,
};
