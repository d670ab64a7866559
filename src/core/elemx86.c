/*
** elemx86.c - AVX2 and SSE2 versions of the element loops of elements.c,
** picked at run time by mb_simd_level().  Each does whole vectors from
** the start of its range and returns how many elements that was; the
** portable loop in elements.c does the rest, so a result never depends on
** the level (the tests compare them).  The contracts are in kernels.h.
**
** Integer results from doubles: NaN is masked to 0, the value clamped to
** the type's limits (integers, so clamping before rounding gives what
** rounding first would) and converted, which rounds in the current mode
** (round to nearest, ties to even, unless a program changed it), as the
** portable loop's rne does.  Reductions keep running values in vector
** lanes and fold the lanes into the caller's value at the end.
*/
#include "kernels.h"

#ifdef MB_X86
#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2")))

static inline int lvl(void) { return mb_simd_level(); }


/* ---------------- byte swaps ---------------- */

AVX2 static size_t bswap_avx2(unsigned char *d, const unsigned char *s,
                              size_t n, int size) {
  /* byte k of each element goes to size-1-k: a shuffle within 128 bits */
  char m[16];
  int k;
  size_t bytes = n * (size_t)size, i = 0;
  __m256i sh;
  for (k = 0; k < 16; k++) m[k] = (char)((k & -size) + size - 1 - (k & (size - 1)));
  sh = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)m));
  for (; i + 128 <= bytes; i += 128) {
    __m256i a = _mm256_loadu_si256((const __m256i *)(s + i));
    __m256i b = _mm256_loadu_si256((const __m256i *)(s + i + 32));
    __m256i c = _mm256_loadu_si256((const __m256i *)(s + i + 64));
    __m256i e = _mm256_loadu_si256((const __m256i *)(s + i + 96));
    _mm256_storeu_si256((__m256i *)(d + i), _mm256_shuffle_epi8(a, sh));
    _mm256_storeu_si256((__m256i *)(d + i + 32), _mm256_shuffle_epi8(b, sh));
    _mm256_storeu_si256((__m256i *)(d + i + 64), _mm256_shuffle_epi8(c, sh));
    _mm256_storeu_si256((__m256i *)(d + i + 96), _mm256_shuffle_epi8(e, sh));
  }
  for (; i + 32 <= bytes; i += 32)
    _mm256_storeu_si256((__m256i *)(d + i), _mm256_shuffle_epi8(
        _mm256_loadu_si256((const __m256i *)(s + i)), sh));
  return i / (size_t)size;
}

/* SSE2 has no byte shuffle: swap the 16-bit words into place with
** shufflelo/hi, then the bytes of each word with shifts. */
static size_t bswap_sse2(unsigned char *d, const unsigned char *s, size_t n,
                         int size) {
  size_t bytes = n * (size_t)size, i = 0;
  for (; i + 16 <= bytes; i += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
    if (size == 4) {
      x = _mm_shufflelo_epi16(x, _MM_SHUFFLE(2, 3, 0, 1));
      x = _mm_shufflehi_epi16(x, _MM_SHUFFLE(2, 3, 0, 1));
    }
    else if (size == 8) {
      x = _mm_shufflelo_epi16(x, _MM_SHUFFLE(0, 1, 2, 3));
      x = _mm_shufflehi_epi16(x, _MM_SHUFFLE(0, 1, 2, 3));
    }
    x = _mm_or_si128(_mm_slli_epi16(x, 8), _mm_srli_epi16(x, 8));
    _mm_storeu_si128((__m128i *)(d + i), x);
  }
  return i / (size_t)size;
}

size_t mbx_bswap(unsigned char *d, const unsigned char *s, size_t n,
                 int size) {
  int l = lvl();
  if (size != 2 && size != 4 && size != 8) return 0;
  if (l >= MB_SIMD_AVX2) return bswap_avx2(d, s, n, size);
  if (l >= MB_SIMD_SSE2) return bswap_sse2(d, s, n, size);
  return 0;
}


/* ---------------- elements to doubles and back ---------------- */

AVX2 static size_t load_f_avx2(int t, const unsigned char *p, size_t n,
                               double *o) {
  size_t i = 0;
  switch (t) {
    case MB_T_I8: case MB_T_U8:
      for (; i + 8 <= n; i += 8) {
        __m128i b = _mm_loadl_epi64((const __m128i *)(p + i));
        __m256i w = t == MB_T_I8 ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
        _mm256_storeu_pd(o + i, _mm256_cvtepi32_pd(_mm256_castsi256_si128(w)));
        _mm256_storeu_pd(o + i + 4, _mm256_cvtepi32_pd(_mm256_extracti128_si256(w, 1)));
      }
      break;
    case MB_T_I16: case MB_T_U16:
      for (; i + 8 <= n; i += 8) {
        __m128i b = _mm_loadu_si128((const __m128i *)(p + 2 * i));
        __m256i w = t == MB_T_I16 ? _mm256_cvtepi16_epi32(b) : _mm256_cvtepu16_epi32(b);
        _mm256_storeu_pd(o + i, _mm256_cvtepi32_pd(_mm256_castsi256_si128(w)));
        _mm256_storeu_pd(o + i + 4, _mm256_cvtepi32_pd(_mm256_extracti128_si256(w, 1)));
      }
      break;
    case MB_T_I32:
      for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(o + i, _mm256_cvtepi32_pd(
            _mm_loadu_si128((const __m128i *)(p + 4 * i))));
      break;
    case MB_T_U32: {   /* u - 2^31 fits int32; adding 2^31 back is exact */
      const __m128i flip = _mm_set1_epi32(INT32_MIN);
      const __m256d two31 = _mm256_set1_pd(2147483648.0);
      for (; i + 4 <= n; i += 4) {
        __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(p + 4 * i)), flip);
        _mm256_storeu_pd(o + i, _mm256_add_pd(_mm256_cvtepi32_pd(b), two31));
      }
      break;
    }
    case MB_T_F32:
      for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(o + i, _mm256_cvtps_pd(_mm_loadu_ps((const float *)(p + 4 * i))));
      break;
    default: break;   /* 8-byte integers: no AVX2 conversion */
  }
  return i;
}

