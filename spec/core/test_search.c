/*
** test_search.c - mb_memfind / mb_memrfind against a naive reference, on
** random haystacks over small alphabets (many near-misses), adversarial
** periodic data (forces the linear fallback), every needle length around
** the SIMD block sizes, and needles at the very edges of the buffer.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapbuf.h"
#include "check.h"

/* A second copy of the search, built without memrchr (so our own reverse
** byte scan runs where the C library has one), under other names.  The
** scans themselves (AVX2, SSE2, NEON, SWAR) are chosen by the SIMD level,
** which main() sets to each in turn. */
#define MB_NO_MEMRCHR 1
#define mb_memfind own_memfind
#define mb_memrfind own_memrfind
#include "../../src/core/search.c"
#undef mb_memfind
#undef mb_memrfind

typedef size_t (*findfn)(const void *, size_t, const void *, size_t);
static findfn FIND = mb_memfind, RFIND = mb_memrfind;


static size_t naive_find(const unsigned char *h, size_t hn,
                         const unsigned char *n, size_t nn) {
  size_t i;
  if (nn > hn) return MB_NPOS;
  for (i = 0; i + nn <= hn; i++)
    if (memcmp(h + i, n, nn) == 0) return i;
  return MB_NPOS;
}

static size_t naive_rfind(const unsigned char *h, size_t hn,
                          const unsigned char *n, size_t nn) {
  size_t i;
  if (nn > hn) return MB_NPOS;
  for (i = hn - nn + 1; i-- > 0;)
    if (memcmp(h + i, n, nn) == 0) return i;
  return MB_NPOS;
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (unsigned)(rng >> 11);
}

/* Compare both directions on one case; h is copied to an exact-size heap
** block so that ASan catches any read past either end. */
static void both(const unsigned char *h0, size_t hn,
                 const unsigned char *n0, size_t nn) {
  unsigned char *h = malloc(hn ? hn : 1), *n = malloc(nn ? nn : 1);
  size_t a, b;
  memcpy(h, h0, hn); memcpy(n, n0, nn);
  a = FIND(h, hn, n, nn); b = naive_find(h, hn, n, nn);
  CHECK_MSG(a == b, "find hn=%zu nn=%zu got %zu want %zu", hn, nn, a, b);
  a = RFIND(h, hn, n, nn);
  b = (nn == 0) ? hn : naive_rfind(h, hn, n, nn);
  CHECK_MSG(a == b, "rfind hn=%zu nn=%zu got %zu want %zu", hn, nn, a, b);
  free(h); free(n);
}

static void random_cases(void) {
  static unsigned char h[3000], n[80];
  int t;
  for (t = 0; t < 20000; t++) {
    size_t hn = rnd() % (t < 10000 ? 200 : 3000), nn = rnd() % 70, i;
    unsigned alpha = 1 + rnd() % 4;           /* tiny alphabets */
    unsigned base = (rnd() % 2) ? 'a' : 250;  /* text or high bytes */
    for (i = 0; i < hn; i++) h[i] = (unsigned char)(base + rnd() % alpha);
    if (hn && nn && rnd() % 2) {              /* plant a real occurrence */
      size_t at;
      if (nn > hn) nn = hn;
      at = rnd() % (hn - nn + 1);
      memcpy(n, h + at, nn);
    }
    else
      for (i = 0; i < nn; i++) n[i] = (unsigned char)(base + rnd() % alpha);
    both(h, hn, n, nn);
  }
}

static void edge_cases(void) {
  static unsigned char h[4096];
  unsigned char n[100];
  size_t hn, nn;
  both((const unsigned char *)"", 0, (const unsigned char *)"", 0);
  both((const unsigned char *)"abc", 3, (const unsigned char *)"", 0);
  both((const unsigned char *)"", 0, (const unsigned char *)"a", 1);
  both((const unsigned char *)"a\0b", 3, (const unsigned char *)"\0", 1);
  both((const unsigned char *)"a\0b\0", 4, (const unsigned char *)"b\0", 2);
  /* a needle at the first and at the last position, all sizes around
  ** the block widths */
  for (hn = 1; hn < 200; hn++)
    for (nn = 1; nn <= hn && nn < 100; nn += 1 + nn / 8) {
      memset(h, 'x', hn);
      memset(n, 'y', nn); n[0] = 'Q';
      memcpy(h + hn - nn, n, nn);
      both(h, hn, n, nn);
      memset(h, 'x', hn);
      memcpy(h, n, nn);
      both(h, hn, n, nn);
    }
}

