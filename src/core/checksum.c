/*
** checksum.c - CRC-32 and Adler-32, giving exactly what zlib's crc32()
** and adler32() give, chainable the same way.  docs/transforms.md says
** why these are our own and not zlib's, with the figures.
**
** CRC-32 (ISO-HDLC, as zlib, PNG, zip and gzip use it) is the remainder
** of the message polynomial times x^32 modulo
**   P = x^32 + x^26 + x^23 + x^22 + x^16 + x^12 + x^11 + x^10 + x^8 + x^7
**       + x^5 + x^4 + x^2 + x + 1,
** with bits taken least significant first ("reflected"), the register
** started at all ones and inverted at the end.  In the reflected form a
** 32-bit value r stands for the polynomial whose x^d coefficient is bit
** 31-d of r, so multiplying by x is a right shift, and x^32 folds back as
** 0xEDB88320 (P without its x^32 term, reflected).  Everything below is
** built from that: the lookup tables and the folding constants are
** computed once at first use (init), not written out.
**
** Portable: slicing by 8.  tab[k][b] is the register after the byte b
** followed by k zero bytes, from 0; the register's bytes are XORed into
** the next 4 message bytes (that is what starting from a register means),
** and since the CRC from 0 is linear in the message, 8 bytes advance the
** register by the XOR of tab[7-j][byte j].
**
** With PCLMULQDQ: folding.  Load 16 message bytes little-endian into a
** 128-bit lane; lane bit t is the coefficient of x^(127-t) of those bytes'
** polynomial A.  Split A = H x^64 + L (H the low 64 bits, L the high).
** Moving A forward by D bits of message multiplies it by x^D, and
**   A x^D = H x^(D+64) + L x^D == H (x^(D+64) mod P) + L (x^D mod P),
** two products of 64 by 32 bits: two carry-less multiplications whose
** 96-bit sum is XORed into the lane of message D bits further on.  A
** carry-less product of two 64-bit reflected values has bit t holding
** x^(126-t), one short of the lane's x^(127-t), so the constants carry
** one factor of x less: x^(D+63) and x^(D-1) mod P.  Four lanes fold by
** 512 bits each round (64 bytes); at the end they fold into one by 128
** bits, and the last lane (16 bytes that are congruent to everything
** before them) and the tail go through the tables.
**
** Adler-32: a = 1 + the sum of the bytes, b = the sum of the a's, both
** modulo 65521.  Reducing once per NMAX = 5552 bytes keeps b within 32
** bits: 5552 is the largest n with 255 n (n+1) / 2 + (n+1) (65521-1) <=
** 2^32 - 1 (the worst case: a and b start at 65520, every byte 255).  SIMD
** works on 32-byte (AVX2) or 16-byte (SSE2) chunks: over a chunk c[0..k),
** a grows by sum c[i] and b by k a + sum (k-i) c[i], so per chunk the
** vectors add the bytes (sad), the weighted bytes (multiply-add by
** k..1), and the running byte sum of the chunks before (for the k a term).
** A start value whose halves are not below 65521 (no Adler-32 is) is
** reduced first, as zlib does for every length but 1.
*/
#include <pthread.h>
#include <string.h>

#include "kernels.h"

#ifdef MB_X86
#include <immintrin.h>
#endif

#define POLY 0xEDB88320u   /* P - x^32, reflected */

static uint32_t tab[8][256];
static uint64_t kfold[4];   /* x^575, x^511 (by 512 bits), x^191, x^127 */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* x^e mod P, reflected: 1 is bit 31; each step multiplies by x. */
static uint32_t xpow(unsigned e) {
  uint32_t r = 0x80000000u;
  while (e--) r = (r & 1) ? (r >> 1) ^ POLY : r >> 1;
  return r;
}