static size_t load_f_sse2(int t, const unsigned char *p, size_t n,
                          double *o) {
  size_t i = 0;
  switch (t) {
    case MB_T_I16:
      for (; i + 4 <= n; i += 4) {   /* sign-extend by shifting back down */
        __m128i b = _mm_loadl_epi64((const __m128i *)(p + 2 * i));
        __m128i w = _mm_srai_epi32(_mm_unpacklo_epi16(b, b), 16);
        _mm_storeu_pd(o + i, _mm_cvtepi32_pd(w));
        _mm_storeu_pd(o + i + 2, _mm_cvtepi32_pd(_mm_srli_si128(w, 8)));
      }
      break;
    case MB_T_I32:
      for (; i + 4 <= n; i += 4) {
        __m128i w = _mm_loadu_si128((const __m128i *)(p + 4 * i));
        _mm_storeu_pd(o + i, _mm_cvtepi32_pd(w));
        _mm_storeu_pd(o + i + 2, _mm_cvtepi32_pd(_mm_srli_si128(w, 8)));
      }
      break;
    case MB_T_F32:
      for (; i + 4 <= n; i += 4) {
        __m128 f = _mm_loadu_ps((const float *)(p + 4 * i));
        _mm_storeu_pd(o + i, _mm_cvtps_pd(f));
        _mm_storeu_pd(o + i + 2, _mm_cvtps_pd(_mm_movehl_ps(f, f)));
      }
      break;
    default: break;
  }
  return i;
}

size_t mbx_load_f(int t, const unsigned char *p, size_t n, double *o) {
  int l = lvl();
  if (l >= MB_SIMD_AVX2) return load_f_avx2(t, p, n, o);
  if (l >= MB_SIMD_SSE2) return load_f_sse2(t, p, n, o);
  return 0;
}

/* Four doubles as int32 by the integer rule, for limits lo..hi within
** int32: NaN masked to 0, clamped, converted (which rounds in the current
** mode, as the portable rne does; clamping to integer limits first gives
** the same as rounding first). */
AVX2 static __attribute__((always_inline)) inline __m128i d2i32_avx2(
    __m256d x, __m256d lo, __m256d hi) {
  x = _mm256_and_pd(x, _mm256_cmp_pd(x, x, _CMP_ORD_Q));
  return _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(x, lo), hi));
}

AVX2 static size_t store_f_avx2(int t, unsigned char *p, size_t n,
                                const double *in) {
  size_t i = 0;
  __m256d lo, hi;
  switch (t) {
    case MB_T_I8: lo = _mm256_set1_pd(-128); hi = _mm256_set1_pd(127); break;
    case MB_T_U8: lo = _mm256_set1_pd(0); hi = _mm256_set1_pd(255); break;
    case MB_T_I16: lo = _mm256_set1_pd(-32768); hi = _mm256_set1_pd(32767); break;
    case MB_T_U16: lo = _mm256_set1_pd(0); hi = _mm256_set1_pd(65535); break;
    case MB_T_I32: lo = _mm256_set1_pd(-2147483648.0); hi = _mm256_set1_pd(2147483647.0); break;
    /* u32: shifted down by 2^31 into int32's range, shifted back as bits */
    case MB_T_U32: lo = _mm256_set1_pd(-2147483648.0); hi = _mm256_set1_pd(2147483647.0); break;
    case MB_T_F32:
      for (; i + 4 <= n; i += 4)
        _mm_storeu_ps((float *)(p + 4 * i), _mm256_cvtpd_ps(_mm256_loadu_pd(in + i)));
      return i;
    default: return 0;   /* 8-byte integers: no AVX2 conversion */
  }
  for (; i + 16 <= n; i += 16) {
    __m128i q[4];
    int k;
    for (k = 0; k < 4; k++) {
      __m256d x = _mm256_loadu_pd(in + i + 4 * k);
      if (t == MB_T_U32) {
        /* clamp to 0..2^32-1 first, then shift (exact for integers) */
        /* rounded first (in the current mode, as cvtpd_epi32 would):
        ** the shift down by 2^31 is exact only for integers */
        x = _mm256_and_pd(x, _mm256_cmp_pd(x, x, _CMP_ORD_Q));
        x = _mm256_round_pd(x, _MM_FROUND_CUR_DIRECTION);
        x = _mm256_min_pd(_mm256_max_pd(x, _mm256_setzero_pd()),
                          _mm256_set1_pd(4294967295.0));
        x = _mm256_sub_pd(x, _mm256_set1_pd(2147483648.0));
        q[k] = _mm_xor_si128(_mm256_cvtpd_epi32(x), _mm_set1_epi32(INT32_MIN));
      }
      else q[k] = d2i32_avx2(x, lo, hi);
    }
    switch (t) {
      case MB_T_I8: case MB_T_U8: {
        __m128i a = _mm_packs_epi32(q[0], q[1]), b = _mm_packs_epi32(q[2], q[3]);
        _mm_storeu_si128((__m128i *)(p + i), t == MB_T_I8 ? _mm_packs_epi16(a, b)
                                                          : _mm_packus_epi16(a, b));
        break;
      }
      case MB_T_I16:
        _mm_storeu_si128((__m128i *)(p + 2 * i), _mm_packs_epi32(q[0], q[1]));
        _mm_storeu_si128((__m128i *)(p + 2 * i + 16), _mm_packs_epi32(q[2], q[3]));
        break;
      case MB_T_U16:
        _mm_storeu_si128((__m128i *)(p + 2 * i), _mm_packus_epi32(q[0], q[1]));
        _mm_storeu_si128((__m128i *)(p + 2 * i + 16), _mm_packus_epi32(q[2], q[3]));
        break;
      default:
        for (k = 0; k < 4; k++)
          _mm_storeu_si128((__m128i *)(p + 4 * (i + 4 * (size_t)k)), q[k]);
        break;
    }
  }
  return i;
}