/* Periodic data where every position is a candidate for the filter:
** exercises the hand-over to the linear fallback in both directions. */
static void adversarial(void) {
  size_t hn = 1 << 20, nn, i;
  unsigned char *h = malloc(hn), n[64];
  for (i = 0; i < hn; i++) h[i] = 'a';
  for (nn = 2; nn < 64; nn = nn * 2 + 1) {
    memset(n, 'a', nn); n[nn / 2] = 'b';   /* absent */
    CHECK_MSG(FIND(h, hn, n, nn) == MB_NPOS, "adv find absent nn=%zu", nn);
    CHECK_MSG(RFIND(h, hn, n, nn) == MB_NPOS, "adv rfind absent nn=%zu",
          nn);
    h[hn / 3 + nn / 2] = 'b';              /* one occurrence in the middle */
    CHECK_MSG(FIND(h, hn, n, nn) == hn / 3, "adv find nn=%zu", nn);
    CHECK_MSG(RFIND(h, hn, n, nn) == hn / 3, "adv rfind nn=%zu", nn);
    h[hn / 3 + nn / 2] = 'a';
  }
  /* the filter's two bytes agree at every 8th position but the needle
  ** never does: the scan must hand over to the fallback and still find
  ** the one real occurrence planted near either end */
  for (i = 0; i < hn; i++) h[i] = (i % 8 == 7) ? 'b' : 'a';
  memset(n, 'a', 9); n[9] = 'b';
  CHECK_MSG(FIND(h, hn, n, 10) == MB_NPOS, "waste find absent");
  CHECK_MSG(RFIND(h, hn, n, 10) == MB_NPOS, "waste rfind absent");
  both(h, 5000, n, 10);
  memset(h + hn - 100, 'a', 9); h[hn - 91] = 'b';
  CHECK_MSG(FIND(h, hn, n, 10) == hn - 100, "waste find late");
  memset(h + 50, 'a', 9); h[59] = 'b';
  CHECK_MSG(RFIND(h, hn, n, 10) == hn - 100, "waste rfind");
  for (i = hn - 100; i < hn - 90; i++) h[i] = (i % 8 == 7) ? 'b' : 'a';
  CHECK_MSG(RFIND(h, hn, n, 10) == 50, "waste rfind early");
  CHECK_MSG(FIND(h, hn, n, 10) == 50, "waste find early");
  for (i = 0; i < hn; i++) h[i] = 'a';
  /* two occurrences: find gets the first, rfind the last */
  memset(n, 'a', 10); n[9] = 'b';
  h[100 + 9] = 'b'; h[hn - 1000 + 9] = 'b';
  CHECK_MSG(FIND(h, hn, n, 10) == 100, "adv two first");
  CHECK_MSG(RFIND(h, hn, n, 10) == hn - 1000, "adv two last");
  free(h);
}

/* A needle that almost matches everywhere and is longer than the old
** fallback's 64 KiB windows: each window cost the whole needle again, so
** 64 MiB took seconds.  The backward scan now reads each byte once; these
** check its answers (the last occurrence, borders of periodic needles,
** hits at both ends) against the naive reference. */
static void adversarial_long(void) {
  size_t hn = (size_t)8 << 20, nn = 200000, i;
  unsigned char *h = malloc(hn), *n = malloc(nn);
  memset(h, 'a', hn);
  n[0] = 'e';
  memset(n + 1, 'a', nn - 1);
  CHECK_MSG(RFIND(h, hn, n, nn) == MB_NPOS, "long rfind absent");
  h[hn / 2] = 'e';
  CHECK_MSG(RFIND(h, hn, n, nn) == hn / 2, "long rfind middle");
  h[hn - nn] = 'e';
  CHECK_MSG(RFIND(h, hn, n, nn) == hn - nn, "long rfind at the very end");
  h[hn - nn] = 'a';
  h[hn - nn + 1] = 'e';   /* too close to the end to hold the needle */
  CHECK_MSG(RFIND(h, hn, n, nn) == hn / 2, "long rfind, a near miss at the end");
  free(n);
  free(h);
  /* periodic needles (borders inside borders), small haystacks, vs naive */
  {
    unsigned char hh[4096], nb[40];
    unsigned seed = 7;
    int round;
    for (round = 0; round < 3000; round++) {
      size_t hl = 1 + (seed = seed * 1103515245u + 12345u) % sizeof hh;
      size_t nl = 1 + (seed = seed * 1103515245u + 12345u) % sizeof nb;
      for (i = 0; i < hl; i++)
        hh[i] = "ab"[((seed = seed * 1103515245u + 12345u) >> 16) % 2 == 0 ||
                     i % 3 == 0];
      for (i = 0; i < nl; i++) nb[i] = "ab"[i % 3 == 0 || i % 7 == 2];
      both(hh, hl, nb, nl);
    }
  }
}

