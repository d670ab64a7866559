/*
** search_levels.c - mb_memfind at each SIMD level (SWAR, SSE2 or NEON,
** AVX2) side by side with the byte loop every CPU without SSE2 used
** before (each position's two filter bytes tested one by one), on a
** haystack of random lowercase text with the needle at its very end.
** CPU time, best of REPS; one thread (the haystack is below the size at
** which the search shares out work).
**
**   search_levels [MIB [REPS]]      the table: mode, ms, GB/s, x byte loop
**   search_levels --one MODE KIB    one search (for bench/search_icount)
** MODE: byte, 0 (SWAR), 1 (SSE2 / NEON), 2 (AVX2), or fill (only make
** the haystack: what the count subtracts).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mapbuf.h"

static const char needle[] = "Zq-mapbuf-needle-qZ";   /* no such bytes in h */

/* The old fallback: the rare pair (here the first and last byte) tested
** position by position, then the whole needle. */
static size_t byteloop(const unsigned char *h, size_t hn,
                       const unsigned char *n, size_t nn) {
  size_t pos;
  for (pos = 0; pos + nn <= hn; pos++)
    if (h[pos] == n[0] && h[pos + nn - 1] == n[nn - 1] &&
        memcmp(h + pos, n, nn) == 0)
      return pos;
  return MB_NPOS;
}

static unsigned char *haystack(size_t hn) {
  unsigned char *h = malloc(hn);
  unsigned long long r = 88172645463325252ULL;
  size_t i;
  if (h == NULL) { perror("malloc"); exit(2); }
  for (i = 0; i < hn; i++) {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17;
    h[i] = (r % 27 == 0) ? ' ' : (unsigned char)('a' + r % 26);
  }
  memcpy(h + hn - strlen(needle), needle, strlen(needle));
  return h;
}

/* One search in mode (-1: the byte loop, else that SIMD level). */
static size_t once(int mode, const unsigned char *h, size_t hn) {
  size_t nn = strlen(needle);
  if (mode < 0) return byteloop(h, hn, (const unsigned char *)needle, nn);
  mb_simd(mode);
  return mb_memfind(h, hn, needle, nn);
}

static double cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  static const char *names[] = {"byte loop", "SWAR (level 0)",
                                "SSE2 / NEON (level 1)", "AVX2 (level 2)"};
  size_t hn, want;
  unsigned char *h;
  int reps, mode, r;
  double base = 0;
  if (argc == 4 && strcmp(argv[1], "--one") == 0) {
    mode = strcmp(argv[2], "byte") == 0 ? -1 : atoi(argv[2]);
    hn = (size_t)atol(argv[3]) << 10;
    h = haystack(hn);
    r = strcmp(argv[2], "fill") == 0 ? 0
        : once(mode, h, hn) == hn - strlen(needle) ? 0 : 1;
    free(h);
    return r;
  }
  hn = (size_t)(argc > 1 ? atol(argv[1]) : 16) << 20;
  reps = argc > 2 ? atoi(argv[2]) : 3;
  h = haystack(hn);
  want = hn - strlen(needle);
  printf("%-24s %9s %8s %12s\n", "plain find, needle at end", "ms", "GB/s",
         "x byte loop");
  for (mode = -1; mode <= MB_SIMD_AVX2; mode++) {
    double best = 1e30;
    if (mode >= 0 && mb_simd(mode) != mode) break;   /* not on this CPU */
    for (r = 0; r < reps; r++) {
      double t = cpu();
      size_t at = once(mode, h, hn);
      t = cpu() - t;
      if (at != want) { fprintf(stderr, "wrong answer in mode %d\n", mode); return 1; }
      if (t < best) best = t;
    }
    if (mode < 0) base = best;
    printf("%-24s %9.2f %8.2f %12.1f\n", names[mode + 1], best * 1e3,
           (double)hn / best * 1e-9, base / best);
  }
  free(h);
  return 0;
}