/* SSE2: no rounding instruction, but cvtpd_epi32 rounds in the current
** mode (the portable loop's rule too) once the value is clamped. */
static size_t store_f_sse2(int t, unsigned char *p, size_t n,
                           const double *in) {
  size_t i = 0;
  if (t == MB_T_F32) {
    for (; i + 4 <= n; i += 4) {
      __m128 a = _mm_cvtpd_ps(_mm_loadu_pd(in + i));
      __m128 b = _mm_cvtpd_ps(_mm_loadu_pd(in + i + 2));
      _mm_storeu_ps((float *)(p + 4 * i), _mm_movelh_ps(a, b));
    }
    return i;
  }
  if (t == MB_T_I16 || t == MB_T_I32) {
    __m128d lo = _mm_set1_pd(t == MB_T_I16 ? -32768.0 : -2147483648.0);
    __m128d hi = _mm_set1_pd(t == MB_T_I16 ? 32767.0 : 2147483647.0);
    for (; i + 4 <= n; i += 4) {
      __m128i q[2];
      int k;
      for (k = 0; k < 2; k++) {
        __m128d x = _mm_loadu_pd(in + i + 2 * k);
        x = _mm_and_pd(x, _mm_cmpord_pd(x, x));
        x = _mm_min_pd(_mm_max_pd(x, lo), hi);
        q[k] = _mm_cvtpd_epi32(x);   /* two int32 in the low half */
      }
      q[0] = _mm_unpacklo_epi64(q[0], q[1]);
      if (t == MB_T_I16)
        _mm_storel_epi64((__m128i *)(p + 2 * i), _mm_packs_epi32(q[0], q[0]));
      else
        _mm_storeu_si128((__m128i *)(p + 4 * i), q[0]);
    }
  }
  return i;
}

size_t mbx_store_f(int t, unsigned char *p, size_t n, const double *in) {
  int l = lvl();
  if (l >= MB_SIMD_AVX2) return store_f_avx2(t, p, n, in);
  if (l >= MB_SIMD_SSE2) return store_f_sse2(t, p, n, in);
  return 0;
}

AVX2 static size_t fop_avx2(double *a, const double *b, double x, size_t n,
                            int op) {
  size_t i = 0;
  __m256d xv = _mm256_set1_pd(x);
  for (; i + 4 <= n; i += 4) {
    __m256d u = _mm256_loadu_pd(a + i);
    __m256d v = b ? _mm256_loadu_pd(b + i) : xv;
    _mm256_storeu_pd(a + i, op == MB_OP_ADD ? _mm256_add_pd(u, v) : _mm256_mul_pd(u, v));
  }
  return i;
}

static size_t fop_sse2(double *a, const double *b, double x, size_t n,
                       int op) {
  size_t i = 0;
  __m128d xv = _mm_set1_pd(x);
  for (; i + 2 <= n; i += 2) {
    __m128d u = _mm_loadu_pd(a + i);
    __m128d v = b ? _mm_loadu_pd(b + i) : xv;
    _mm_storeu_pd(a + i, op == MB_OP_ADD ? _mm_add_pd(u, v) : _mm_mul_pd(u, v));
  }
  return i;
}

size_t mbx_fop(double *a, const double *b, double x, size_t n, int op) {
  int l = lvl();
  if (l >= MB_SIMD_AVX2) return fop_avx2(a, b, x, n, op);
  if (l >= MB_SIMD_SSE2) return fop_sse2(a, b, x, n, op);
  return 0;
}


/*
** In place, element op x, stored by the rule: load_f, fop and store_f in
** one pass for the common native types, with the same steps (so the same
** bits), for a finite x (so no NaN can arise).  Two things measured on
** an Intel Xeon (an AVX-512 KVM guest) shaped this.  A branch on the type
** or the operation inside the loop halved its speed, so each gets its own loop
** (always_inline with constant arguments).  And a loop that stores each
** result where it has just loaded the next input ran at half speed when
** its stores wait long for their data (loads seem to wait for stores
** pending to the same cache line); so each block of 2 KiB is first copied
** aside and the loop runs from the copy.
*/
#define INL __attribute__((always_inline)) inline

AVX2 static INL __m256d opd(__m256d v, __m256d x, int op) {
  return op == MB_OP_ADD ? _mm256_add_pd(v, x) : _mm256_mul_pd(v, x);
}

/* A finite x clamped and converted: the conversion rounds (in the current
** mode, as the portable rne does); clamping first to integer limits gives
** the same as rounding first. */
AVX2 static INL __m128i cvt32(__m256d x, __m256d lo, __m256d hi) {
  return _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(x, lo), hi));
}

AVX2 static INL size_t scal16(unsigned char *d, const unsigned char *s,
                              size_t n, double x, int sgn, int op) {
  const __m256d xv = _mm256_set1_pd(x);
  const __m256d lo = _mm256_set1_pd(sgn ? -32768.0 : 0.0);
  const __m256d hi = _mm256_set1_pd(sgn ? 32767.0 : 65535.0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i *q = (const __m128i *)(s + 2 * i);
    __m128i *o = (__m128i *)(d + 2 * i);
    __m128i u = _mm_loadu_si128(q), v = _mm_loadu_si128(q + 1);
    __m256i a = sgn ? _mm256_cvtepi16_epi32(u) : _mm256_cvtepu16_epi32(u);
    __m256i b = sgn ? _mm256_cvtepi16_epi32(v) : _mm256_cvtepu16_epi32(v);
    __m128i r0 = cvt32(opd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(a)), xv, op), lo, hi);
    __m128i r1 = cvt32(opd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(a, 1)), xv, op), lo, hi);
    __m128i r2 = cvt32(opd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(b)), xv, op), lo, hi);
    __m128i r3 = cvt32(opd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(b, 1)), xv, op), lo, hi);
    _mm_storeu_si128(o, sgn ? _mm_packs_epi32(r0, r1) : _mm_packus_epi32(r0, r1));
    _mm_storeu_si128(o + 1, sgn ? _mm_packs_epi32(r2, r3) : _mm_packus_epi32(r2, r3));
  }
  return i;
}

AVX2 static INL size_t scal32(unsigned char *d, const unsigned char *s,
                              size_t n, double x, int op) {
  const __m256d xv = _mm256_set1_pd(x);
  const __m256d lo = _mm256_set1_pd(-2147483648.0);
  const __m256d hi = _mm256_set1_pd(2147483647.0);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i *q = (const __m128i *)(s + 4 * i);
    __m128i *o = (__m128i *)(d + 4 * i);
    __m128i r0 = cvt32(opd(_mm256_cvtepi32_pd(_mm_loadu_si128(q)), xv, op), lo, hi);
    __m128i r1 = cvt32(opd(_mm256_cvtepi32_pd(_mm_loadu_si128(q + 1)), xv, op), lo, hi);
    _mm_storeu_si128(o, r0);
    _mm_storeu_si128(o + 1, r1);
  }
  return i;
}

