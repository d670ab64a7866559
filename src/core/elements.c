/*
** elements.c - typed elements over raw bytes: the element descriptor, one
** element in and out with string.pack's checks, and the bulk operations
** (sum, min, max, fill, add, mul, clamp, element-wise add and mul, and
** converting copies).  The rules live here, each with a portable loop;
** elemx86.c has SIMD versions of the hot loops, which give the same bits.
**
** How a bulk job runs.  Elements go through in blocks of BLK.  A block is
** read into a buffer of doubles (when a float is involved: every integer
** of 4 bytes or less is exact there) or of 128-bit integers (integers
** only, so that sums and products are exact before they saturate),
** computed, and stored back with the destination's rounding and
** saturation.  Elements in the other byte order are swapped into a buffer
** on the way in and back on the way out, so every inner loop sees native
** elements.  When two arrays overlap, the blocks go in an order (forward,
** backward, or each from a crossing point) in which no block overwrites a
** source element that has not been read yet.
*/
#include <float.h>
#include <math.h>
#include <string.h>

#include "int128.h"
#include "kernels.h"

#define BLK 512       /* elements per block of doubles (4 KiB) */
#define BLKI 256      /* elements per block of 128-bit integers (4 KiB) */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NATIVE_BIG 1
#else
#define NATIVE_BIG 0
#endif

#ifndef MB_X86   /* no SIMD versions: every loop is the portable one */
#define mbx_bswap(d, s, n, size) 0
#define mbx_load_f(t, p, n, o) 0
#define mbx_store_f(t, p, n, in) 0
#define mbx_fop(a, b, x, n, op) 0
#define mbx_scalar(t, p, n, x, op) 0
#define mbx_convert(dt, d, st, s, n) 0
#define mbx_isum(t, p, n, acc) 0
#define mbx_fsum8(t, p, n, lane) 0
#define mbx_iminmax(t, p, n, max, r) 0
#define mbx_fminmax(t, p, n, max, r, nan) 0
#define mbx_iclamp(t, p, n, lo, hi) 0
#define mbx_fclamp(t, p, n, lo, hi) 0
#endif


/* ---------------- descriptors ---------------- */

/* A descriptor resolved for the loops. */
typedef struct Ty {
  int t;         /* MB_T_* */
  int size;
  int swap;      /* elements are in the other byte order */
  int isfloat, issigned;
} Ty;

static int resolve(const mb_elem *e, Ty *ty) {
  if (e == NULL || (e->big != 0 && e->big != 1)) return MB_E_ELEM;
  ty->size = e->size;
  ty->isfloat = e->kind == MB_ELEM_FLOAT;
  ty->issigned = e->kind == MB_ELEM_INT;
  switch (e->kind) {
    case MB_ELEM_INT: case MB_ELEM_UINT:
      switch (e->size) {
        case 1: ty->t = MB_T_I8; break;
        case 2: ty->t = MB_T_I16; break;
        case 4: ty->t = MB_T_I32; break;
        case 8: ty->t = MB_T_I64; break;
        default: return MB_E_ELEM;
      }
      if (e->kind == MB_ELEM_UINT) ty->t++;   /* MB_T_Ux follows MB_T_Ix */
      break;
    case MB_ELEM_FLOAT:
      if (e->size == 4) ty->t = MB_T_F32;
      else if (e->size == 8) ty->t = MB_T_F64;
      else return MB_E_ELEM;
      break;
    default: return MB_E_ELEM;
  }
  ty->swap = e->size > 1 && e->big != NATIVE_BIG;
  return 0;
}

int mb_elem_make(mb_elem *e, int kind, int size, int big) {
  mb_elem x;
  Ty ty;
  x.kind = kind;
  x.size = size;
  x.big = big < 0 ? NATIVE_BIG : (big != 0);
  if (size == 1) x.big = 0;
  if (resolve(&x, &ty) != 0) return MB_E_ELEM;
  *e = x;
  return 0;
}


/* ---------------- single elements ---------------- */

/* Native loads and stores at any alignment. */
#define LDST(N, T) \
  static inline T ld_##N(const unsigned char *p) { \
    T v; memcpy(&v, p, sizeof v); return v; } \
  static inline void st_##N(unsigned char *p, T v) { memcpy(p, &v, sizeof v); }
LDST(I8, int8_t) LDST(U8, uint8_t) LDST(I16, int16_t) LDST(U16, uint16_t)
LDST(I32, int32_t) LDST(U32, uint32_t) LDST(I64, int64_t)
LDST(U64, uint64_t) LDST(F32, float) LDST(F64, double)
#undef LDST

/* The size bytes at p as an unsigned integer, in the element's order. */
static uint64_t rdbits(const unsigned char *p, int size, int swap) {
  switch (size) {
    case 1: return p[0];
    case 2: { uint16_t v = ld_U16(p); return swap ? __builtin_bswap16(v) : v; }
    case 4: { uint32_t v = ld_U32(p); return swap ? __builtin_bswap32(v) : v; }
    default: { uint64_t v = ld_U64(p); return swap ? __builtin_bswap64(v) : v; }
  }
}

