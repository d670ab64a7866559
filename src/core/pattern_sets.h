/*
** pattern_sets.h - scans over bytes for a set (pattern_prog.h): where a run
** of members ends, where the first member is, where a frontier is, where
** a lazy repetition must stop.  Private to pattern_exec.c.
**
** Each scan tests a byte against the set's bitmap.  Runs in text are short
** (an octet of an address, a word, a date), so a byte-at-a-time loop pays
** a mispredicted branch at the end of almost every run; where the set has
** a form of at most three ranges (PVec) and the CPU has SSE2, 16 bytes are
** tested at once instead and the first byte that ends the scan is found
** with one bit scan.  Never more than e - q bytes are read.
*/
#ifndef MAPBUF_PATTERN_SETS_H
#define MAPBUF_PATTERN_SETS_H

#include "pattern_prog.h"

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define PSET_SIMD 1
#endif

typedef const unsigned char *sptr;

#ifdef PSET_SIMD
/* Are the bytes of c in range i?  x <= k, unsigned: max(x, k) == k. */
static inline __m128i inrange(const PVec *v, int i, __m128i c) {
  __m128i x = _mm_sub_epi8(c, _mm_loadu_si128((const __m128i *)v->lo[i]));
  __m128i k = _mm_loadu_si128((const __m128i *)v->span[i]);
  return _mm_cmpeq_epi8(_mm_max_epu8(x, k), k);
}

/* Bit i set: byte q[i] is in the set (v->n must be nonzero).  Most sets
** are one range (%d, %u) or two: the test goes no further than needed. */
static inline unsigned in16(const PVec *v, sptr q) {
  __m128i c = _mm_loadu_si128((const __m128i *)q), m = inrange(v, 0, c);
  if (v->n > 1) {
    m = _mm_or_si128(m, inrange(v, 1, c));
    if (v->n > 2) m = _mm_or_si128(m, inrange(v, 2, c));
  }
  return ((unsigned)_mm_movemask_epi8(m) ^ v->flip) & 0xffff;
}

/* Bit i set: byte q[i] is b. */
static inline unsigned is16(__m128i b, sptr q) {
  return (unsigned)_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)q), b));
}

static inline int lowbit(unsigned m) { return __builtin_ctz(m); }
#endif

#ifndef PSET_LEAD
#define PSET_LEAD 2
#endif
#ifndef PSET_RUNLEAD
#define PSET_RUNLEAD 1
#endif

/* The first byte at or after q that is not in the set, or e.  The first
** bytes one by one: many runs and gaps are that short. */
static inline sptr pset_run(const PSet *s, const PVec *v, sptr q, sptr e) {
#ifdef PSET_SIMD
  int k;
  for (k = 0; k < PSET_RUNLEAD; k++, q++)
    if (q == e || !pset_has(s, *q)) return q;
  if (v->n)
    for (; e - q >= 16; q += 16) {
      unsigned out = ~in16(v, q) & 0xffff;
      if (out) return q + lowbit(out);
    }
#else
  (void)v;
#endif
  for (; e - q >= 4; q += 4) {
    if (!pset_has(s, q[0])) return q;
    if (!pset_has(s, q[1])) return q + 1;
    if (!pset_has(s, q[2])) return q + 2;
    if (!pset_has(s, q[3])) return q + 3;
  }
  while (q < e && pset_has(s, *q)) q++;
  return q;
}

/* The first byte at or after q that is in the set, or e. */
static inline sptr pset_first(const PSet *s, const PVec *v, sptr q, sptr e) {
#ifdef PSET_SIMD
  int k;
  for (k = 0; k < PSET_LEAD; k++, q++)
    if (q == e || pset_has(s, *q)) return q;
  if (v->n)
    for (; e - q >= 16; q += 16) {
      unsigned in = in16(v, q);
      if (in) return q + lowbit(in);
    }
#else
  (void)v;
#endif
  while (q < e && !pset_has(s, *q)) q++;
  return q;
}

/* The first position at or after q whose byte is in the set while the
** byte before it is not (previn: whether the byte before q is), or e. */
static inline sptr pset_frontier(const PSet *s, const PVec *v, sptr q,
                                 sptr e, int previn) {
#ifdef PSET_SIMD
  if (v->n)
    for (; e - q >= 16; q += 16) {
      unsigned in = in16(v, q);
      unsigned rise = in & ~((in << 1) | (unsigned)previn) & 0xffff;
      if (rise) return q + lowbit(rise);
      previn = (int)(in >> 15);
    }
#else
  (void)v;
#endif
  for (; q < e; q++) {
    int in = pset_has(s, *q);
    if (in && !previn) return q;
    previn = in;
  }
  return q;
}

/* A lazy repetition of set s whose continuation begins with byte b
** (t NULL) or with a byte of set t: the first position at or after q
** where the continuation could begin, or whose byte s does not take; e
** if none. */
static inline sptr pset_until(const PSet *s, const PVec *v, int b,
                              const PSet *t, const PVec *tv, sptr q, sptr e) {
#ifdef PSET_SIMD
  if (v->n && (t == NULL || tv->n)) {
    __m128i bb = _mm_set1_epi8((char)b);
    for (; e - q >= 16; q += 16) {
      unsigned stop = (~in16(v, q) & 0xffff) |
                      (t ? in16(tv, q) : is16(bb, q));
      if (stop) return q + lowbit(stop);
    }
  }
#else
  (void)v; (void)tv;
#endif
  for (; q < e; q++)
    if ((t ? pset_has(t, *q) : *q == b) || !pset_has(s, *q)) return q;
  return q;
}

#endif