AVX2 static INL size_t scalf(unsigned char *d, const unsigned char *s,
                             size_t n, double x, int f32, int op) {
  const __m256d xv = _mm256_set1_pd(x);
  size_t i = 0;
  if (f32)
    for (; i + 8 <= n; i += 8) {
      const float *q = (const float *)(s + 4 * i);
      __m128 a = _mm256_cvtpd_ps(opd(_mm256_cvtps_pd(_mm_loadu_ps(q)), xv, op));
      __m128 b = _mm256_cvtpd_ps(opd(_mm256_cvtps_pd(_mm_loadu_ps(q + 4)), xv, op));
      _mm_storeu_ps((float *)(d + 4 * i), a);
      _mm_storeu_ps((float *)(d + 4 * i + 16), b);
    }
  else
    for (; i + 8 <= n; i += 8) {
      const double *q = (const double *)(s + 8 * i);
      __m256d a = opd(_mm256_loadu_pd(q), xv, op);
      __m256d b = opd(_mm256_loadu_pd(q + 4), xv, op);
      _mm256_storeu_pd((double *)(d + 8 * i), a);
      _mm256_storeu_pd((double *)(d + 8 * i + 32), b);
    }
  return i;
}

/* d from s (disjoint), n elements: as many whole vectors as there are. */
AVX2 static size_t scal_avx2(int t, unsigned char *d, const unsigned char *s,
                             size_t n, double x, int op) {
  int add = op == MB_OP_ADD;
  switch (t) {
    case MB_T_I16: return add ? scal16(d, s, n, x, 1, MB_OP_ADD) : scal16(d, s, n, x, 1, MB_OP_MUL);
    case MB_T_U16: return add ? scal16(d, s, n, x, 0, MB_OP_ADD) : scal16(d, s, n, x, 0, MB_OP_MUL);
    case MB_T_I32: return add ? scal32(d, s, n, x, MB_OP_ADD) : scal32(d, s, n, x, MB_OP_MUL);
    case MB_T_F32: return add ? scalf(d, s, n, x, 1, MB_OP_ADD) : scalf(d, s, n, x, 1, MB_OP_MUL);
    case MB_T_F64: return add ? scalf(d, s, n, x, 0, MB_OP_ADD) : scalf(d, s, n, x, 0, MB_OP_MUL);
    default: return 0;   /* the others go through blocks of doubles */
  }
}

#define SCAL_BLOCK 2048   /* bytes copied aside at a time */

static const int tsize[8] = {1, 1, 2, 2, 4, 4, 8, 8};

size_t mbx_scalar(int t, unsigned char *p, size_t n, double x, int op) {
  unsigned char tmp[SCAL_BLOCK];
  size_t size, per, done = 0;
  if (lvl() < MB_SIMD_AVX2 || !(x - x == 0)) return 0;   /* x finite */
  if (t != MB_T_I16 && t != MB_T_U16 && t != MB_T_I32 && t != MB_T_F32 &&
      t != MB_T_F64)
    return 0;
  size = t == MB_T_F32 ? 4 : t == MB_T_F64 ? 8 : (size_t)tsize[t];
  per = SCAL_BLOCK / size;
  while (done < n) {
    size_t m = n - done < per ? n - done : per, k;
    unsigned char *b = p + done * size;
    memcpy(tmp, b, m * size);
    k = scal_avx2(t, b, tmp, m, x, op);
    done += k;
    if (k < m) break;   /* the rest is less than a vector */
  }
  return done;
}


/*
** Converting copies in one pass, native to native, disjoint: 8 elements
** at a time through int32 lanes (every integer source here fits int32
** exactly), narrowed with the saturating packs, or converted to floats
** (int32 to float32 rounds once, as (float)(double) does); float32 into
** the small integer types masks NaN, clamps in float32 (those limits are
** exact there) and converts in the current rounding mode.
*/
#define PAIR(d, s) ((d) * 16 + (s))

AVX2 static INL __m256i ld8(int st, const unsigned char *s) {
  switch (st) {
    case MB_T_I8: return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)s));
    case MB_T_U8: return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)s));
    case MB_T_I16: return _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)s));
    case MB_T_U16: return _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)s));
    default: return _mm256_loadu_si256((const __m256i *)s);   /* I32 */
  }
}

AVX2 static INL void st8(int dt, unsigned char *d, __m256i v) {
  __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1), w;
  switch (dt) {
    case MB_T_I32: _mm256_storeu_si256((__m256i *)d, v); break;
    case MB_T_I16: _mm_storeu_si128((__m128i *)d, _mm_packs_epi32(lo, hi)); break;
    case MB_T_U16: _mm_storeu_si128((__m128i *)d, _mm_packus_epi32(lo, hi)); break;
    case MB_T_I8:
      w = _mm_packs_epi32(lo, hi);
      _mm_storel_epi64((__m128i *)d, _mm_packs_epi16(w, w));
      break;
    case MB_T_U8:
      w = _mm_packs_epi32(lo, hi);
      _mm_storel_epi64((__m128i *)d, _mm_packus_epi16(w, w));
      break;
    case MB_T_F32: _mm256_storeu_ps((float *)d, _mm256_cvtepi32_ps(v)); break;
    default:   /* F64 */
      _mm256_storeu_pd((double *)d, _mm256_cvtepi32_pd(lo));
      _mm256_storeu_pd((double *)d + 4, _mm256_cvtepi32_pd(hi));
      break;
  }
}

static const int esize[10] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8};

