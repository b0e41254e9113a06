/*
 * The settings of the configuration file's global section, as a table
 * (docs/configuration.md has one line per row): a name, a type, where
 * its value lives in struct conf (or struct limit_conf, for limit.*,
 * which a tenant may set too), its bounds and its default.  conf.c
 * parses files against it; adding a setting is adding a row.
 */
#ifndef PBXAPI_SETTINGS_H
#define PBXAPI_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

struct arena;

enum stype { S_STR, S_INT, S_DUR, S_SIZE, S_OCTAL, S_ENUM, S_RATE };

struct setting {
	const char *name;
	enum stype type;
	size_t off;
	long min, max;
	const char *def;
	const char *const *enums;
};

extern const struct setting settings[]; /* offsets in struct conf */
extern const size_t nsettings;
extern const struct setting limit_settings[]; /* in struct limit_conf */
extern const size_t nlimit_settings;

/* The events modes, in the order of conf.h's enum events_mode. */
extern const char *const events_modes[];

/* The row of tab (n rows) named name, or NULL. */
const struct setting *setting_find(
    const struct setting *tab, size_t n, const char *name);

/*
 * Parses v as s's type into the struct at base (strings are copied into
 * a).  Returns 0, or -1 with the reason, naming the setting, in err.
 */
int setting_set(const struct setting *s, const char *v, void *base,
    struct arena *a, char *err, size_t errlen);

/* Writes "name = value" of s's value in the struct at base. */
void setting_dump(const struct setting *s, const void *base, FILE *fp);

#endif
