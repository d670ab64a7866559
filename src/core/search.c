/*
** search.c - plain substring search over mapped bytes, forward and
** backward, at memory speed.
**
** The idea: pick the two bytes of the needle that are least likely to
** occur in ordinary data, compare 128 (AVX2), 64 (NEON), 16 (SSE2) or 16
** (two 8-byte words, portable C: SWAR) haystack positions at a time
** against both, and only compare the needle where both agree.  Which one
** runs follows the SIMD level in force (simd.c, mb_simd), so the tests run
** each of them on one CPU.  On real data that leaves almost no candidates, so the scan
** runs at the speed the memory can deliver.  Adversarial data (every
** position a candidate) is detected by counting wasted verifications; the
** search then hands over to a linear-time algorithm (glibc's two-way
** memmem), so the worst case stays linear.  Haystacks of 32 MiB and more
** are shared out among the cores (at the end of this file), since one core
** alone cannot read memory as fast as the memory can deliver it.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "mapbuf.h"
#include "kernels.h"
#include "os.h"

#ifdef MB_X86
#include <immintrin.h>
#endif
#ifdef MB_NEON
#include <arm_neon.h>
#endif


/*
** A rough rank of how common each byte is in text, code, and binary
** files: lower is rarer.  Only the order matters.
*/
static int byterank(unsigned char c) {
  if (c == ' ' || c == 'e' || c == 't' || c == 'a' || c == 'o') return 250;
  if (c == 0) return 240;                       /* padding in binaries */
  if (c == 'i' || c == 'n' || c == 's' || c == 'r' || c == 'h') return 230;
  if (c >= 'a' && c <= 'z') return 200;
  if (c == '\n' || c == 0xff || c == '\t') return 190;
  if (c >= '0' && c <= '9') return 180;
  if (c == ',' || c == '.' || c == '_' || c == '-' || c == '"' ||
      c == '(' || c == ')' || c == ';' || c == '=' || c == '/') return 170;
  if (c >= 'A' && c <= 'Z') return 150;
  if (c > ' ' && c < 0x7f) return 120;          /* other punctuation */
  if (c == 1 || c == 0x80 || c == 0xfe) return 100;
  if (c >= 0x80) return 60;
  return 40;                                    /* other control bytes */
}

/* The indices of the rarest byte (*i1) and of the next rarest at another
** index (*i2) of a needle of nn >= 2 bytes.  Ties go to the later index:
** needles often share prefixes with their surroundings. */
static void rarepair(const unsigned char *n, size_t nn, size_t *i1,
                     size_t *i2) {
  size_t a = 0, b = MB_NPOS, i;
  for (i = 1; i < nn; i++)
    if (byterank(n[i]) <= byterank(n[a])) a = i;
  for (i = 0; i < nn; i++)
    if (i != a && (b == MB_NPOS || byterank(n[i]) <= byterank(n[b])))
      b = i;
  *i1 = a; *i2 = b;
}

/* Is the needle at p?  The last byte first: in structured data a near
** miss tends to share its beginning with the needle (a log line with
** another number at the end), so this rejects it without a memcmp. */
static inline int same(const unsigned char *p, const unsigned char *n,
                       size_t nn) {
  return p[nn - 1] == n[nn - 1] && memcmp(p, n, nn - 1) == 0;
}

/*
** Budget of verifications that found nothing before the scan gives up
** on the filter: a fixed allowance plus one per 32 bytes scanned.
*/
#define WASTE_ALLOW(scanned) (256 + ((scanned) >> 5))


/* ---------------- forward ---------------- */

/* Linear-time fallback from offset pos on. */
static size_t find_slow(const unsigned char *h, size_t hn, size_t pos,
                        const unsigned char *n, size_t nn) {
  const unsigned char *r = memmem(h + pos, hn - pos, n, nn);
  return r ? (size_t)(r - h) : MB_NPOS;
}