/* Haystacks big enough for the search to use several threads: hits in
** the first block, across block boundaries, in several blocks at once (the
** first / last must win whichever thread sees it first), and none. */
static void large(void) {
  const size_t B = (size_t)4 << 20, hn = (size_t)40 << 20;
  unsigned char *h = malloc(hn);
  const unsigned char *n = (const unsigned char *)"mapbuf-needle-0123456789";
  const size_t nn = 24;
  size_t i, k;
  size_t at[] = { 10, B - 5, 5 * B - 3, 7 * B + 1, hn / 2 + 1, hn - B - 11,
                  hn - nn };
  if (h == NULL) { printf("large: no memory, skipped\n"); return; }
  for (i = 0; i < 4096; i++) h[i] = (unsigned char)(rnd() % 26 + 'a');
  for (i = 4096; i < hn; i += 4096) memcpy(h + i, h, 4096);
  CHECK_MSG(FIND(h, hn, n, nn) == MB_NPOS, "large: absent");
  CHECK_MSG(RFIND(h, hn, n, nn) == MB_NPOS, "large: absent backwards");
  CHECK_MSG(FIND(h, hn, "Z", 1) == MB_NPOS, "large: absent byte");
  for (k = 0; k < sizeof at / sizeof at[0]; k++) {
    memcpy(h + at[k], n, nn);
    CHECK_MSG(FIND(h, hn, n, nn) == at[k], "large: find alone at %zu", at[k]);
    CHECK_MSG(RFIND(h, hn, n, nn) == at[k], "large: rfind alone at %zu", at[k]);
    memset(h + at[k], 'q', nn);
  }
  /* several at once: every pair of planted hits */
  for (k = 0; k + 1 < sizeof at / sizeof at[0]; k++) {
    size_t j;
    for (j = k + 1; j < sizeof at / sizeof at[0]; j++) {
      if (at[j] < at[k] + nn) continue;
      memcpy(h + at[k], n, nn); memcpy(h + at[j], n, nn);
      CHECK_MSG(FIND(h, hn, n, nn) == at[k], "large: first of %zu %zu", at[k],
            at[j]);
      CHECK_MSG(RFIND(h, hn, n, nn) == at[j], "large: last of %zu %zu", at[k],
            at[j]);
      memset(h + at[k], 'q', nn); memset(h + at[j], 'q', nn);
    }
  }
  h[3 * B + 7] = 'Z'; h[9 * B] = 'Z';
  CHECK_MSG(FIND(h, hn, "Z", 1) == 3 * B + 7, "large: first byte");
  CHECK_MSG(RFIND(h, hn, "Z", 1) == 9 * B, "large: last byte");
  free(h);
}

static void all(void) {
  edge_cases();
  random_cases();
  adversarial();
  adversarial_long();
  large();
}

int main(void) {
  static const char *names[] = {"SWAR (portable words)", "SSE2 or NEON", "AVX2",
                                "AVX2 (AVX-512 CPU)"};
  int level, prev = -1;
  for (level = MB_SIMD_NONE; level <= MB_SIMD_AVX2; level++) {
    int got = mb_simd(level);
    if (got == prev) continue;   /* the CPU has no more than that */
    printf("search: level %d, %s\n", got, names[got]);
    all();
    prev = got;
  }
  printf("search: level 0 without memrchr\n");
  mb_simd(MB_SIMD_NONE);
  FIND = own_memfind; RFIND = own_memrfind;
  all();
  mb_simd(MB_SIMD_AVX512);
  return check_done();
}
