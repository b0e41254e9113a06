/*
 * The record stores' helpers (handlers/recordings/store.c) and the
 * Asterisk store's file rule (handlers/recordings/cdr.c, included): a
 * recordingfile from the database becomes a path below the monitor
 * directory, or nothing, whatever the row holds.
 */
#include <string.h>
#include <unistd.h>

#include "../../handlers/recordings/cdr.c"
#include "arena.h"
#include "rec_store.h"
#include "tap.h"
#include "testlib.h"

static struct arena *A;

/* rec_path_below(root, dir, name), or "-1". */
static const char *
below(const char *root, const char *dir, const char *name)
{
	const char *rel;

	return rec_path_below(A, root, dir, name, &rel) == 0 ? rel : "-1";
}

static void
paths(void)
{
	is_str(below("/r", "/r/a/b", "x.wav"), "a/b/x.wav", "below the root");
	is_str(below("/r", "/r", "x.wav"), "x.wav", "in the root");
	is_str(below("/r/", "//r//a///b/", "x.wav"), "a/b/x.wav",
	    "repeated and trailing slashes are ignored");
	is_str(below("/", "/a", "x.wav"), "a/x.wav", "root /");
	is_str(below("/", "/", "x.wav"), "x.wav", "root /, file in it");
	is_str(below("/r", "/r/../etc", "passwd"), "-1", "'..' in dir");
	is_str(below("/r", "/r/./a", "x"), "-1", "'.' in dir");
	is_str(below("/r/../r", "/r/a", "x"), "-1", "'..' in root");
	is_str(below("/r", "/etc", "passwd"), "-1", "elsewhere");
	is_str(below("/r", "/rx/a", "x"), "-1", "a sibling sharing the prefix");
	is_str(below("/r/a", "/r", "x"), "-1", "above the root");
	is_str(below("/r", "r/a", "x"), "-1", "a relative dir");
	is_str(below("r", "/r/a", "x"), "-1", "a relative root");
	is_str(below("/r", "", "x"), "-1", "an empty dir");
	is_str(below("/r", "/r/a\nb", "x"), "-1", "LF in dir");
	is_str(below("/r", "/r/a", "x\r.wav"), "-1", "CR in name");
	is_str(below("/r", "/r/a", "x\x7f"), "-1", "DEL in name");
	is_str(below("/r", "/r/a", "a/b"), "-1", "'/' in name");
	is_str(below("/r", "/r/a", ".."), "-1", "name '..'");
	is_str(below("/r", "/r/a", "."), "-1", "name '.'");
	is_str(below("/r", "/r/a", ""), "-1", "empty name");
	is_str(below("/r", "/r/a", "..x.wav"), "a/..x.wav",
	    "a name that starts with '..' is a name");
	is_str(below("/r", "/r/\xc3\xa9t\xc3\xa9", "x"), "\xc3\xa9t\xc3\xa9/x",
	    "UTF-8 is kept");
}

static void
helpers(void)
{
	const char *a, *b;

	is_str(rec_like(A, "a_b%c!d\\", 1), "a!_b%c!!d\\",
	    "LIKE for '!': _ and ! escaped, % kept");
	is_str(rec_like(A, "a_b%c\\", 0), "a!_b!%c\\",
	    "LIKE of itself: % escaped too, backslash plain");
	is_str(rec_pos_join(A, "2026-01-09 10:00:00", "1768000000.1"),
	    "2026-01-09 10:00:00 1768000000.1", "a position joined");
	ok(rec_pos_split(A, "2026-01-09 10:00:00 17.1", &a, &b) == 0 &&
		strcmp(a, "2026-01-09 10:00:00") == 0 && strcmp(b, "17.1") == 0,
	    "a position split at its last space");
	ok(rec_pos_split(A, "nospace", &a, &b) == -1, "no space: invalid");
	ok(rec_pos_split(A, "x ", &a, &b) == -1, "no tie: invalid");
	ok(rec_pos_split(A, " x", &a, &b) == -1, "no first part: invalid");
	ok(rec_component_ok("a.wav") == 0, "a component");
	ok(rec_component_ok("a/b") == -1, "'/' is no component");
}

/* file_rel of cdr.c for a call of 2026-01-09. */
static const char *
cdr_file(const char *root, const char *file)
{
	struct req r = { .arena = A };
	struct rec_record rec = { .start = "2026-01-09 10:00:00" };
	const char *rel;

	return file_rel(&r, root, &rec, file, &rel) == 0 ? rel : "-1";
}

static void
cdr_files(void)
{
	const char *root = tl_tmpdir("t_rec_store");

	tl_put("2026/01/09/in-1.wav", "RIFF");
	tl_put("flat.wav", "RIFF");
	if (symlink("/etc/passwd", tl_path("2026/01/09/link.wav")) == -1)
		ok(0, "symlink");
	is_str(cdr_file(root, "in-1.wav"), "2026/01/09/in-1.wav",
	    "FreePBX: YYYY/MM/DD/<recordingfile> by the calldate");
	is_str(cdr_file(root, "flat.wav"), "flat.wav",
	    "no dated file: the flat one");
	is_str(cdr_file(root, "missing.wav"), "missing.wav",
	    "neither: the flat name (the opener answers 404)");
	is_str(cdr_file(root, "link.wav"), "link.wav",
	    "a dated link is not taken for the file");
	is_str(cdr_file(root, "../../etc/passwd"), "-1", "../ refused");
	is_str(cdr_file(root, "/etc/passwd"), "-1", "absolute elsewhere");
	is_str(cdr_file(root, arena_printf(A, "%s/2026/01/09/in-1.wav", root)),
	    "2026/01/09/in-1.wav", "absolute below the root (Issabel)");
	is_str(cdr_file(root, arena_printf(A, "%s/../x.wav", root)), "-1",
	    "absolute with ..");
	is_str(cdr_file(root, arena_printf(A, "%sx/a.wav", root)), "-1",
	    "absolute in a sibling sharing the prefix");
	is_str(cdr_file(root, "x\nfoo.wav"), "-1", "LF refused");
	is_str(cdr_file(root, "x\001.wav"), "-1", "control byte refused");
	is_str(cdr_file(root, ".."), "-1", "'..' refused");
	is_str(cdr_file(root, "."), "-1", "'.' refused");
	is_str(cdr_file(root, "a\\..\\b.wav"), "a\\..\\b.wav",
	    "backslashes are a plain name");
	tl_rmtmp();
}

int
main(void)
{
	A = arena_new();
	paths();
	helpers();
	cdr_files();
	arena_free(A);
	return done_testing();
}