#ifdef MB_X86
/* Both filter bytes compared at 32 positions from h+pos: a mask of the
** positions where both agree. */
#define PAIR32(h, pos, i1, i2, v1, v2) _mm256_and_si256( \
    _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)((h) + (pos) + (i1))), v1), \
    _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)((h) + (pos) + (i2))), v2))
#define MASK64(lo, hi) ((uint64_t)(uint32_t)_mm256_movemask_epi8(lo) | \
    ((uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32))

/* 128 positions per round, tested with one OR and one testz: the round
** costs little more than reading the bytes. */
__attribute__((target("avx2")))
static size_t find_avx2(const unsigned char *h, size_t hn,
                        const unsigned char *n, size_t nn,
                        size_t i1, size_t i2, size_t *posp) {
  const __m256i v1 = _mm256_set1_epi8((char)n[i1]);
  const __m256i v2 = _mm256_set1_epi8((char)n[i2]);
  size_t last = hn - nn;   /* the last candidate position */
  size_t pos = 0, waste = 0;
  /* the first positions one by one, until h + pos + i1 is aligned */
  size_t head = (32 - (((uintptr_t)h + i1) & 31)) & 31;
  if (head > last + 1) head = last + 1;
  for (; pos < head; pos++)
    if (h[pos + i1] == n[i1] && h[pos + i2] == n[i2] &&
        same(h + pos, n, nn))
      return pos;
  while (pos + 128 <= last + 1) {
    __m256i e0 = PAIR32(h, pos, i1, i2, v1, v2);
    __m256i e1 = PAIR32(h, pos + 32, i1, i2, v1, v2);
    __m256i e2 = PAIR32(h, pos + 64, i1, i2, v1, v2);
    __m256i e3 = PAIR32(h, pos + 96, i1, i2, v1, v2);
    __m256i any = _mm256_or_si256(_mm256_or_si256(e0, e1),
                                  _mm256_or_si256(e2, e3));
    if (!_mm256_testz_si256(any, any)) {
      uint64_t mask[2];
      int half;
      mask[0] = MASK64(e0, e1);
      mask[1] = MASK64(e2, e3);
      for (half = 0; half < 2; half++)
        while (mask[half]) {
          size_t c = pos + 64 * (size_t)half +
                     (size_t)__builtin_ctzll(mask[half]);
          if (same(h + c, n, nn)) return c;
          if (++waste > WASTE_ALLOW(c)) { *posp = c + 1; return MB_NPOS - 1; }
          mask[half] &= mask[half] - 1;
        }
    }
    pos += 128;
  }
  *posp = pos;
  return MB_NPOS;
}
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
/* Bit k set: the needle's rare pair (offsets i1, i2) matches at p + k. */
static inline unsigned pairmask16(const unsigned char *p, size_t i1,
                                  size_t i2, __m128i v1, __m128i v2) {
  __m128i a1 = _mm_loadu_si128((const __m128i *)(p + i1));
  __m128i a2 = _mm_loadu_si128((const __m128i *)(p + i2));
  return (unsigned)_mm_movemask_epi8(
      _mm_and_si128(_mm_cmpeq_epi8(a1, v1), _mm_cmpeq_epi8(a2, v2)));
}

static size_t find_sse2(const unsigned char *h, size_t hn,
                        const unsigned char *n, size_t nn,
                        size_t i1, size_t i2, size_t *posp) {
  const __m128i v1 = _mm_set1_epi8((char)n[i1]);
  const __m128i v2 = _mm_set1_epi8((char)n[i2]);
  size_t last = hn - nn;
  size_t pos = 0, waste = 0;
  while (pos + 16 <= last + 1) {
    unsigned mask = pairmask16(h + pos, i1, i2, v1, v2);
    while (mask) {
      size_t c = pos + (size_t)__builtin_ctz(mask);
      if (same(h + c, n, nn)) return c;
      if (++waste > WASTE_ALLOW(c)) { *posp = c + 1; return MB_NPOS - 1; }
      mask &= mask - 1;
    }
    pos += 16;
  }
  *posp = pos;
  return MB_NPOS;
}
#endif

