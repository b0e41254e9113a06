/*
 * The FusionPBX store's file rule (handlers/recordings/fpx.c, included):
 * a row's record_path and record_name become a path below the
 * recordings directory, in the tenant's domain directory when it has
 * one, or nothing.
 */
#include <string.h>

#include "../../handlers/recordings/fpx.c"
#include "arena.h"
#include "tap.h"

static struct arena *A;

/* file_rel below /r (domain dom), or "-1". */
static const char *
rel(const char *dom, const char *path, const char *name)
{
	const char *out;

	return file_rel(A, "/r", dom, path, name, &out) == 0 ? out : "-1";
}

int
main(void)
{
	const char *d = "pbx.example.com";

	A = arena_new();
	is_str(rel(d, "/r/pbx.example.com/archive/2026/Jan/09", "u.wav"),
	    "pbx.example.com/archive/2026/Jan/09/u.wav",
	    "FusionPBX's archive path, in the domain");
	is_str(rel(d, "/r//pbx.example.com/", "u.wav"), "pbx.example.com/u.wav",
	    "slashes normalised");
	is_str(rel(d, "/r/other.example.org/archive", "u.wav"), "-1",
	    "another domain's directory");
	is_str(rel(d, "/r/pbx.example.com.evil/archive", "u.wav"), "-1",
	    "a directory sharing the domain's prefix");
	is_str(rel(d, "/r", "u.wav"), "-1", "the root itself, with a domain");
	is_str(rel(d, "/r/pbx.example.com/../other.example.org", "u.wav"), "-1",
	    "'..' out of the domain");
	is_str(rel(d, "/etc", "passwd"), "-1", "absolute elsewhere");
	is_str(
	    rel(d, "/r/pbx.example.com", "../u.wav"), "-1", "'/' in the name");
	is_str(rel(d, "pbx.example.com/archive", "u.wav"), "-1",
	    "a relative record_path");
	is_str(rel(d, "/r/pbx.example.com/a\tb", "u.wav"), "-1",
	    "a control byte in record_path");
	is_str(rel(NULL, "/r/other.example.org/archive", "u.wav"),
	    "other.example.org/archive/u.wav", "no domain: any below the root");
	is_str(rel(NULL, "/rx/archive", "u.wav"), "-1",
	    "no domain: a sibling of the root");
	arena_free(A);
	return done_testing();
}