static void init(void) {
  int b, k;
  for (b = 0; b < 256; b++) {
    uint32_t r = (uint32_t)b;
    for (k = 0; k < 8; k++) r = (r & 1) ? (r >> 1) ^ POLY : r >> 1;
    tab[0][b] = r;
  }
  for (k = 1; k < 8; k++)
    for (b = 0; b < 256; b++)
      tab[k][b] = (tab[k - 1][b] >> 8) ^ tab[0][tab[k - 1][b] & 0xff];
  /* a polynomial of degree < 32 as a 64-bit reflected operand (bit t is
  ** x^(63-t)) is the 32-bit reflected value shifted up by 32 */
  kfold[0] = (uint64_t)xpow(512 + 63) << 32;
  kfold[1] = (uint64_t)xpow(512 - 1) << 32;
  kfold[2] = (uint64_t)xpow(128 + 63) << 32;
  kfold[3] = (uint64_t)xpow(128 - 1) << 32;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* The register c advanced over n bytes (no inversions). */
static uint32_t crc_tables(uint32_t c, const unsigned char *p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t a = c ^ le32(p), b = le32(p + 4);
    c = tab[7][a & 0xff] ^ tab[6][(a >> 8) & 0xff] ^
        tab[5][(a >> 16) & 0xff] ^ tab[4][a >> 24] ^
        tab[3][b & 0xff] ^ tab[2][(b >> 8) & 0xff] ^
        tab[1][(b >> 16) & 0xff] ^ tab[0][b >> 24];
  }
  while (n--) c = (c >> 8) ^ tab[0][(c ^ *p++) & 0xff];
  return c;
}

#ifdef MB_X86
#define CLMUL __attribute__((target("pclmul,sse2")))

CLMUL static inline __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
                       _mm_clmulepi64_si128(x, k, 0x11));
}

/* n >= 64. */
CLMUL static uint32_t crc_clmul(uint32_t c, const unsigned char *p,
                                size_t n) {
  const __m128i k512 = _mm_set_epi64x((long long)kfold[1], (long long)kfold[0]);
  const __m128i k128 = _mm_set_epi64x((long long)kfold[3], (long long)kfold[2]);
  __m128i x0 = _mm_loadu_si128((const __m128i *)p);
  __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
  __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
  __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
  unsigned char last[16];
  x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)c));   /* the register */
  for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
    x0 = _mm_xor_si128(fold(x0, k512), _mm_loadu_si128((const __m128i *)p));
    x1 = _mm_xor_si128(fold(x1, k512), _mm_loadu_si128((const __m128i *)(p + 16)));
    x2 = _mm_xor_si128(fold(x2, k512), _mm_loadu_si128((const __m128i *)(p + 32)));
    x3 = _mm_xor_si128(fold(x3, k512), _mm_loadu_si128((const __m128i *)(p + 48)));
  }
  x0 = _mm_xor_si128(fold(x0, k128), x1);
  x0 = _mm_xor_si128(fold(x0, k128), x2);
  x0 = _mm_xor_si128(fold(x0, k128), x3);
  for (; n >= 16; p += 16, n -= 16)
    x0 = _mm_xor_si128(fold(x0, k128), _mm_loadu_si128((const __m128i *)p));
  _mm_storeu_si128((__m128i *)last, x0);
  return crc_tables(crc_tables(0, last, 16), p, n);
}
#endif

uint32_t mb_crc32(uint32_t crc, const void *p, size_t n) {
  uint32_t c = ~crc;
  if (n == 0) return crc;
  pthread_once(&once, init);
#ifdef MB_X86
  if (n >= 64 && mb_simd_clmul()) return ~crc_clmul(c, p, n);
#endif
  return ~crc_tables(c, p, n);
}


/* ---------------- Adler-32 ---------------- */

#define BASE 65521u
#define NMAX 5552

static void adler_portable(uint32_t *pa, uint32_t *pb,
                           const unsigned char *p, size_t n) {
  uint32_t a = *pa, b = *pb;
  while (n > 0) {
    size_t k = n < NMAX ? n : NMAX;
    n -= k;
    for (; k >= 8; k -= 8, p += 8) {
      a += p[0]; b += a; a += p[1]; b += a; a += p[2]; b += a;
      a += p[3]; b += a; a += p[4]; b += a; a += p[5]; b += a;
      a += p[6]; b += a; a += p[7]; b += a;
    }
    for (; k > 0; k--) { a += *p++; b += a; }
    a %= BASE;
    b %= BASE;
  }
  *pa = a; *pb = b;
}

