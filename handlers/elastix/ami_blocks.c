/*
 * The elastix-api's parser of AMI reply text into PHP arrays (see
 * elastix.h).
 */
#include <string.h>

#include "arena.h"
#include "elastix.h"
#include "pv.h"

/* Keeps the block if it has more than more_than keys. */
static void
flush_block(struct arena *a, struct pv *list, struct pv **blk, size_t more_than)
{
	if (*blk != NULL && pv_count(*blk) > more_than)
		pv_push(a, list, **blk);
	*blk = NULL;
}

struct pv *
ami_blocks(struct arena *a, const char *s, size_t n, size_t more_than)
{
	struct pv *list = pv_new_arr(a), *blk = NULL;
	const char *nl, *line, *sep;
	size_t start = 0, end, l;

	if (n == 0)
		return list;
	for (;;) {
		nl = memchr(s + start, '\n', n - start);
		end = nl ? (size_t)(nl - s) : n;
		line = s + start;
		l = end - start;
		while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == '\n'))
			l--;
		if (l == 0) {
			flush_block(a, list, &blk, more_than);
		} else {
			if (blk == NULL)
				blk = pv_new_arr(a);
			sep = memmem(line, l, ": ", 2);
			if (sep != NULL)
				pv_set(a, blk, line, (size_t)(sep - line),
				    pv_str(
					sep + 2, l - (size_t)(sep - line) - 2));
		}
		if (nl == NULL)
			break;
		start = end + 1;
	}
	flush_block(a, list, &blk, more_than);
	return list;
}
