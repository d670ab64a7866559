/*
** test_bytes.c - mb_translate and mb_count at every SIMD level against
** naive loops: random tables and data, sizes 0..300 and around the vector
** widths, unaligned starts, bytes on either side left alone, and counts
** with Python's bytes.count rules (non-overlapping, "" counts n + 1),
** including single-byte counts past the 255-round flush of the SIMD
** counters.
*/
#include <stdlib.h>
#include <string.h>

#include "mapbuf.h"
#include "check.h"

static unsigned long long rng = 0xD1B54A32D192ED03ULL;
static unsigned rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (unsigned)(rng >> 11);
}

static const int levels[] = {MB_SIMD_NONE, MB_SIMD_SSE2, MB_SIMD_AVX2,
                             MB_SIMD_AVX512};

/* Translate n bytes at offset off of a buffer with guard bytes around. */
static void tr_case(size_t n, size_t off, const unsigned char *tab) {
  unsigned char *a = malloc(n + off + 16), *b = malloc(n + off + 16);
  size_t i;
  for (i = 0; i < n + off + 16; i++) a[i] = (unsigned char)rnd();
  memcpy(b, a, n + off + 16);
  for (i = 0; i < n; i++) b[off + i] = tab[b[off + i]];
  mb_translate(a + off, n, tab);
  CHECK(memcmp(a, b, n + off + 16) == 0);
  free(a);
  free(b);
}

static void translate(void) {
  static const size_t sizes[] = {511, 512, 513, 4095, 4096, 4097, 100000};
  unsigned char tab[256], ident[256];
  size_t n, i;
  int l, t;
  for (i = 0; i < 256; i++) ident[i] = (unsigned char)i;
  for (l = 0; l < 4; l++) {
    mb_simd(levels[l]);
    for (t = 0; t < 4; t++) {
      for (i = 0; i < 256; i++)
        tab[i] = t == 0 ? (unsigned char)(255 - i) : (unsigned char)rnd();
      for (n = 0; n <= 300; n++) tr_case(n, n % 5, tab);
      for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        tr_case(sizes[i], i % 3, tab);
    }
    tr_case(1000, 1, ident);
    {   /* every byte value through a random table */
      unsigned char all[512], want[512];
      for (i = 0; i < 256; i++) tab[i] = (unsigned char)rnd();
      for (i = 0; i < 512; i++) all[i] = (unsigned char)i, want[i] = tab[i & 255];
      mb_translate(all, 512, tab);
      CHECK(memcmp(all, want, 512) == 0);
    }
  }
  mb_translate(NULL, 0, tab);   /* nothing to do, nothing touched */
  mb_simd(MB_SIMD_AVX512);
}

/* Python's bytes.count: scan left to right, skip past each hit. */
static size_t ref_count(const unsigned char *h, size_t n,
                        const unsigned char *s, size_t k) {
  size_t i = 0, c = 0;
  if (k == 0) return n + 1;
  while (k <= n && i <= n - k) {
    if (memcmp(h + i, s, k) == 0) { c++; i += k; }
    else i++;
  }
  return c;
}

static void count_case(const unsigned char *h0, size_t n,
                       const unsigned char *s, size_t k) {
  unsigned char *h = malloc(n ? n : 1);   /* exact size: ASan sees overreads */
  size_t got, want;
  memcpy(h, h0, n);
  got = mb_count(h, n, s, k);
  want = ref_count(h, n, s, k);
  CHECK(got == want);
  if (got != want)
    fprintf(stderr, "  count n %zu k %zu level %d: %zu want %zu\n", n, k,
            mb_simd(-1), got, want);
  free(h);
}

static void count(void) {
  size_t cap = 300000, n, i;
  unsigned char *h = malloc(cap), s[8];
  int l, r;
  for (l = 0; l < 4; l++) {
    mb_simd(levels[l]);
    /* a small alphabet: many hits and near misses */
    for (i = 0; i < cap; i++) h[i] = (unsigned char)("ab"[rnd() % 2]);
    for (n = 0; n <= 300; n++) {
      s[0] = 'a'; count_case(h, n, s, 1);
      s[1] = 'a'; count_case(h, n, s, 2);    /* "aa": overlaps matter */
      s[1] = 'b'; count_case(h, n, s, 2);
      count_case(h, n, s, 0);
    }
    s[0] = 'a'; s[1] = 'a'; s[2] = 'a';
    count_case(h, 100001, s, 3);
    count_case(h, 7, s, 8);   /* needle longer than the haystack */
    /* one byte everywhere: more than 255 rounds of each counter */
    memset(h, 'x', cap);
    s[0] = 'x';
    count_case(h, cap, s, 1);
    count_case(h, 64 * 255 + 63, s, 1);
    count_case(h + 3, 64 * 255 * 2 + 1, s, 1);
    s[1] = 'x';
    count_case(h, 1001, s, 2);   /* 500 non-overlapping */
    for (r = 0; r < 200; r++) {
      size_t len = rnd() % 5000, k = 1 + rnd() % 3, off = rnd() % 16;
      for (i = 0; i < len + off; i++) h[i] = (unsigned char)(rnd() % 3);
      for (i = 0; i < k; i++) s[i] = (unsigned char)(rnd() % 3);
      count_case(h + off, len, s, k);
    }
    for (i = 0; i < 4096 + 1; i++) h[i] = (unsigned char)rnd();
    for (n = 4094; n <= 4097; n++) { s[0] = 7; count_case(h, n, s, 1); }
  }
  CHECK(mb_count("", 0, "", 0) == 1);
  CHECK(mb_count("abc", 3, "", 0) == 4);
  CHECK(mb_count("abc", 3, "abcd", 4) == 0);
  CHECK(mb_count("aaaa", 4, "aa", 2) == 2);
  mb_simd(MB_SIMD_AVX512);
  free(h);
}

int main(void) {
  printf("simd level %d\n", mb_simd(-1));
  translate();
  count();
  return check_done();
}