#ifdef MB_X86
/* The SIMD loops below keep, per lane, the sum of the bytes (l1), the sum
** of the bytes weighted by their place in a block of w (l2), and the sum
** of l1 before each block (lp).  Over chunks blocks of w bytes, a grows by
** the bytes' sum and b by w*a per block plus those weighted sums. */
static void adler_fold(uint64_t *a, uint64_t *b, const uint32_t *l1,
                       const uint32_t *l2, const uint32_t *lp, int lanes,
                       uint64_t w, size_t chunks) {
  uint64_t t1 = 0, t2 = 0, tp = 0;
  int k;
  for (k = 0; k < lanes; k++) { t1 += l1[k]; t2 += l2[k]; tp += lp[k]; }
  *b = (*b + w * *a * chunks + w * tp + t2) % BASE;
  *a = (*a + t1) % BASE;
}

__attribute__((target("avx2")))
static size_t adler_avx2(uint32_t *pa, uint32_t *pb, const unsigned char *p,
                         size_t n) {
  const __m256i zero = _mm256_setzero_si256(), ones = _mm256_set1_epi16(1);
  const __m256i w = _mm256_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24, 23,
      22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
      3, 2, 1);
  uint64_t a = *pa, b = *pb;
  size_t done = 0;
  while (n - done >= 32) {
    size_t chunks = (n - done < NMAX ? n - done : NMAX) / 32, i;
    __m256i s1 = zero, s2 = zero, ps = zero;
    uint32_t l1[8], l2[8], lp[8];
    for (i = 0; i < chunks; i++, done += 32) {
      __m256i x = _mm256_loadu_si256((const __m256i *)(p + done));
      ps = _mm256_add_epi32(ps, s1);
      s1 = _mm256_add_epi32(s1, _mm256_sad_epu8(x, zero));
      s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones));
    }
    _mm256_storeu_si256((__m256i *)l1, s1);
    _mm256_storeu_si256((__m256i *)l2, s2);
    _mm256_storeu_si256((__m256i *)lp, ps);
    adler_fold(&a, &b, l1, l2, lp, 8, 32, chunks);
  }
  *pa = (uint32_t)a; *pb = (uint32_t)b;
  return done;
}

static size_t adler_sse2(uint32_t *pa, uint32_t *pb, const unsigned char *p,
                         size_t n) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i wlo = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
  const __m128i whi = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
  uint64_t a = *pa, b = *pb;
  size_t done = 0;
  while (n - done >= 16) {
    size_t chunks = (n - done < NMAX ? n - done : NMAX) / 16, i;
    __m128i s1 = zero, s2 = zero, ps = zero;
    uint32_t l1[4], l2[4], lp[4];
    for (i = 0; i < chunks; i++, done += 16) {
      __m128i x = _mm_loadu_si128((const __m128i *)(p + done));
      ps = _mm_add_epi32(ps, s1);
      s1 = _mm_add_epi32(s1, _mm_sad_epu8(x, zero));
      s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpacklo_epi8(x, zero), wlo));
      s2 = _mm_add_epi32(s2, _mm_madd_epi16(_mm_unpackhi_epi8(x, zero), whi));
    }
    _mm_storeu_si128((__m128i *)l1, s1);
    _mm_storeu_si128((__m128i *)l2, s2);
    _mm_storeu_si128((__m128i *)lp, ps);
    adler_fold(&a, &b, l1, l2, lp, 4, 16, chunks);
  }
  *pa = (uint32_t)a; *pb = (uint32_t)b;
  return done;
}
#endif

uint32_t mb_adler32(uint32_t adler, const void *p, size_t n) {
  const unsigned char *q = p;
  uint32_t a = (adler & 0xffff) % BASE, b = (adler >> 16) % BASE;
  size_t done = 0;
#ifdef MB_X86
  {
    int l = mb_simd_level();
    if (l >= MB_SIMD_AVX2) done = adler_avx2(&a, &b, q, n);
    else if (l >= MB_SIMD_SSE2) done = adler_sse2(&a, &b, q, n);
  }
#endif
  adler_portable(&a, &b, q + done, n - done);
  return a | b << 16;
}