AVX2 static INL size_t conv(unsigned char *d, const unsigned char *s,
                            size_t n, int dt, int st) {
  size_t i = 0, ds = (size_t)esize[dt], ss = (size_t)esize[st];
  if (st == MB_T_F32 && dt == MB_T_F64) {
    for (; i + 8 <= n; i += 8) {
      _mm256_storeu_pd((double *)(d + 8 * i), _mm256_cvtps_pd(_mm_loadu_ps((const float *)(s + 4 * i))));
      _mm256_storeu_pd((double *)(d + 8 * i + 32), _mm256_cvtps_pd(_mm_loadu_ps((const float *)(s + 4 * i + 16))));
    }
  }
  else if (st == MB_T_F64 && dt == MB_T_F32) {
    for (; i + 8 <= n; i += 8) {
      _mm_storeu_ps((float *)(d + 4 * i), _mm256_cvtpd_ps(_mm256_loadu_pd((const double *)(s + 8 * i))));
      _mm_storeu_ps((float *)(d + 4 * i + 16), _mm256_cvtpd_ps(_mm256_loadu_pd((const double *)(s + 8 * i + 32))));
    }
  }
  else if (st == MB_T_U32) {   /* to doubles (exact), then F32 rounds once */
    const __m128i flip = _mm_set1_epi32(INT32_MIN);
    const __m256d two31 = _mm256_set1_pd(2147483648.0);
    for (; i + 4 <= n; i += 4) {
      __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(s + 4 * i)), flip);
      __m256d x = _mm256_add_pd(_mm256_cvtepi32_pd(b), two31);
      if (dt == MB_T_F64) _mm256_storeu_pd((double *)(d + 8 * i), x);
      else _mm_storeu_ps((float *)(d + 4 * i), _mm256_cvtpd_ps(x));
    }
  }
  else if (st == MB_T_F32) {   /* to I8, U8, I16, U16 */
    const __m256 lo = _mm256_set1_ps(dt == MB_T_I8 ? -128.0f : dt == MB_T_I16 ? -32768.0f : 0.0f);
    const __m256 hi = _mm256_set1_ps(dt == MB_T_I8 ? 127.0f : dt == MB_T_U8 ? 255.0f
                                     : dt == MB_T_I16 ? 32767.0f : 65535.0f);
    for (; i + 8 <= n; i += 8) {
      __m256 x = _mm256_loadu_ps((const float *)(s + 4 * i));
      x = _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q));
      x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
      st8(dt, d + ds * i, _mm256_cvtps_epi32(x));
    }
  }
  else
    for (; i + 8 <= n; i += 8) st8(dt, d + ds * i, ld8(st, s + ss * i));
  return i;
}

AVX2 static size_t convert_avx2(int dt, unsigned char *d, int st,
                                const unsigned char *s, size_t n) {
  switch (PAIR(dt, st)) {
#define C(a, b) case PAIR(MB_T_##a, MB_T_##b): return conv(d, s, n, MB_T_##a, MB_T_##b);
    C(F32, I8) C(F32, U8) C(F32, I16) C(F32, U16) C(F32, I32) C(F32, U32)
    C(F32, F64)
    C(F64, I8) C(F64, U8) C(F64, I16) C(F64, U16) C(F64, I32) C(F64, U32)
    C(F64, F32)
    C(I32, I8) C(I32, U8) C(I32, I16) C(I32, U16)
    C(I16, I8) C(I16, U8) C(I16, U16) C(I16, I32) C(I16, F32)
    C(U16, U8) C(U16, I16) C(U16, I32) C(U16, F32)
    C(I8, I16) C(I8, I32) C(I8, F32)
    C(U8, I16) C(U8, U16) C(U8, I32) C(U8, F32)
#undef C
    default: return 0;
  }
}

size_t mbx_convert(int dt, unsigned char *d, int st, const unsigned char *s,
                   size_t n) {
  if (lvl() >= MB_SIMD_AVX2) return convert_avx2(dt, d, st, s, n);
  return 0;
}


/* ---------------- sums ---------------- */

AVX2 static uint64_t hsum64_avx2(__m256i v) {
  uint64_t l[4];
  _mm256_storeu_si256((__m256i *)l, v);
  return l[0] + l[1] + l[2] + l[3];
}

AVX2 static size_t isum_avx2(int t, const unsigned char *p, size_t n,
                             uint64_t *acc) {
  __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
  const __m256i zero = _mm256_setzero_si256();
  size_t i = 0;
  uint64_t bias = 0;
  switch (t) {
    case MB_T_I8: case MB_T_U8: {
      /* sad against zero: the sum of each 8 bytes in a 64-bit lane; int8
      ** is biased by 128 into uint8, and the bias taken off at the end */
      const __m256i flip = _mm256_set1_epi8(t == MB_T_I8 ? (char)0x80 : 0);
      for (; i + 64 <= n; i += 64) {
        __m256i a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + i)), flip);
        __m256i b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + i + 32)), flip);
        s0 = _mm256_add_epi64(s0, _mm256_sad_epu8(a, zero));
        s1 = _mm256_add_epi64(s1, _mm256_sad_epu8(b, zero));
      }
      if (t == MB_T_I8) bias = 128 * (uint64_t)i;
      break;
    }
    case MB_T_I16: case MB_T_U16: {
      /* pairs summed into int32 lanes (madd with ones), flushed into
      ** 64-bit lanes before they could overflow; uint16 is biased by
      ** -32768 into int16 */
      const __m256i ones = _mm256_set1_epi16(1);
      const __m256i flip = _mm256_set1_epi16(t == MB_T_U16 ? (short)0x8000 : 0);
      while (i + 16 <= n) {
        __m256i a32 = zero, b32 = zero;
        size_t stop = n - i > (size_t)16 * 16384 ? i + (size_t)16 * 16384 : n;
        for (; i + 32 <= stop; i += 32) {
          __m256i a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 2 * i)), flip);
          __m256i b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 2 * i + 32)), flip);
          a32 = _mm256_add_epi32(a32, _mm256_madd_epi16(a, ones));
          b32 = _mm256_add_epi32(b32, _mm256_madd_epi16(b, ones));
        }
        for (; i + 16 <= stop; i += 16) {
          __m256i a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 2 * i)), flip);
          a32 = _mm256_add_epi32(a32, _mm256_madd_epi16(a, ones));
        }
        a32 = _mm256_add_epi32(a32, b32);   /* each < 2^30 in magnitude */
        s0 = _mm256_add_epi64(s0, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(a32)));
        s1 = _mm256_add_epi64(s1, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(a32, 1)));
      }
      if (t == MB_T_U16) bias = (uint64_t)0 - 32768 * (uint64_t)i;
      break;
    }
    case MB_T_I32: case MB_T_U32:
      for (; i + 16 <= n; i += 16) {
        const __m128i *q = (const __m128i *)(p + 4 * i);
        __m128i a = _mm_loadu_si128(q), b = _mm_loadu_si128(q + 1);
        __m128i c = _mm_loadu_si128(q + 2), d = _mm_loadu_si128(q + 3);
        if (t == MB_T_I32) {
          s0 = _mm256_add_epi64(s0, _mm256_cvtepi32_epi64(a));
          s1 = _mm256_add_epi64(s1, _mm256_cvtepi32_epi64(b));
          s2 = _mm256_add_epi64(s2, _mm256_cvtepi32_epi64(c));
          s3 = _mm256_add_epi64(s3, _mm256_cvtepi32_epi64(d));
        }
        else {
          s0 = _mm256_add_epi64(s0, _mm256_cvtepu32_epi64(a));
          s1 = _mm256_add_epi64(s1, _mm256_cvtepu32_epi64(b));
          s2 = _mm256_add_epi64(s2, _mm256_cvtepu32_epi64(c));
          s3 = _mm256_add_epi64(s3, _mm256_cvtepu32_epi64(d));
        }
      }
      break;
    case MB_T_I64: case MB_T_U64:
      for (; i + 8 <= n; i += 8) {
        s0 = _mm256_add_epi64(s0, _mm256_loadu_si256((const __m256i *)(p + 8 * i)));
        s1 = _mm256_add_epi64(s1, _mm256_loadu_si256((const __m256i *)(p + 8 * i + 32)));
      }
      break;
    default: return 0;
  }
  s0 = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
  *acc += hsum64_avx2(s0) - bias;
  return i;
}