static void wrbits(unsigned char *p, int size, int swap, uint64_t v) {
  switch (size) {
    case 1: p[0] = (unsigned char)v; break;
    case 2: { uint16_t w = (uint16_t)v; st_U16(p, swap ? __builtin_bswap16(w) : w); break; }
    case 4: { uint32_t w = (uint32_t)v; st_U32(p, swap ? __builtin_bswap32(w) : w); break; }
    default: st_U64(p, swap ? __builtin_bswap64(v) : v); break;
  }
}

/* The value of a float's bits, and the bits of a float. */
static double f32of(uint64_t b) { uint32_t w = (uint32_t)b; float f; memcpy(&f, &w, 4); return f; }
static double f64of(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static uint64_t bitsf32(float f) { uint32_t w; memcpy(&w, &f, 4); return w; }
static uint64_t bitsf64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

/* Sign-extend the size-byte integer in the low bits of b. */
static int64_t sext(uint64_t b, int size) {
  int sh = 64 - 8 * size;
  return (int64_t)(b << sh) >> sh;   /* arithmetic shift (GCC, Clang) */
}

mb_num mb_elem_get(const mb_elem *e, const void *p) {
  Ty ty;
  uint64_t b;
  if (resolve(e, &ty) != 0) return mb_numi(0);
  b = rdbits(p, ty.size, ty.swap);
  if (ty.isfloat) return mb_numf(ty.size == 4 ? f32of(b) : f64of(b));
  return mb_numi(ty.issigned ? sext(b, ty.size) : (int64_t)b);
}

/* The bits of v as an element of type ty (native order), with
** string.pack's checks: lua_tointegerx's rule for floats into integers
** (an exact integer value in [-2^63, 2^63)), the range of sizes below 8;
** numbers into floats as Lua converts them ((float)(double)i). */
static int encode(const Ty *ty, mb_num v, uint64_t *bits) {
  if (!ty->isfloat) {
    int64_t iv;
    if (v.isfloat) {
      if (!(v.f >= -0x1p63 && v.f < 0x1p63) || v.f != floor(v.f))
        return MB_E_NOTINT;
      iv = (int64_t)v.f;
    }
    else iv = v.i;
    if (ty->size < 8) {
      int nb = 8 * ty->size;
      if (ty->issigned) {
        int64_t lim = (int64_t)1 << (nb - 1);
        if (iv < -lim || iv >= lim) return MB_E_OVERFLOW;
      }
      else if ((uint64_t)iv >= (uint64_t)1 << nb) return MB_E_UOVERFLOW;
    }
    *bits = (uint64_t)iv;
  }
  else {
    double d = v.isfloat ? v.f : (double)v.i;
    *bits = ty->size == 4 ? bitsf32((float)d) : bitsf64(d);
  }
  return 0;
}

int mb_elem_set(const mb_elem *e, void *p, mb_num v) {
  Ty ty;
  uint64_t b;
  int rc = resolve(e, &ty);
  if (rc == 0) rc = encode(&ty, v, &b);
  if (rc == 0) wrbits(p, ty.size, ty.swap, b);
  return rc;
}


/* ---------------- the rules for results ---------------- */

/* Round to nearest, ties to even, in the current rounding mode (which is
** that unless a program changed it; numpy's rint has the same rule).
** Below 2^52 adding and subtracting 2^52 leaves the rounded value; from
** 2^52 up every double is an integer. */
static inline double rne(double x) {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  double a = fabs(x);
  if (!(a < 0x1p52)) return x;
  return copysign((a + 0x1p52) - 0x1p52, x);
#else
  return nearbyint(x);
#endif
}

/* Limits of the integer types, indexed by MB_T_* (MB_T_U64's maximum is
** handled on its own). */
static const int64_t tmin[8] = {INT8_MIN, 0, INT16_MIN, 0, INT32_MIN, 0,
                                INT64_MIN, 0};
static const int64_t tmax[8] = {INT8_MAX, UINT8_MAX, INT16_MAX, UINT16_MAX,
                                INT32_MAX, UINT32_MAX, INT64_MAX, -1};

/* A double stored into integer type t: rounded to nearest even,
** saturated, NaN 0.  The result as int64 (MB_T_U64: its bits). */
static inline int64_t d2i(double x, int t) {
  if (x != x) return 0;
  x = rne(x);
  if (t == MB_T_U64) {
    if (x <= 0) return 0;
    if (x >= 0x1p64) return -1;
    return (int64_t)(uint64_t)x;
  }
  if (t == MB_T_I64) {
    if (x <= -0x1p63) return INT64_MIN;
    if (x >= 0x1p63) return INT64_MAX;
    return (int64_t)x;
  }
  if (x <= (double)tmin[t]) return tmin[t];
  if (x >= (double)tmax[t]) return tmax[t];
  return (int64_t)x;
}

static inline i128 imin128(int t) { return w_i64(tmin[t]); }
static inline i128 imax128(int t) {
  return t == MB_T_U64 ? w_u64(UINT64_MAX) : w_i64(tmax[t]);
}

/* A 128-bit integer stored into integer type t: saturated. */
static inline int64_t i2i(i128 v, int t) {
  if (w_lt(v, imin128(t))) return tmin[t];
  if (w_lt(imax128(t), v)) return t == MB_T_U64 ? -1 : tmax[t];
  return (int64_t)w_low(v);
}


/* ---------------- blocks in and out ---------------- */

/* d[i] = s[i] with each element's bytes reversed; d == s or disjoint. */
static void bswap_n(unsigned char *d, const unsigned char *s, size_t n,
                    int size) {
  size_t i = size > 1 ? mbx_bswap(d, s, n, size) : 0;
  switch (size) {
    case 2: for (; i < n; i++) st_U16(d + 2 * i, __builtin_bswap16(ld_U16(s + 2 * i))); break;
    case 4: for (; i < n; i++) st_U32(d + 4 * i, __builtin_bswap32(ld_U32(s + 4 * i))); break;
    case 8: for (; i < n; i++) st_U64(d + 8 * i, __builtin_bswap64(ld_U64(s + 8 * i))); break;
    default: if (d != s) memcpy(d, s, n); break;
  }
}

#define FOR_TYPES(X) X(I8, int8_t) X(U8, uint8_t) X(I16, int16_t) \
  X(U16, uint16_t) X(I32, int32_t) X(U32, uint32_t) X(I64, int64_t) \
  X(U64, uint64_t) X(F32, float) X(F64, double)
#define FOR_INTS(X) X(I8, int8_t) X(U8, uint8_t) X(I16, int16_t) \
  X(U16, uint16_t) X(I32, int32_t) X(U32, uint32_t) X(I64, int64_t) \
  X(U64, uint64_t)

/* n <= BLK elements of ty at p (native order unless ty says) as doubles:
** exact except 8-byte integers, which round to nearest. */
static void getf(const Ty *ty, const unsigned char *p, size_t n, double *o) {
  unsigned char tmp[BLK * 8];
  size_t i;
  if (ty->swap) { bswap_n(tmp, p, n, ty->size); p = tmp; }
  if (ty->t == MB_T_F64) { memcpy(o, p, n * 8); return; }
  i = mbx_load_f(ty->t, p, n, o);
  switch (ty->t) {
#define C(N, T) case MB_T_##N: \
    for (; i < n; i++) { o[i] = (double)ld_##N(p + i * sizeof(T)); } break;
    FOR_TYPES(C)
#undef C
  }
}

/* Store n <= BLK doubles as elements of ty at p, by the rules. */
static void putf(const Ty *ty, unsigned char *p, size_t n, const double *in) {
  unsigned char tmp[BLK * 8];
  unsigned char *q = ty->swap ? tmp : p;
  size_t i = ty->t == MB_T_F64 ? 0 : mbx_store_f(ty->t, q, n, in);
  switch (ty->t) {
    case MB_T_F32: for (; i < n; i++) st_F32(q + 4 * i, (float)in[i]); break;
    case MB_T_F64: memcpy(q, in, n * 8); break;
#define C(N, T) case MB_T_##N: \
    for (; i < n; i++) st_##N(q + i * sizeof(T), (T)d2i(in[i], MB_T_##N)); \
    break;
    FOR_INTS(C)
#undef C
  }
  if (ty->swap) bswap_n(p, tmp, n, ty->size);
}

/* Each integer type into 128 bits: the unsigned 64-bit one from its word,
** the others through int64_t (which holds every value of theirs). */
#define WIDEN_I8 w_i64
#define WIDEN_U8 w_i64
#define WIDEN_I16 w_i64
#define WIDEN_U16 w_i64
#define WIDEN_I32 w_i64
#define WIDEN_U32 w_i64
#define WIDEN_I64 w_i64
#define WIDEN_U64 w_u64

/* n <= BLKI integer elements as 128-bit integers (exact). */
static void geti(const Ty *ty, const unsigned char *p, size_t n, i128 *o) {
  unsigned char tmp[BLKI * 8];
  size_t i;
  if (ty->swap) { bswap_n(tmp, p, n, ty->size); p = tmp; }
  switch (ty->t) {
#define C(N, T) case MB_T_##N: \
    for (i = 0; i < n; i++) { o[i] = WIDEN_##N(ld_##N(p + i * sizeof(T))); } \
    break;
    FOR_INTS(C)
#undef C
  }
}

/* Store n <= BLKI 128-bit integers as elements of ty: integers saturate;
** floats (values of an integer element, within [-2^63, 2^64)) round once
** to the float's precision. */
static void puti(const Ty *ty, unsigned char *p, size_t n, const i128 *in) {
  unsigned char tmp[BLKI * 8];
  unsigned char *q = ty->swap ? tmp : p;
  size_t i;
  switch (ty->t) {
#define C(N, T) case MB_T_##N: \
    for (i = 0; i < n; i++) st_##N(q + i * sizeof(T), (T)i2i(in[i], MB_T_##N)); \
    break;
    FOR_INTS(C)
#undef C
#define C(N, T) case MB_T_##N: \
    for (i = 0; i < n; i++) { \
      i128 v = in[i]; \
      T f = w_neg(v) ? (T)(int64_t)i2i(v, MB_T_I64) : (T)(uint64_t)i2i(v, MB_T_U64); \
      st_##N(q + i * sizeof(T), f); \
    } \
    break;
    C(F32, float) C(F64, double)
#undef C
  }
  if (ty->swap) bswap_n(p, tmp, n, ty->size);
}

/* a[i] = a[i] op (b ? b[i] : x), in doubles. */
static void fop(double *a, const double *b, double x, size_t n, int op) {
  size_t i = mbx_fop(a, b, x, n, op);
  if (op == MB_OP_ADD) {
    if (b) for (; i < n; i++) a[i] += b[i];
    else for (; i < n; i++) a[i] += x;
  }
  else {
    if (b) for (; i < n; i++) a[i] *= b[i];
    else for (; i < n; i++) a[i] *= x;
  }
}

/* The same in 128-bit integers; products beyond them saturate (past every
** element type's range, so the store saturates the same way). */
static void iop(i128 *a, const i128 *b, i128 x, size_t n, int op) {
  size_t i;
  for (i = 0; i < n; i++) {
    i128 y = b ? b[i] : x;
    /* |a|, |y| < 2^64: sums are exact */
    a[i] = op == MB_OP_ADD ? w_add(a[i], y) : w_mul(a[i], y);
  }
}


/* ---------------- reductions ---------------- */

/* Pairwise combination of block sums: a binary counter of partial sums,
** so each value takes part in about log2(blocks) additions. */
typedef struct Pairwise {
  double s[64];
  int top;
  uint64_t count;
} Pairwise;

static void pw_push(Pairwise *w, double x) {
  uint64_t c;
  w->s[w->top++] = x;
  for (c = ++w->count; (c & 1) == 0; c >>= 1) {
    w->top--;
    w->s[w->top - 1] += w->s[w->top];
  }
}

static double pw_total(const Pairwise *w) {
  int i = w->top - 1;
  double r;
  if (i < 0) return 0.0;
  r = w->s[i];
  while (--i >= 0) r = w->s[i] + r;
  return r;
}

#define SUMBLK 256   /* elements per summed block (BLK is a multiple) */

/* The sum of m <= SUMBLK native float elements: lane l (0..7) adds the
** elements whose index is l modulo 8, in order, starting from -0.0 (so
** that a sum of negative zeros is -0.0); then
** ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). */
static double fblock(int t, const unsigned char *p, size_t m) {
  double lane[8] = {-0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0};
  size_t full = m & ~(size_t)7, i = mbx_fsum8(t, p, full, lane);
  int l;
  if (t == MB_T_F32)
    for (; i < full; i += 8)
      for (l = 0; l < 8; l++) lane[l] += (double)ld_F32(p + 4 * (i + l));
  else
    for (; i < full; i += 8)
      for (l = 0; l < 8; l++) lane[l] += ld_F64(p + 8 * (i + l));
  for (i = full; i < m; i++)
    lane[i - full] += t == MB_T_F32 ? (double)ld_F32(p + 4 * i)
                                    : ld_F64(p + 8 * i);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
         ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

static uint64_t isum_native(int t, const unsigned char *p, size_t n) {
  uint64_t acc = 0;
  size_t i = mbx_isum(t, p, n, &acc);
  switch (t) {
#define C(N, T) case MB_T_##N: \
    for (; i < n; i++) { acc += (uint64_t)ld_##N(p + i * sizeof(T)); } break;
    FOR_INTS(C)
#undef C
  }
  return acc;
}

int mb_arr_sum(const mb_elem *e, const void *p, size_t n, mb_num *out) {
  const unsigned char *q = p;
  unsigned char tmp[BLK * 8];
  Ty ty;
  size_t k, m, j;
  int rc = resolve(e, &ty);
  if (rc != 0) return rc;
  if (!ty.isfloat) {
    uint64_t acc = 0;
    if (!ty.swap) acc = isum_native(ty.t, q, n);
    else
      for (k = 0; k < n; k += m) {
        m = n - k < BLK ? n - k : BLK;
        bswap_n(tmp, q + k * ty.size, m, ty.size);
        acc += isum_native(ty.t, tmp, m);
      }
    *out = mb_numi((int64_t)acc);
  }
  else {
    Pairwise w;
    w.top = 0; w.count = 0;
    for (k = 0; k < n; k += m) {
      const unsigned char *b = q + k * ty.size;
      m = n - k < BLK ? n - k : BLK;
      if (ty.swap) { bswap_n(tmp, b, m, ty.size); b = tmp; }
      for (j = 0; j < m; j += SUMBLK)
        pw_push(&w, fblock(ty.t, b + j * ty.size,
                           m - j < SUMBLK ? m - j : SUMBLK));
    }
    *out = mb_numf(pw_total(&w));
  }
  return 0;
}

/* Integer min or max over native elements into *r (int64, or uint64 bits
** for MB_T_U64). */
static void iminmax_native(int t, const unsigned char *p, size_t n, int max,
                           int64_t *r) {
  size_t i = mbx_iminmax(t, p, n, max, r);
  if (t == MB_T_U64) {
    uint64_t v = (uint64_t)*r;
    for (; i < n; i++) {
      uint64_t x = ld_U64(p + 8 * i);
      if (max ? x > v : x < v) v = x;
    }
    *r = (int64_t)v;
    return;
  }
  switch (t) {
#define C(N, T) case MB_T_##N: { \
    int64_t v = *r; \
    for (; i < n; i++) { \
      int64_t x = ld_##N(p + i * sizeof(T)); \
      if (max ? x > v : x < v) v = x; \
    } \
    *r = v; break; }
    C(I8, int8_t) C(U8, uint8_t) C(I16, int16_t) C(U16, uint16_t)
    C(I32, int32_t) C(U32, uint32_t) C(I64, int64_t)
#undef C
  }
}

/* Float min or max over native elements, NaN aside (*nan set). */
static void fminmax_native(int t, const unsigned char *p, size_t n, int max,
                           double *r, int *nan) {
  size_t i = mbx_fminmax(t, p, n, max, r, nan);
  double v = *r;
  for (; i < n; i++) {
    double x = t == MB_T_F32 ? (double)ld_F32(p + 4 * i) : ld_F64(p + 8 * i);
    if (x != x) *nan = 1;
    else if (max ? x > v : x < v) v = x;
  }
  *r = v;
}

/* Is there an element whose bits are b? */
static int hasbits(const Ty *ty, const unsigned char *p, size_t n,
                   uint64_t b) {
  size_t i;
  for (i = 0; i < n; i++)
    if (rdbits(p + i * ty->size, ty->size, ty->swap) == b) return 1;
  return 0;
}

static int minmax(const mb_elem *e, const void *p, size_t n, int max,
                  mb_num *out) {
  const unsigned char *q = p;
  unsigned char tmp[BLK * 8];
  Ty ty;
  size_t k, m;
  int rc = resolve(e, &ty);
  if (rc != 0) return rc;
  if (n == 0) return 0;
  if (!ty.isfloat) {
    int64_t r = mb_elem_get(e, q).i;
    for (k = 0; k < n; k += m) {
      const unsigned char *b = q + k * ty.size;
      m = n - k < BLK ? n - k : BLK;
      if (ty.swap) { bswap_n(tmp, b, m, ty.size); b = tmp; }
      iminmax_native(ty.t, b, m, max, &r);
    }
    *out = mb_numi(r);
  }
  else {
    double r = max ? -INFINITY : INFINITY;
    int nan = 0;
    for (k = 0; k < n && !nan; k += m) {
      const unsigned char *b = q + k * ty.size;
      m = n - k < BLK ? n - k : BLK;
      if (ty.swap) { bswap_n(tmp, b, m, ty.size); b = tmp; }
      fminmax_native(ty.t, b, m, max, &r, &nan);
    }
    if (nan) r = NAN;
    else if (r == 0) {   /* -0.0 < +0.0: which zeros are there? */
      uint64_t neg = ty.size == 4 ? bitsf32(-0.0f) : bitsf64(-0.0);
      if (max) r = hasbits(&ty, q, n, 0) ? 0.0 : -0.0;
      else r = hasbits(&ty, q, n, neg) ? -0.0 : 0.0;
    }
    *out = mb_numf(r);
  }
  return 1;
}

int mb_arr_min(const mb_elem *e, const void *p, size_t n, mb_num *out) {
  return minmax(e, p, n, 0, out);
}

int mb_arr_max(const mb_elem *e, const void *p, size_t n, mb_num *out) {
  return minmax(e, p, n, 1, out);
}


/* ---------------- in place, with a number ---------------- */

/* Every element the size bytes at b: doubling copies from the front,
** then 4 KiB at a time (the source stays in the L1 cache). */
static void fillbytes(unsigned char *p, size_t n, const unsigned char *b,
                      int size) {
  size_t total = n * (size_t)size, have, step;
  int k;
  if (n == 0) return;
  for (k = 1; k < size && b[k] == b[0]; k++) {}
  if (k == size) { memset(p, b[0], total); return; }
  memcpy(p, b, (size_t)size);
  for (have = (size_t)size; have < total && have < 4096; have += step) {
    step = have < total - have ? have : total - have;
    memcpy(p + have, p, step);
  }
  for (; have < total; have += step) {   /* have is a multiple of size */
    step = have < total - have ? have : total - have;
    if (step > 4096 - 4096 % (size_t)size) step = 4096 - 4096 % (size_t)size;
    memcpy(p + have, p, step);
  }
}

int mb_arr_fill(const mb_elem *e, void *p, size_t n, mb_num v) {
  Ty ty;
  uint64_t b;
  unsigned char one[8];
  int rc = resolve(e, &ty);
  if (rc == 0) rc = encode(&ty, v, &b);
  if (rc != 0) return rc;
  wrbits(one, ty.size, ty.swap, b);
  fillbytes(p, n, one, ty.size);
  return 0;
}

/* Is the float x an integer within int64 (then *i is it)? */
static int integral(double x, int64_t *i) {
  if (!(x >= -0x1p63 && x < 0x1p63) || x != floor(x)) return 0;
  *i = (int64_t)x;
  return 1;
}

/* The number a scalar operation uses on floats of type t: numpy's rule for
** a Python scalar with a float32 array (cast to float32 first when it is
** in float32's range; else the operation is done in double and the result
** rounded to float32, which only differs for 0 * huge). */
static double fscalar(int t, mb_num x) {
  double d = x.isfloat ? x.f : (double)x.i;
  if (t == MB_T_F32 && !(fabs(d) > FLT_MAX && isfinite(d)))
    d = (double)(float)d;
  return d;
}

static int scalar_op(const mb_elem *e, void *p, size_t n, mb_num x, int op);

/* One-byte elements: the operation applied once to each of the 256
** values gives a table, and the job is a translation. */
static void bytetable(const mb_elem *e, void *p, size_t n, mb_num x, int op) {
  unsigned char tab[256];
  int i;
  for (i = 0; i < 256; i++) tab[i] = (unsigned char)i;
  scalar_op(e, tab, 256, x, op);
  mb_translate(p, n, tab);
}

static int scalar_op(const mb_elem *e, void *p, size_t n, mb_num x, int op) {
  unsigned char *q = p;
  Ty ty;
  size_t k, m;
  int64_t xi = 0;
  double xd;
  int rc = resolve(e, &ty);
  if (rc != 0 || n == 0) return rc;
  if (!ty.isfloat) {
    int isint = !x.isfloat || integral(x.f, &xi);
    if (!x.isfloat) xi = x.i;
    if (ty.size == 1 && n > 256) { bytetable(e, p, n, x, op); return 0; }
    if (ty.size == 8 && isint) {   /* exact, then saturated */
      i128 a[BLKI];
      for (k = 0; k < n; k += m) {
        m = n - k < BLKI ? n - k : BLKI;
        geti(&ty, q + k * 8, m, a);
        iop(a, NULL, w_i64(xi), m, op);
        puti(&ty, q + k * 8, m, a);
      }
      return 0;
    }
    /* Types of 4 bytes or less: exact in doubles as far as it matters (a
    ** result that rounds is beyond 2^53, so it saturates either way). */
    xd = isint ? (double)xi : x.f;
  }
  else xd = fscalar(ty.t, x);
  if (!ty.swap) {   /* fused load, operate, store, where there is one */
    size_t done = mbx_scalar(ty.t, q, n, xd, op);
    q += done * ty.size;
    n -= done;
  }
  {
    double a[BLK];
    for (k = 0; k < n; k += m) {
      m = n - k < BLK ? n - k : BLK;
      getf(&ty, q + k * ty.size, m, a);
      fop(a, NULL, xd, m, op);
      putf(&ty, q + k * ty.size, m, a);
    }
  }
  return 0;
}

int mb_arr_add(const mb_elem *e, void *p, size_t n, mb_num x) {
  return scalar_op(e, p, n, x, MB_OP_ADD);
}

int mb_arr_mul(const mb_elem *e, void *p, size_t n, mb_num x) {
  return scalar_op(e, p, n, x, MB_OP_MUL);
}

/* A clamp bound for integer type t: saturated; a float rounded first.
** For integer elements, clamping to the rounded bounds is the same as
** clamping to the bounds and rounding the result. */
static int64_t ibound(int t, mb_num b) {
  if (b.isfloat) return d2i(b.f, t);
  if (t == MB_T_U64) return b.i < 0 ? 0 : b.i;
  return b.i < tmin[t] ? tmin[t] : b.i > tmax[t] ? tmax[t] : b.i;
}

static void iclamp_native(int t, unsigned char *p, size_t n, int64_t lo,
                          int64_t hi) {
  size_t i = mbx_iclamp(t, p, n, lo, hi);
  if (t == MB_T_U64) {
    uint64_t l = (uint64_t)lo, h = (uint64_t)hi;
    for (; i < n; i++) {
      uint64_t v = ld_U64(p + 8 * i);
      v = v < l ? l : v;
      st_U64(p + 8 * i, v > h ? h : v);
    }
    return;
  }
  switch (t) {
#define C(N, T) case MB_T_##N: \
    for (; i < n; i++) { \
      int64_t v = ld_##N(p + i * sizeof(T)); \
      v = v < lo ? lo : v; \
      st_##N(p + i * sizeof(T), (T)(v > hi ? hi : v)); \
    } \
    break;
    C(I8, int8_t) C(U8, uint8_t) C(I16, int16_t) C(U16, uint16_t)
    C(I32, int32_t) C(U32, uint32_t) C(I64, int64_t)
#undef C
  }
}

static void fclamp_native(int t, unsigned char *p, size_t n, double lo,
                          double hi) {
  size_t i = mbx_fclamp(t, p, n, lo, hi);
  if (t == MB_T_F32) {
    float l = (float)lo, h = (float)hi;
    for (; i < n; i++) {
      float v = ld_F32(p + 4 * i);
      v = l > v ? l : v;
      st_F32(p + 4 * i, h < v ? h : v);
    }
  }
  else
    for (; i < n; i++) {
      double v = ld_F64(p + 8 * i);
      v = lo > v ? lo : v;
      st_F64(p + 8 * i, hi < v ? hi : v);
    }
}

int mb_arr_clamp(const mb_elem *e, void *p, size_t n, mb_num lo, mb_num hi) {
  unsigned char *q = p;
  unsigned char tmp[BLK * 8];
  Ty ty;
  size_t k, m;
  int rc = resolve(e, &ty);
  if (rc != 0 || n == 0) return rc;
  if ((lo.isfloat && lo.f != lo.f) || (hi.isfloat && hi.f != hi.f)) {
    /* a NaN bound makes every result NaN (numpy's clip): 0 in integers */
    if (!ty.isfloat) memset(p, 0, n * (size_t)ty.size);
    else mb_arr_fill(e, p, n, mb_numf(NAN));
    return 0;
  }
  if (!ty.isfloat && ty.size == 1 && n > 256) {
    unsigned char tab[256];
    int i;
    for (i = 0; i < 256; i++) tab[i] = (unsigned char)i;
    mb_arr_clamp(e, tab, 256, lo, hi);
    mb_translate(p, n, tab);
    return 0;
  }
  for (k = 0; k < n; k += m) {
    unsigned char *b = q + k * ty.size, *w = b;
    m = n - k < BLK ? n - k : BLK;
    if (ty.swap) { bswap_n(tmp, b, m, ty.size); w = tmp; }
    if (!ty.isfloat)
      iclamp_native(ty.t, w, m, ibound(ty.t, lo), ibound(ty.t, hi));
    else
      fclamp_native(ty.t, w, m, fscalar(ty.t, lo), fscalar(ty.t, hi));
    if (ty.swap) bswap_n(b, tmp, m, ty.size);
  }
  return 0;
}


/* ---------------- element-wise, two arrays ---------------- */

enum { OP_COPY = 2 };
enum { DOM_F, DOM_I, DOM_SWAP };

typedef struct Job {
  Ty dt, st;
  unsigned char *d;
  const unsigned char *s;
  int op, dom;
} Job;

/* Elements k .. k+m-1: every source and destination byte of the block is
** read before any is written. */
static void job_block(const Job *j, size_t k, size_t m) {
  unsigned char *d = j->d + k * j->dt.size;
  const unsigned char *s = j->s + k * j->st.size;
  if (j->dom == DOM_F) {
    double a[BLK], b[BLK];
    getf(&j->st, s, m, b);
    if (j->op == OP_COPY) putf(&j->dt, d, m, b);
    else {
      getf(&j->dt, d, m, a);
      fop(a, b, 0, m, j->op);
      putf(&j->dt, d, m, a);
    }
  }
  else if (j->dom == DOM_I) {
    i128 a[BLKI], b[BLKI];
    geti(&j->st, s, m, b);
    if (j->op == OP_COPY) puti(&j->dt, d, m, b);
    else {
      geti(&j->dt, d, m, a);
      iop(a, b, w_i64(0), m, j->op);
      puti(&j->dt, d, m, a);
    }
  }
  else {
    unsigned char tmp[BLK * 8];
    bswap_n(tmp, s, m, j->st.size);
    memcpy(d, tmp, m * (size_t)j->dt.size);
  }
}

static void forward(const Job *j, size_t a, size_t b, size_t blk) {
  size_t k, m;
  for (k = a; k < b; k += m) {
    m = b - k < blk ? b - k : blk;
    job_block(j, k, m);
  }
}

static void backward(const Job *j, size_t a, size_t b, size_t blk) {
  size_t k = b, m;
  while (k > a) {
    m = k - a < blk ? k - a : blk;
    k -= m;
    job_block(j, k, m);
  }
}

/*
** The order of the blocks.  With destination elements of ds bytes at D
** and source elements of ss bytes at S, let f(c) = (S + c*ss) - (D + c*ds).
** Going forward, the blocks before a boundary c have written D .. D+c*ds,
** and the source not yet read starts at S+c*ss: safe where f(c) >= 0.
** Going backward, the blocks after c have written from D+c*ds on, and the
** source not yet read ends at S+c*ss: safe where f(c) <= 0.  f is linear
** in c, so at most one crossing point m splits [0, n) into a part for
** each direction; the part done first must also leave the other part's
** source alone, which f(m) >= 0 (forward first) or f(m) <= 0 (backward
** part second) gives.
*/
static void run(const Job *j, size_t n, size_t blk) {
  uintptr_t D = (uintptr_t)j->d, S = (uintptr_t)j->s;
  size_t ds = (size_t)j->dt.size, ss = (size_t)j->st.size;
  int64_t delta, g;
  uint64_t c;
  if (!(D < S + n * ss && S < D + n * ds)) { forward(j, 0, n, blk); return; }
  delta = (int64_t)(S - D);
  g = (int64_t)ds - (int64_t)ss;
  if (g == 0) {
    if (delta >= 0) forward(j, 0, n, blk);
    else backward(j, 0, n, blk);
  }
  else if (g > 0) {   /* f falls: forward up to delta / g, then backward */
    if (delta <= 0) { backward(j, 0, n, blk); return; }
    c = (uint64_t)delta / (uint64_t)g;
    if (c >= n) { forward(j, 0, n, blk); return; }
    forward(j, 0, c, blk);
    backward(j, c, n, blk);
  }
  else {   /* f rises: forward from -delta / -g, then backward below it */
    if (delta >= 0) { forward(j, 0, n, blk); return; }
    c = (uint64_t)-delta / (uint64_t)-g;
    if (c >= n) { backward(j, 0, n, blk); return; }
    forward(j, c, n, blk);
    backward(j, 0, c, blk);
  }
}

static int binary(const mb_elem *e, void *p, const mb_elem *f, const void *q,
                  size_t n, int op) {
  Job j;
  int rc = resolve(e, &j.dt);
  if (rc == 0) rc = resolve(f, &j.st);
  if (rc != 0 || n == 0) return rc;
  j.d = p; j.s = q; j.op = op;
  if (op == OP_COPY && j.dt.t == j.st.t) {
    if (j.dt.swap == j.st.swap) {
      if (p != q) memmove(p, q, n * (size_t)j.dt.size);
      return 0;
    }
    j.dom = DOM_SWAP;
    if (p == q || (const unsigned char *)q >= j.d + n * (size_t)j.dt.size ||
        (const unsigned char *)q + n * (size_t)j.dt.size <= j.d) {
      bswap_n(p, q, n, j.dt.size);   /* in place or disjoint */
      return 0;
    }
    run(&j, n, BLK);
    return 0;
  }
  if (op == OP_COPY && !j.dt.swap && !j.st.swap &&
      ((const unsigned char *)q >= j.d + n * (size_t)j.dt.size ||
       (const unsigned char *)q + n * (size_t)j.st.size <= j.d)) {
    /* native and disjoint: a one-pass conversion where there is one */
    size_t done = mbx_convert(j.dt.t, j.d, j.st.t, j.s, n);
    j.d += done * (size_t)j.dt.size;
    j.s += done * (size_t)j.st.size;
    n -= done;
    if (n == 0) return 0;
  }
  if (!j.dt.isfloat && !j.st.isfloat)
    j.dom = DOM_I;   /* exact, then saturated */
  else if (op == OP_COPY && j.dt.isfloat && !j.st.isfloat && j.st.size == 8)
    j.dom = DOM_I;   /* 8-byte integers round once, straight to the float */
  else
    j.dom = DOM_F;
  run(&j, n, j.dom == DOM_I ? BLKI : BLK);
  return 0;
}

int mb_arr_addv(const mb_elem *e, void *p, const mb_elem *f, const void *q,
                size_t n) {
  return binary(e, p, f, q, n, MB_OP_ADD);
}

int mb_arr_mulv(const mb_elem *e, void *p, const mb_elem *f, const void *q,
                size_t n) {
  return binary(e, p, f, q, n, MB_OP_MUL);
}

int mb_arr_copy(const mb_elem *e, void *p, const mb_elem *f, const void *q,
                size_t n) {
  return binary(e, p, f, q, n, OP_COPY);
}