/*
** Word at a time (SWAR), for CPUs with no vectors we use: 8 positions per
** 64-bit word, two words a round.  A byte of (A ^ v1) | (B ^ v2) is zero
** exactly where both filter bytes agree; zerobytes marks those bytes
** without a borrow from one byte into the next, so every mark is a real
** candidate.  Where a byte of the word lies depends on the byte order.
*/
#define ONES ((uint64_t)0x0101010101010101ull)
#define HIGHS ((uint64_t)0x8080808080808080ull)
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define MB_BIG 1
#else
#define MB_BIG 0
#endif

static inline uint64_t load64(const unsigned char *p) {
  uint64_t w;
  memcpy(&w, p, 8);   /* any alignment; one load where the CPU allows */
  return w;
}

/* The high bit of each byte of x that is zero. */
static inline uint64_t zerobytes(uint64_t x) {
  return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

static inline int ctz64(uint64_t x) {   /* x != 0 */
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctzll(x);
#else
  int k = 0;
  while (!(x & 1)) { x >>= 1; k++; }
  return k;
#endif
}

static inline int clz64(uint64_t x) {   /* x != 0 */
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_clzll(x);
#else
  int k = 0;
  while (!(x >> 63)) { x <<= 1; k++; }
  return k;
#endif
}

/* Of the marked bytes of m (m != 0): the one at the lowest address, the
** one at the highest, and m without byte k's mark. */
static inline size_t firstbyte(uint64_t m) {
  return (size_t)(MB_BIG ? clz64(m) : ctz64(m)) >> 3;
}
static inline size_t lastbyte(uint64_t m) {
  return (size_t)(MB_BIG ? 63 - ctz64(m) : 63 - clz64(m)) >> 3;
}
static inline uint64_t dropbyte(uint64_t m, size_t k) {
  return m & ~((uint64_t)0x80 << (MB_BIG ? 8 * (7 - k) : 8 * k));
}

/* Candidates at p .. p+7 (filter bytes at offsets i1, i2). */
static inline uint64_t pairword(const unsigned char *p, size_t i1, size_t i2,
                                uint64_t v1, uint64_t v2) {
  return zerobytes((load64(p + i1) ^ v1) | (load64(p + i2) ^ v2));
}

static size_t find_swar(const unsigned char *h, size_t hn,
                        const unsigned char *n, size_t nn,
                        size_t i1, size_t i2, size_t *posp) {
  const uint64_t v1 = ONES * n[i1], v2 = ONES * n[i2];
  size_t last = hn - nn, pos = 0, waste = 0;
  while (pos + 16 <= last + 1) {
    uint64_t m[2];
    int w;
    m[0] = pairword(h + pos, i1, i2, v1, v2);
    m[1] = pairword(h + pos + 8, i1, i2, v1, v2);
    if ((m[0] | m[1]) != 0)
      for (w = 0; w < 2; w++)
        while (m[w]) {
          size_t k = firstbyte(m[w]), c = pos + 8 * (size_t)w + k;
          if (same(h + c, n, nn)) return c;
          if (++waste > WASTE_ALLOW(c)) { *posp = c + 1; return MB_NPOS - 1; }
          m[w] = dropbyte(m[w], k);
        }
    pos += 16;
  }
  *posp = pos;
  return MB_NPOS;
}

#ifdef MB_NEON
/* Four bits per position (0xF where both filter bytes agree): NEON has no
** movemask, and narrowing each 16-bit lane by 4 is the cheap equivalent. */
static inline uint64_t nibbles(uint8x16_t eq) {
  uint8x8_t nb = vshrn_n_u16(vreinterpretq_u16_u8(eq), 4);
  return vget_lane_u64(vreinterpret_u64_u8(nb), 0);
}

static inline uint8x16_t pair16(const unsigned char *p, size_t i1, size_t i2,
                                uint8x16_t v1, uint8x16_t v2) {
  return vandq_u8(vceqq_u8(vld1q_u8(p + i1), v1),
                  vceqq_u8(vld1q_u8(p + i2), v2));
}

/* 64 positions per round, tested with two ORs and one horizontal max. */
static size_t find_neon(const unsigned char *h, size_t hn,
                        const unsigned char *n, size_t nn,
                        size_t i1, size_t i2, size_t *posp) {
  const uint8x16_t v1 = vdupq_n_u8(n[i1]), v2 = vdupq_n_u8(n[i2]);
  size_t last = hn - nn, pos = 0, waste = 0;
  while (pos + 64 <= last + 1) {
    uint8x16_t e[4];
    int q;
    for (q = 0; q < 4; q++) e[q] = pair16(h + pos + 16 * (size_t)q, i1, i2, v1, v2);
    if (vmaxvq_u8(vorrq_u8(vorrq_u8(e[0], e[1]), vorrq_u8(e[2], e[3]))) != 0)
      for (q = 0; q < 4; q++) {
        uint64_t m = nibbles(e[q]);
        while (m) {
          int b = ctz64(m);
          size_t c = pos + 16 * (size_t)q + (size_t)(b >> 2);
          if (same(h + c, n, nn)) return c;
          if (++waste > WASTE_ALLOW(c)) { *posp = c + 1; return MB_NPOS - 1; }
          m &= ~((uint64_t)0xF << (b & ~3));
        }
      }
    pos += 64;
  }
  *posp = pos;
  return MB_NPOS;
}
#endif

/*
** A scan over the candidate positions with the rare pair (i1, i2).
** Forward: 0 .. *posp - 1 searched; returns a hit, MB_NPOS (the tail from
** *posp is left), or MB_NPOS - 1 (too many false candidates: the linear
** fallback from *posp).  Backward the same from the end: *posp .. hn - nn
** searched.  pick() gives the pair the SIMD level in force calls for.
*/
typedef size_t (*scanfn)(const unsigned char *h, size_t hn,
                         const unsigned char *n, size_t nn, size_t i1,
                         size_t i2, size_t *posp);
static void pick(scanfn *fwd, scanfn *back);

static size_t find1(const void *hay, size_t hn, const void *needle, size_t nn) {
  const unsigned char *h = hay, *n = needle;
  size_t i1, i2, pos = 0, r, waste = 0;
  scanfn fwd, back;
  if (nn == 0) return 0;
  if (nn > hn) return MB_NPOS;
  if (nn == 1) {
    const unsigned char *p = memchr(h, n[0], hn);
    return p ? (size_t)(p - h) : MB_NPOS;
  }
  rarepair(n, nn, &i1, &i2);
  pick(&fwd, &back);
  r = fwd(h, hn, n, nn, i1, i2, &pos);
  if (r == MB_NPOS - 1) return find_slow(h, hn, pos, n, nn);
  if (r != MB_NPOS) return r;
  /* the tail, fewer than a block of candidates, byte by byte */
  for (; pos <= hn - nn; pos++)
    if (h[pos + i1] == n[i1] && h[pos + i2] == n[i2]) {
      if (same(h + pos, n, nn)) return pos;
      if (++waste > WASTE_ALLOW(pos)) return find_slow(h, hn, pos + 1, n, nn);
    }
  return MB_NPOS;
}


/* ---------------- backward ---------------- */

/*
** Fallback when memory for the table below is short: search windows from
** the end with the forward algorithm, taking the last hit of each window.
** Windows overlap by nn - 1 bytes, so no occurrence falls between two of
** them; each window costs its width plus the needle, so this is linear only
** for needles small next to the window.
*/
static size_t rfind_windows(const unsigned char *h, size_t end,
                            const unsigned char *n, size_t nn) {
  const size_t W = (size_t)1 << 16;
  while (end > 0) {
    size_t lo = end > W ? end - W : 0;
    size_t span = end - lo + nn - 1;       /* bytes of h from lo */
    size_t best = MB_NPOS, at = 0;
    for (;;) {
      const unsigned char *r = memmem(h + lo + at, span - at, n, nn);
      if (r == NULL) break;
      best = (size_t)(r - h);
      at = best - lo + 1;
      if (at + nn > span) break;
    }
    if (best != MB_NPOS) return best;
    end = lo;
  }
  return MB_NPOS;
}

/*
** Linear-time fallback backwards: read the haystack from its end and the
** needle from its end, and match them with a table of borders (for each
** prefix of the reversed needle, the longest proper prefix that is also
** its suffix), so no haystack byte is read twice and a mismatch resumes
** from the longest part already matched.  The first match found this way
** is the last occurrence.  end is one past the last candidate position:
** bytes h[0 .. end + nn - 2] are looked at.
*/
#define REV(n, nn, i) ((n)[(nn) - 1 - (i)])

static size_t rfind_slow(const unsigned char *h, size_t end,
                         const unsigned char *n, size_t nn) {
  size_t *border, i, k, tn = end + nn - 1;
  if (end == 0) return MB_NPOS;
  if (nn > ((size_t)-1) / sizeof *border ||
      (border = malloc(nn * sizeof *border)) == NULL)
    return rfind_windows(h, end, n, nn);
  border[0] = 0;
  for (i = 1, k = 0; i < nn; i++) {
    while (k > 0 && REV(n, nn, i) != REV(n, nn, k)) k = border[k - 1];
    if (REV(n, nn, i) == REV(n, nn, k)) k++;
    border[i] = k;
  }
  for (i = 0, k = 0; i < tn; i++) {
    unsigned char c = h[tn - 1 - i];
    while (k > 0 && c != REV(n, nn, k)) k = border[k - 1];
    if (c == REV(n, nn, k) && ++k == nn) {
      free(border);
      return tn - 1 - i;   /* where the match starts, read forwards */
    }
  }
  free(border);
  return MB_NPOS;
}
#undef REV

#ifdef MB_X86
__attribute__((target("avx2")))
static size_t rfind_avx2(const unsigned char *h, size_t hn,
                         const unsigned char *n, size_t nn,
                         size_t i1, size_t i2, size_t *endp) {
  const __m256i v1 = _mm256_set1_epi8((char)n[i1]);
  const __m256i v2 = _mm256_set1_epi8((char)n[i2]);
  size_t end = hn - nn + 1;   /* candidates are 0 .. end-1 */
  size_t waste = 0, scanned = 0;
  /* the last positions one by one, until h + end + i1 is aligned */
  while (end > 0 && (((uintptr_t)h + end + i1) & 31) != 0) {
    size_t c = --end;
    if (h[c + i1] == n[i1] && h[c + i2] == n[i2] &&
        same(h + c, n, nn))
      return c;
  }
  while (end >= 128) {
    size_t pos = end - 128;
    __m256i e0 = PAIR32(h, pos, i1, i2, v1, v2);
    __m256i e1 = PAIR32(h, pos + 32, i1, i2, v1, v2);
    __m256i e2 = PAIR32(h, pos + 64, i1, i2, v1, v2);
    __m256i e3 = PAIR32(h, pos + 96, i1, i2, v1, v2);
    __m256i any = _mm256_or_si256(_mm256_or_si256(e0, e1),
                                  _mm256_or_si256(e2, e3));
    if (!_mm256_testz_si256(any, any)) {
      uint64_t mask[2];
      int half;
      mask[0] = MASK64(e0, e1);
      mask[1] = MASK64(e2, e3);
      for (half = 1; half >= 0; half--)   /* the higher positions first */
        while (mask[half]) {
          int b = 63 - __builtin_clzll(mask[half]);
          size_t c = pos + 64 * (size_t)half + (size_t)b;
          if (same(h + c, n, nn)) return c;
          if (++waste > WASTE_ALLOW(scanned)) { *endp = c; return MB_NPOS - 1; }
          mask[half] &= ~((uint64_t)1 << b);
        }
    }
    end = pos;
    scanned += 128;
  }
  *endp = end;
  return MB_NPOS;
}
#endif

#if defined(__SSE2__)
static size_t rfind_sse2(const unsigned char *h, size_t hn,
                         const unsigned char *n, size_t nn,
                         size_t i1, size_t i2, size_t *endp) {
  const __m128i v1 = _mm_set1_epi8((char)n[i1]);
  const __m128i v2 = _mm_set1_epi8((char)n[i2]);
  size_t end = hn - nn + 1;
  size_t waste = 0, scanned = 0;
  while (end >= 16) {
    size_t pos = end - 16;
    unsigned mask = pairmask16(h + pos, i1, i2, v1, v2);
    while (mask) {
      int b = 31 - __builtin_clz(mask);
      size_t c = pos + (size_t)b;
      if (same(h + c, n, nn)) return c;
      if (++waste > WASTE_ALLOW(scanned)) { *endp = c; return MB_NPOS - 1; }
      mask &= ~(1u << b);
    }
    end = pos;
    scanned += 16;
  }
  *endp = end;
  return MB_NPOS;
}
#endif

static size_t rfind_swar(const unsigned char *h, size_t hn,
                         const unsigned char *n, size_t nn,
                         size_t i1, size_t i2, size_t *endp) {
  const uint64_t v1 = ONES * n[i1], v2 = ONES * n[i2];
  size_t end = hn - nn + 1, waste = 0, scanned = 0;
  while (end >= 16) {
    size_t pos = end - 16;
    uint64_t m[2];
    int w;
    m[0] = pairword(h + pos, i1, i2, v1, v2);
    m[1] = pairword(h + pos + 8, i1, i2, v1, v2);
    if ((m[0] | m[1]) != 0)
      for (w = 1; w >= 0; w--)   /* the higher positions first */
        while (m[w]) {
          size_t k = lastbyte(m[w]), c = pos + 8 * (size_t)w + k;
          if (same(h + c, n, nn)) return c;
          if (++waste > WASTE_ALLOW(scanned)) { *endp = c; return MB_NPOS - 1; }
          m[w] = dropbyte(m[w], k);
        }
    end = pos;
    scanned += 16;
  }
  *endp = end;
  return MB_NPOS;
}

#ifdef MB_NEON
static size_t rfind_neon(const unsigned char *h, size_t hn,
                         const unsigned char *n, size_t nn,
                         size_t i1, size_t i2, size_t *endp) {
  const uint8x16_t v1 = vdupq_n_u8(n[i1]), v2 = vdupq_n_u8(n[i2]);
  size_t end = hn - nn + 1, waste = 0, scanned = 0;
  while (end >= 64) {
    size_t pos = end - 64;
    uint8x16_t e[4];
    int q;
    for (q = 0; q < 4; q++) e[q] = pair16(h + pos + 16 * (size_t)q, i1, i2, v1, v2);
    if (vmaxvq_u8(vorrq_u8(vorrq_u8(e[0], e[1]), vorrq_u8(e[2], e[3]))) != 0)
      for (q = 3; q >= 0; q--) {
        uint64_t m = nibbles(e[q]);
        while (m) {
          int b = 63 - clz64(m);
          size_t c = pos + 16 * (size_t)q + (size_t)(b >> 2);
          if (same(h + c, n, nn)) return c;
          if (++waste > WASTE_ALLOW(scanned)) { *endp = c; return MB_NPOS - 1; }
          m &= ~((uint64_t)0xF << (b & ~3));
        }
      }
    end = pos;
    scanned += 64;
  }
  *endp = end;
  return MB_NPOS;
}
#endif

static void pick(scanfn *fwd, scanfn *back) {
  int level = mb_simd_level();
  *fwd = find_swar; *back = rfind_swar;
#if defined(__SSE2__)
  if (level >= MB_SIMD_SSE2) { *fwd = find_sse2; *back = rfind_sse2; }
#endif
#ifdef MB_NEON
  if (level >= MB_SIMD_SSE2) { *fwd = find_neon; *back = rfind_neon; }
#endif
#ifdef MB_X86
  if (level >= MB_SIMD_AVX2) { *fwd = find_avx2; *back = rfind_avx2; }
#endif
  (void)level;
}

/* The last c in h[0 .. hn-1]: memrchr where the C library has it (glibc,
** musl), else words from the end, then bytes. */
static const unsigned char *lastchr(const unsigned char *h, int c, size_t hn) {
#if defined(MAPBUF_HAVE_MEMRCHR) && !defined(MB_NO_MEMRCHR)
  return memrchr(h, c, hn);
#else
  const uint64_t v = ONES * (unsigned char)c;
  while (hn >= 8) {
    uint64_t m = zerobytes(load64(h + hn - 8) ^ v);
    if (m) return h + hn - 8 + lastbyte(m);
    hn -= 8;
  }
  while (hn > 0)
    if (h[--hn] == (unsigned char)c) return h + hn;
  return NULL;
#endif
}

static size_t rfind1(const void *hay, size_t hn, const void *needle,
                     size_t nn) {
  const unsigned char *h = hay, *n = needle;
  size_t i1, i2, end = hn - nn + 1, r, waste = 0;
  scanfn fwd, back;
  if (nn == 0) return hn;
  if (nn > hn) return MB_NPOS;
  if (nn == 1) {
    const unsigned char *p = lastchr(h, n[0], hn);
    return p ? (size_t)(p - h) : MB_NPOS;
  }
  rarepair(n, nn, &i1, &i2);
  pick(&fwd, &back);
  r = back(h, hn, n, nn, i1, i2, &end);
  if (r == MB_NPOS - 1) return rfind_slow(h, end, n, nn);
  if (r != MB_NPOS) return r;
  while (end > 0) {   /* the head, byte by byte */
    size_t c = --end;
    if (h[c + i1] == n[i1] && h[c + i2] == n[i2]) {
      if (same(h + c, n, nn)) return c;
      if (++waste > WASTE_ALLOW(hn - c)) return rfind_slow(h, c, n, nn);
    }
  }
  return MB_NPOS;
}


/* ---------------- large haystacks: several cores ---------------- */

/*
** One core cannot read memory as fast as the memory can deliver (on a
** 2-core EPYC: about 15 GB/s from one core, 22-26 GB/s from two).  So a
** haystack of PAR_MIN bytes or more is cut into blocks that the calling
** thread and up to PAR_THREADS - 1 helpers take in order, from a shared
** counter.  The first block (the last, backwards) is searched alone first,
** so a hit near the start costs no thread.  Blocks are taken in scan order
** and every block taken is finished, so when all workers are done, every
** block before the best hit has been searched: the answer is exact.  A
** worker stops taking blocks that lie beyond the best hit so far.  If a
** helper cannot be started, the others do its share.
*/
#define PAR_MIN ((size_t)32 << 20)
#define PAR_BLOCK ((size_t)4 << 20)
#define PAR_THREADS 4

typedef struct Par {
  const unsigned char *h, *n;
  size_t nn, ncand;      /* candidate positions 0 .. ncand-1 */
  size_t nblocks;
  int backward;
  atomic_size_t next;    /* the next block to take */
  atomic_size_t best;    /* forward: least hit; backward: greatest hit + 1;
                            MB_NPOS / 0 while none */
} Par;

static void par_block(Par *w, size_t i) {
  size_t lo, hi, r, b;
  if (!w->backward) {
    lo = i * PAR_BLOCK;
    hi = (w->ncand - lo > PAR_BLOCK) ? lo + PAR_BLOCK : w->ncand;
    r = find1(w->h + lo, hi - lo + w->nn - 1, w->n, w->nn);
    if (r == MB_NPOS) return;
    r += lo;
    b = atomic_load(&w->best);
    while (r < b && !atomic_compare_exchange_weak(&w->best, &b, r)) {}
  }
  else {
    hi = w->ncand - i * PAR_BLOCK;
    lo = (hi > PAR_BLOCK) ? hi - PAR_BLOCK : 0;
    r = rfind1(w->h + lo, hi - lo + w->nn - 1, w->n, w->nn);
    if (r == MB_NPOS) return;
    r += lo + 1;
    b = atomic_load(&w->best);
    while (r > b && !atomic_compare_exchange_weak(&w->best, &b, r)) {}
  }
}

/* Take blocks until none is left or the rest cannot beat the best hit. */
static void *par_work(void *arg) {
  Par *w = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&w->next, 1), b;
    if (i >= w->nblocks) break;
    b = atomic_load(&w->best);
    if (!w->backward ? (b != MB_NPOS && i * PAR_BLOCK > b)
                     : (b != 0 && w->ncand - i * PAR_BLOCK <= b))
      break;
    par_block(w, i);
  }
  return NULL;
}