static uint64_t hsum64_sse2(__m128i v) {
  uint64_t l[2];
  _mm_storeu_si128((__m128i *)l, v);
  return l[0] + l[1];
}

static size_t isum_sse2(int t, const unsigned char *p, size_t n,
                        uint64_t *acc) {
  __m128i s0 = _mm_setzero_si128(), s1 = s0;
  const __m128i zero = _mm_setzero_si128();
  size_t i = 0;
  uint64_t bias = 0;
  switch (t) {
    case MB_T_I8: case MB_T_U8: {
      const __m128i flip = _mm_set1_epi8(t == MB_T_I8 ? (char)0x80 : 0);
      for (; i + 16 <= n; i += 16)
        s0 = _mm_add_epi64(s0, _mm_sad_epu8(_mm_xor_si128(
            _mm_loadu_si128((const __m128i *)(p + i)), flip), zero));
      if (t == MB_T_I8) bias = 128 * (uint64_t)i;
      break;
    }
    case MB_T_I16: case MB_T_U16: {
      const __m128i ones = _mm_set1_epi16(1);
      const __m128i flip = _mm_set1_epi16(t == MB_T_U16 ? (short)0x8000 : 0);
      while (i + 8 <= n) {
        __m128i a32 = zero, sign;
        size_t stop = n - i > (size_t)8 * 16384 ? i + (size_t)8 * 16384 : n;
        for (; i + 8 <= stop; i += 8)
          a32 = _mm_add_epi32(a32, _mm_madd_epi16(_mm_xor_si128(
              _mm_loadu_si128((const __m128i *)(p + 2 * i)), flip), ones));
        sign = _mm_cmpgt_epi32(zero, a32);   /* widen int32 to int64 */
        s0 = _mm_add_epi64(s0, _mm_unpacklo_epi32(a32, sign));
        s1 = _mm_add_epi64(s1, _mm_unpackhi_epi32(a32, sign));
      }
      if (t == MB_T_U16) bias = (uint64_t)0 - 32768 * (uint64_t)i;
      break;
    }
    case MB_T_I32: case MB_T_U32:
      for (; i + 4 <= n; i += 4) {
        __m128i a = _mm_loadu_si128((const __m128i *)(p + 4 * i));
        __m128i hi = t == MB_T_I32 ? _mm_cmpgt_epi32(zero, a) : zero;
        s0 = _mm_add_epi64(s0, _mm_unpacklo_epi32(a, hi));
        s1 = _mm_add_epi64(s1, _mm_unpackhi_epi32(a, hi));
      }
      break;
    case MB_T_I64: case MB_T_U64:
      for (; i + 2 <= n; i += 2)
        s0 = _mm_add_epi64(s0, _mm_loadu_si128((const __m128i *)(p + 8 * i)));
      break;
    default: return 0;
  }
  *acc += hsum64_sse2(_mm_add_epi64(s0, s1)) - bias;
  return i;
}

size_t mbx_isum(int t, const unsigned char *p, size_t n, uint64_t *acc) {
  int l = lvl();
  if (l >= MB_SIMD_AVX2) return isum_avx2(t, p, n, acc);
  if (l >= MB_SIMD_SSE2) return isum_sse2(t, p, n, acc);
  return 0;
}

/* Float sums: lanes 0-3 and 4-7 in two vectors, added in element order. */
AVX2 static size_t fsum8_avx2(int t, const unsigned char *p, size_t n,
                              double lane[8]) {
  __m256d a = _mm256_loadu_pd(lane), b = _mm256_loadu_pd(lane + 4);
  size_t i = 0;
  n &= ~(size_t)7;
  if (t == MB_T_F64)
    for (; i < n; i += 8) {
      a = _mm256_add_pd(a, _mm256_loadu_pd((const double *)(p + 8 * i)));
      b = _mm256_add_pd(b, _mm256_loadu_pd((const double *)(p + 8 * i + 32)));
    }
  else
    for (; i < n; i += 8) {
      a = _mm256_add_pd(a, _mm256_cvtps_pd(_mm_loadu_ps((const float *)(p + 4 * i))));
      b = _mm256_add_pd(b, _mm256_cvtps_pd(_mm_loadu_ps((const float *)(p + 4 * i + 16))));
    }
  _mm256_storeu_pd(lane, a);
  _mm256_storeu_pd(lane + 4, b);
  return i;
}

static size_t fsum8_sse2(int t, const unsigned char *p, size_t n,
                         double lane[8]) {
  __m128d a = _mm_loadu_pd(lane), b = _mm_loadu_pd(lane + 2);
  __m128d c = _mm_loadu_pd(lane + 4), d = _mm_loadu_pd(lane + 6);
  size_t i = 0;
  n &= ~(size_t)7;
  if (t == MB_T_F64)
    for (; i < n; i += 8) {
      const double *q = (const double *)(p + 8 * i);
      a = _mm_add_pd(a, _mm_loadu_pd(q));
      b = _mm_add_pd(b, _mm_loadu_pd(q + 2));
      c = _mm_add_pd(c, _mm_loadu_pd(q + 4));
      d = _mm_add_pd(d, _mm_loadu_pd(q + 6));
    }
  else
    for (; i < n; i += 8) {
      __m128 f = _mm_loadu_ps((const float *)(p + 4 * i));
      __m128 g = _mm_loadu_ps((const float *)(p + 4 * i + 16));
      a = _mm_add_pd(a, _mm_cvtps_pd(f));
      b = _mm_add_pd(b, _mm_cvtps_pd(_mm_movehl_ps(f, f)));
      c = _mm_add_pd(c, _mm_cvtps_pd(g));
      d = _mm_add_pd(d, _mm_cvtps_pd(_mm_movehl_ps(g, g)));
    }
  _mm_storeu_pd(lane, a);
  _mm_storeu_pd(lane + 2, b);
  _mm_storeu_pd(lane + 4, c);
  _mm_storeu_pd(lane + 6, d);
  return i;
}

