/*
** bytes.c - bulk byte jobs: translate bytes in place through a 256-byte
** table (bytes.translate), and count the non-overlapping occurrences of a
** string (bytes.count), a single byte by SIMD compare-and-count.
**
** Translation is a table lookup per byte.  AVX-512 VBMI looks up 64 bytes
** in two 128-byte tables held in four registers (vpermi2b on the low 7
** bits, the top bit picks the half): 4.6-7.8 ms for 64 MiB here.  AVX2's
** byte shuffle only indexes 16 bytes; a version that looks up all 16 rows
** of 16 and picks the row with blends took 25-34 ms, slower than eight
** plain lookups per 64-bit word (22 ms), so below AVX-512 the word loop
** runs.
*/
#include <string.h>

#include "kernels.h"

#ifdef MB_X86
#include <immintrin.h>
#endif


/* ---------------- translate ---------------- */

static void tr_portable(unsigned char *p, size_t n, const unsigned char *t) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    unsigned char b[8];
    int k;
    memcpy(b, p + i, 8);
    for (k = 0; k < 8; k++) b[k] = t[b[k]];
    memcpy(p + i, b, 8);
  }
  for (; i < n; i++) p[i] = t[p[i]];
}

#ifdef MB_X86
__attribute__((target("avx512f,avx512bw,avx512vbmi")))
static size_t tr_avx512(unsigned char *p, size_t n, const unsigned char *t) {
  const __m512i t0 = _mm512_loadu_si512(t), t1 = _mm512_loadu_si512(t + 64);
  const __m512i t2 = _mm512_loadu_si512(t + 128), t3 = _mm512_loadu_si512(t + 192);
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    __m512i x = _mm512_loadu_si512(p + i), y = _mm512_loadu_si512(p + i + 64);
    __m512i xl = _mm512_permutex2var_epi8(t0, x, t1);
    __m512i xh = _mm512_permutex2var_epi8(t2, x, t3);
    __m512i yl = _mm512_permutex2var_epi8(t0, y, t1);
    __m512i yh = _mm512_permutex2var_epi8(t2, y, t3);
    _mm512_storeu_si512(p + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), xl, xh));
    _mm512_storeu_si512(p + i + 64, _mm512_mask_blend_epi8(_mm512_movepi8_mask(y), yl, yh));
  }
  for (; i + 64 <= n; i += 64) {
    __m512i x = _mm512_loadu_si512(p + i);
    __m512i xl = _mm512_permutex2var_epi8(t0, x, t1);
    __m512i xh = _mm512_permutex2var_epi8(t2, x, t3);
    _mm512_storeu_si512(p + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), xl, xh));
  }
  return i;
}
#endif

void mb_translate(void *p, size_t n, const unsigned char table[256]) {
  unsigned char *q = p;
  size_t done = 0;
#ifdef MB_X86
  int l = mb_simd_level();
  if (l >= MB_SIMD_AVX512) done = tr_avx512(q, n, table);
#endif
  tr_portable(q + done, n - done, table);
}


/* ---------------- count ---------------- */

#ifdef MB_X86
/* Equal bytes are -1: subtracting them counts in 8-bit lanes, which are
** summed into 64-bit lanes (sad) every 255 rounds, before they wrap. */
__attribute__((target("avx2")))
static size_t count1_avx2(const unsigned char *h, size_t n, unsigned char c,
                          size_t *cnt) {
  const __m256i v = _mm256_set1_epi8((char)c), zero = _mm256_setzero_si256();
  __m256i total = zero;
  uint64_t l[4];
  size_t i = 0;
  while (i + 64 <= n) {
    __m256i a = zero, b = zero;
    size_t r;
    for (r = 0; r < 255 && i + 64 <= n; r++, i += 64) {
      a = _mm256_sub_epi8(a, _mm256_cmpeq_epi8(
          _mm256_loadu_si256((const __m256i *)(h + i)), v));
      b = _mm256_sub_epi8(b, _mm256_cmpeq_epi8(
          _mm256_loadu_si256((const __m256i *)(h + i + 32)), v));
    }
    total = _mm256_add_epi64(total, _mm256_add_epi64(_mm256_sad_epu8(a, zero),
                                                     _mm256_sad_epu8(b, zero)));
  }
  _mm256_storeu_si256((__m256i *)l, total);
  *cnt += (size_t)(l[0] + l[1] + l[2] + l[3]);
  return i;
}

static size_t count1_sse2(const unsigned char *h, size_t n, unsigned char c,
                          size_t *cnt) {
  const __m128i v = _mm_set1_epi8((char)c), zero = _mm_setzero_si128();
  __m128i total = zero;
  uint64_t l[2];
  size_t i = 0;
  while (i + 16 <= n) {
    __m128i a = zero;
    size_t r;
    for (r = 0; r < 255 && i + 16 <= n; r++, i += 16)
      a = _mm_sub_epi8(a, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(h + i)), v));
    total = _mm_add_epi64(total, _mm_sad_epu8(a, zero));
  }
  _mm_storeu_si128((__m128i *)l, total);
  *cnt += (size_t)(l[0] + l[1]);
  return i;
}
#endif

static size_t count1(const unsigned char *h, size_t n, unsigned char c) {
  size_t cnt = 0, i = 0;
#ifdef MB_X86
  int l = mb_simd_level();
  if (l >= MB_SIMD_AVX2) i = count1_avx2(h, n, c, &cnt);
  else if (l >= MB_SIMD_SSE2) i = count1_sse2(h, n, c, &cnt);
#endif
  for (; i < n; i++) cnt += h[i] == c;
  return cnt;
}

size_t mb_count(const void *h, size_t hn, const void *needle, size_t nn) {
  const unsigned char *s = h;
  size_t cnt = 0, pos = 0;
  if (nn == 0) return hn + 1;
  if (nn > hn) return 0;
  if (nn == 1) return count1(s, hn, *(const unsigned char *)needle);
  while (hn - pos >= nn) {   /* each hit, then on past it */
    size_t r = mb_memfind(s + pos, hn - pos, needle, nn);
    if (r == MB_NPOS) break;
    cnt++;
    pos += r + nn;
  }
  return cnt;
}
