/* budget.h - how long a subject the pattern harnesses may give a pattern,
** so that a backtracking worst case stays within a work budget. */
#ifndef FUZZ_BUDGET_H
#define FUZZ_BUDGET_H

#include <stddef.h>

/* Ways a backtracking match can split n bytes among k quantifiers,
** C(n + k, k), times the n start positions: a bound on the work. */
static double fuzz_cost(size_t n, size_t k) {
  double c = (double)n + 1;
  size_t i;
  for (i = 1; i <= k && c < 1e300; i++) c = c * (double)(n + i) / (double)i;
  return c;
}

/* The largest subject length up to most whose cost for pattern p stays
** within budget. */
static size_t fuzz_maxsubject(const char *p, size_t lp, size_t most,
                              double budget) {
  size_t k = 0, i, lo = 0, hi = most;
  for (i = 0; i < lp; i++)
    if (p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?') k++;
  while (lo < hi) {
    size_t mid = (lo + hi + 1) / 2;
    if (fuzz_cost(mid, k) <= budget) lo = mid; else hi = mid - 1;
  }
  return lo;
}

#endif