size_t mbx_fsum8(int t, const unsigned char *p, size_t n, double lane[8]) {
  int l = lvl();
  if (t != MB_T_F32 && t != MB_T_F64) return 0;
  if (l >= MB_SIMD_AVX2) return fsum8_avx2(t, p, n, lane);
  if (l >= MB_SIMD_SSE2) return fsum8_sse2(t, p, n, lane);
  return 0;
}


/* ---------------- min, max, clamp ---------------- */

/* Per-type vector min and max; 64-bit ones by compare and blend (AVX2
** has no vpminsq), unsigned 64-bit ones with the sign bit flipped. */
AVX2 static inline __m256i vmin(int t, __m256i a, __m256i b) {
  switch (t) {
    case MB_T_I8: return _mm256_min_epi8(a, b);
    case MB_T_U8: return _mm256_min_epu8(a, b);
    case MB_T_I16: return _mm256_min_epi16(a, b);
    case MB_T_U16: return _mm256_min_epu16(a, b);
    case MB_T_I32: return _mm256_min_epi32(a, b);
    case MB_T_U32: return _mm256_min_epu32(a, b);
    case MB_T_I64: return _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(a, b));
    default: {
      const __m256i s = _mm256_set1_epi64x(INT64_MIN);
      return _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(_mm256_xor_si256(a, s),
                                                         _mm256_xor_si256(b, s)));
    }
  }
}

AVX2 static inline __m256i vmax(int t, __m256i a, __m256i b) {
  switch (t) {
    case MB_T_I8: return _mm256_max_epi8(a, b);
    case MB_T_U8: return _mm256_max_epu8(a, b);
    case MB_T_I16: return _mm256_max_epi16(a, b);
    case MB_T_U16: return _mm256_max_epu16(a, b);
    case MB_T_I32: return _mm256_max_epi32(a, b);
    case MB_T_U32: return _mm256_max_epu32(a, b);
    case MB_T_I64: return _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(a, b));
    default: {
      const __m256i s = _mm256_set1_epi64x(INT64_MIN);
      return _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(_mm256_xor_si256(a, s),
                                                         _mm256_xor_si256(b, s)));
    }
  }
}

/* A vector of the value v (int64, or uint64 bits) as elements of type t. */
AVX2 static inline __m256i vset(int t, int64_t v) {
  switch (t) {
    case MB_T_I8: case MB_T_U8: return _mm256_set1_epi8((char)v);
    case MB_T_I16: case MB_T_U16: return _mm256_set1_epi16((short)v);
    case MB_T_I32: case MB_T_U32: return _mm256_set1_epi32((int)v);
    default: return _mm256_set1_epi64x(v);
  }
}

/* The value of lane element k of a vector's bytes, as int64. */
static int64_t lanev(int t, const unsigned char *b, int k) {
  switch (t) {
    case MB_T_I8: return (int8_t)b[k];
    case MB_T_U8: return b[k];
    case MB_T_I16: { int16_t v; memcpy(&v, b + 2 * k, 2); return v; }
    case MB_T_U16: { uint16_t v; memcpy(&v, b + 2 * k, 2); return v; }
    case MB_T_I32: { int32_t v; memcpy(&v, b + 4 * k, 4); return v; }
    case MB_T_U32: { uint32_t v; memcpy(&v, b + 4 * k, 4); return v; }
    default: { int64_t v; memcpy(&v, b + 8 * k, 8); return v; }
  }
}

AVX2 static size_t iminmax_avx2(int t, const unsigned char *p, size_t n,
                                int max, int64_t *r) {
  int size = tsize[t], per = 32 / size, k;
  size_t i = 0;
  __m256i a = vset(t, *r), b = a;
  unsigned char lanes[32];
  int64_t v = *r;
  for (; i + 2 * (size_t)per <= n; i += 2 * (size_t)per) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(p + i * size));
    __m256i y = _mm256_loadu_si256((const __m256i *)(p + i * size + 32));
    a = max ? vmax(t, a, x) : vmin(t, a, x);
    b = max ? vmax(t, b, y) : vmin(t, b, y);
  }
  a = max ? vmax(t, a, b) : vmin(t, a, b);
  _mm256_storeu_si256((__m256i *)lanes, a);
  for (k = 0; k < per; k++) {
    int64_t x = lanev(t, lanes, k);
    int gt = t == MB_T_U64 ? (uint64_t)x > (uint64_t)v : x > v;
    int lt = t == MB_T_U64 ? (uint64_t)x < (uint64_t)v : x < v;
    if (max ? gt : lt) v = x;
  }
  *r = v;
  return i;
}

size_t mbx_iminmax(int t, const unsigned char *p, size_t n, int max,
                   int64_t *r) {
  if (t > MB_T_U64) return 0;
  if (lvl() >= MB_SIMD_AVX2) return iminmax_avx2(t, p, n, max, r);
  return 0;
}

