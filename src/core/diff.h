/*
 * Line diff by longest common subsequence.
 *
 * diff_lines() splits two texts into lines ("\n" ends a line; a final line
 * without one counts too; a trailing "\r" is part of the line) and returns
 * the edit script turning a into b: each line of a and of b appears once,
 * in order, as kept, deleted or added. The common prefix and suffix are
 * trimmed first; the middle is solved with the classic O(n*m) table, capped
 * at DIFF_MAX_CELLS cells. Beyond the cap the middle becomes "delete all,
 * add all": still a correct script, just not a minimal one.
 *
 * Lines point into a and b (not copied): keep the texts alive while the
 * result is used. Free the result with free().
 */
#ifndef SIRT_CORE_DIFF_H
#define SIRT_CORE_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define DIFF_MAX_CELLS ((size_t)4000000)
#define DIFF_MAX_LINES ((size_t)100000)

enum diff_op { DIFF_SAME = 0, DIFF_DEL, DIFF_ADD };

struct diff_line {
	enum diff_op op;
	const char *text; /* not NUL-terminated at len */
	size_t len;
};

struct diff_result {
	struct diff_line *lines;
	size_t n;
	size_t added, deleted; /* counts by op */
	bool minimal;          /* false when the cell cap forced the fallback */
};

/* SIRT_ETOOBIG when either text has more than DIFF_MAX_LINES lines. */
int diff_lines(const char *a, const char *b, struct diff_result *out) WUR;
void diff_free(struct diff_result *d);
/* The op as a one-character prefix: ' ', '-', '+'. */
char diff_op_char(enum diff_op op);

#endif