/* How many threads a search may use: the online cores, at most
** PAR_THREADS, or what MAPBUF_SEARCH_THREADS says (1: never a helper).
** Asked once. */
static int ncores(void) {
  static atomic_int known;   /* 0: not asked yet */
  int n = atomic_load(&known);
  if (n == 0) {
    const char *env = getenv("MAPBUF_SEARCH_THREADS");
    long c = (env != NULL && *env != '\0') ? strtol(env, NULL, 10)
                                           : mb_os_ncpu();
    n = (c < 1) ? 1 : (c > PAR_THREADS ? PAR_THREADS : (int)c);
    atomic_store(&known, n);
  }
  return n;
}

static size_t par_search(const unsigned char *h, size_t hn,
                         const unsigned char *n, size_t nn, int backward) {
  Par w;
  pthread_t th[PAR_THREADS];
  pthread_attr_t attr;
  int k, started = 0, cores = ncores();
  w.h = h; w.n = n; w.nn = nn;
  w.ncand = hn - nn + 1;
  w.nblocks = (w.ncand + PAR_BLOCK - 1) / PAR_BLOCK;
  w.backward = backward;
  atomic_init(&w.best, backward ? 0 : MB_NPOS);
  atomic_init(&w.next, 1);
  par_block(&w, 0);   /* alone first: a near hit needs no helper */
  if (atomic_load(&w.best) != (backward ? 0 : MB_NPOS) || cores < 2)
    goto rest;
  if (pthread_attr_init(&attr) == 0) {
    /* Helpers take no asynchronous signal (they are the host's business,
    ** and a handler could find itself on a thread it never knew); faults
    ** stay open, for the truncation guard. */
    mb_os_quiet_begin();
    pthread_attr_setstacksize(&attr, (size_t)64 << 10);
    for (k = 0; k < cores - 1; k++)
      if (pthread_create(&th[started], &attr, par_work, &w) == 0) started++;
    mb_os_quiet_end();
    pthread_attr_destroy(&attr);
  }
rest:
  par_work(&w);
  for (k = 0; k < started; k++) pthread_join(th[k], NULL);
  if (backward) {
    size_t b = atomic_load(&w.best);
    return b == 0 ? MB_NPOS : b - 1;
  }
  return atomic_load(&w.best);
}

size_t mb_memfind(const void *h, size_t hn, const void *needle, size_t nn) {
  if (nn >= 1 && nn <= hn && hn - nn >= PAR_MIN)
    return par_search(h, hn, needle, nn, 0);
  return find1(h, hn, needle, nn);
}

size_t mb_memrfind(const void *h, size_t hn, const void *needle, size_t nn) {
  if (nn >= 1 && nn <= hn && hn - nn >= PAR_MIN)
    return par_search(h, hn, needle, nn, 1);
  return rfind1(h, hn, needle, nn);
}