/* min_pd(x, acc) is x < acc ? x : acc, so a NaN x leaves acc alone; the
** NaNs are noted on the side. */
AVX2 static size_t fminmax_avx2(int t, const unsigned char *p, size_t n,
                                int max, double *r, int *nan) {
  size_t i = 0;
  double v = *r;
  int k, anynan = 0;
  if (t == MB_T_F64) {
    __m256d a = _mm256_set1_pd(v), b = a, na = _mm256_setzero_pd(), nb = na;
    double l[4];
    for (; i + 8 <= n; i += 8) {
      __m256d x = _mm256_loadu_pd((const double *)(p + 8 * i));
      __m256d y = _mm256_loadu_pd((const double *)(p + 8 * i + 32));
      na = _mm256_or_pd(na, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
      nb = _mm256_or_pd(nb, _mm256_cmp_pd(y, y, _CMP_UNORD_Q));
      a = max ? _mm256_max_pd(x, a) : _mm256_min_pd(x, a);
      b = max ? _mm256_max_pd(y, b) : _mm256_min_pd(y, b);
    }
    a = max ? _mm256_max_pd(b, a) : _mm256_min_pd(b, a);
    anynan = _mm256_movemask_pd(_mm256_or_pd(na, nb)) != 0;
    _mm256_storeu_pd(l, a);
    for (k = 0; k < 4; k++) if (max ? l[k] > v : l[k] < v) v = l[k];
  }
  else {
    __m256 a = _mm256_set1_ps((float)v), b = a, na = _mm256_setzero_ps(), nb = na;
    float l[8];
    for (; i + 16 <= n; i += 16) {
      __m256 x = _mm256_loadu_ps((const float *)(p + 4 * i));
      __m256 y = _mm256_loadu_ps((const float *)(p + 4 * i + 32));
      na = _mm256_or_ps(na, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
      nb = _mm256_or_ps(nb, _mm256_cmp_ps(y, y, _CMP_UNORD_Q));
      a = max ? _mm256_max_ps(x, a) : _mm256_min_ps(x, a);
      b = max ? _mm256_max_ps(y, b) : _mm256_min_ps(y, b);
    }
    a = max ? _mm256_max_ps(b, a) : _mm256_min_ps(b, a);
    anynan = _mm256_movemask_ps(_mm256_or_ps(na, nb)) != 0;
    _mm256_storeu_ps(l, a);
    for (k = 0; k < 8; k++) if (max ? l[k] > v : l[k] < v) v = l[k];
  }
  if (anynan) *nan = 1;
  *r = v;
  return i;
}

static size_t fminmax_sse2(int t, const unsigned char *p, size_t n, int max,
                           double *r, int *nan) {
  size_t i = 0;
  double v = *r;
  int k, anynan = 0;
  if (t == MB_T_F64) {
    __m128d a = _mm_set1_pd(v), na = _mm_setzero_pd();
    double l[2];
    for (; i + 2 <= n; i += 2) {
      __m128d x = _mm_loadu_pd((const double *)(p + 8 * i));
      na = _mm_or_pd(na, _mm_cmpunord_pd(x, x));
      a = max ? _mm_max_pd(x, a) : _mm_min_pd(x, a);
    }
    anynan = _mm_movemask_pd(na) != 0;
    _mm_storeu_pd(l, a);
    for (k = 0; k < 2; k++) if (max ? l[k] > v : l[k] < v) v = l[k];
  }
  else {
    __m128 a = _mm_set1_ps((float)v), na = _mm_setzero_ps();
    float l[4];
    for (; i + 4 <= n; i += 4) {
      __m128 x = _mm_loadu_ps((const float *)(p + 4 * i));
      na = _mm_or_ps(na, _mm_cmpunord_ps(x, x));
      a = max ? _mm_max_ps(x, a) : _mm_min_ps(x, a);
    }
    anynan = _mm_movemask_ps(na) != 0;
    _mm_storeu_ps(l, a);
    for (k = 0; k < 4; k++) if (max ? l[k] > v : l[k] < v) v = l[k];
  }
  if (anynan) *nan = 1;
  *r = v;
  return i;
}

size_t mbx_fminmax(int t, const unsigned char *p, size_t n, int max,
                   double *r, int *nan) {
  int l = lvl();
  if (t != MB_T_F32 && t != MB_T_F64) return 0;
  if (l >= MB_SIMD_AVX2) return fminmax_avx2(t, p, n, max, r, nan);
  if (l >= MB_SIMD_SSE2) return fminmax_sse2(t, p, n, max, r, nan);
  return 0;
}

AVX2 static size_t iclamp_avx2(int t, unsigned char *p, size_t n, int64_t lo,
                               int64_t hi) {
  int size = tsize[t];
  size_t per = 32 / (size_t)size, i = 0;
  __m256i l = vset(t, lo), h = vset(t, hi);
  for (; i + per <= n; i += per) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(p + i * size));
    _mm256_storeu_si256((__m256i *)(p + i * size), vmin(t, vmax(t, x, l), h));
  }
  return i;
}

size_t mbx_iclamp(int t, unsigned char *p, size_t n, int64_t lo,
                  int64_t hi) {
  if (t > MB_T_U64) return 0;
  if (lvl() >= MB_SIMD_AVX2) return iclamp_avx2(t, p, n, lo, hi);
  return 0;
}

/* max_pd(l, v) is l > v ? l : v (v when either is NaN); min_pd(h, r) is
** h < r ? h : r: the portable loop's expressions. */
AVX2 static size_t fclamp_avx2(int t, unsigned char *p, size_t n, double lo,
                               double hi) {
  size_t i = 0;
  if (t == MB_T_F64) {
    __m256d l = _mm256_set1_pd(lo), h = _mm256_set1_pd(hi);
    for (; i + 4 <= n; i += 4) {
      double *q = (double *)(p + 8 * i);
      _mm256_storeu_pd(q, _mm256_min_pd(h, _mm256_max_pd(l, _mm256_loadu_pd(q))));
    }
  }
  else {
    __m256 l = _mm256_set1_ps((float)lo), h = _mm256_set1_ps((float)hi);
    for (; i + 8 <= n; i += 8) {
      float *q = (float *)(p + 4 * i);
      _mm256_storeu_ps(q, _mm256_min_ps(h, _mm256_max_ps(l, _mm256_loadu_ps(q))));
    }
  }
  return i;
}

static size_t fclamp_sse2(int t, unsigned char *p, size_t n, double lo,
                          double hi) {
  size_t i = 0;
  if (t == MB_T_F64) {
    __m128d l = _mm_set1_pd(lo), h = _mm_set1_pd(hi);
    for (; i + 2 <= n; i += 2) {
      double *q = (double *)(p + 8 * i);
      _mm_storeu_pd(q, _mm_min_pd(h, _mm_max_pd(l, _mm_loadu_pd(q))));
    }
  }
  else {
    __m128 l = _mm_set1_ps((float)lo), h = _mm_set1_ps((float)hi);
    for (; i + 4 <= n; i += 4) {
      float *q = (float *)(p + 4 * i);
      _mm_storeu_ps(q, _mm_min_ps(h, _mm_max_ps(l, _mm_loadu_ps(q))));
    }
  }
  return i;
}

size_t mbx_fclamp(int t, unsigned char *p, size_t n, double lo, double hi) {
  int l = lvl();
  if (t != MB_T_F32 && t != MB_T_F64) return 0;
  if (l >= MB_SIMD_AVX2) return fclamp_avx2(t, p, n, lo, hi);
  if (l >= MB_SIMD_SSE2) return fclamp_sse2(t, p, n, lo, hi);
  return 0;
}

#else
typedef int mb_no_x86_kernels;   /* ISO C wants something in a file */
#endif
