/*
** test_elements.c - typed elements (elements.c, elemx86.c) against a
** reference written here from the rules in mapbuf.h and
** docs/transforms.md, one element at a time with no SIMD and no shared
** code: every element type in both byte orders, every operation, at every
** SIMD level, on sizes 0..70 and around the vector and block widths, at
** unaligned addresses, with the limits, ties, NaN, infinities and signed
** zeros in the data and among the numbers; overlapping arrays in both
** directions and with element sizes that grow and shrink; and hand-made
** cases of each rule (rounding ties, saturation, NaN, string.pack's
** checks, numpy's float32 scalar rule).
*/
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mapbuf.h"
#include "check.h"

__extension__ typedef __int128 i128;

static unsigned long long rng = 0x853C49E6748FEA9BULL;
static uint64_t rnd64(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng * 0x2545F4914F6CDD1DULL;
}
static unsigned rnd(void) { return (unsigned)(rnd64() >> 33); }

static const int levels[] = {MB_SIMD_NONE, MB_SIMD_SSE2, MB_SIMD_AVX2,
                             MB_SIMD_AVX512};

/* The 18 element types: 8 integer and 2 float, sizes above 1 in both
** orders. */
static mb_elem types[18];
static int ntypes;

static void maketypes(void) {
  static const int kinds[3] = {MB_ELEM_INT, MB_ELEM_UINT, MB_ELEM_FLOAT};
  int k, s, big;
  for (k = 0; k < 3; k++)
    for (s = 1; s <= 8; s *= 2)
      for (big = 0; big <= 1; big++) {
        if (kinds[k] == MB_ELEM_FLOAT && s < 4) continue;
        if (s == 1 && big) continue;
        CHECK_RC(mb_elem_make(&types[ntypes++], kinds[k], s, big), 0);
      }
  CHECK(ntypes == 18);
}

static const char *tname(const mb_elem *e) {
  static char bufs[2][8];
  static int which;
  char *b = bufs[which ^= 1];
  snprintf(b, sizeof bufs[0], "%c%c%d", e->big ? '>' : '<',
           e->kind == MB_ELEM_INT ? 'i' : e->kind == MB_ELEM_UINT ? 'u' : 'f',
           e->size);
  return b;
}


/* ---------------- the reference ---------------- */

typedef struct V { int isf; i128 i; double d; } V;

static uint64_t rawget(const mb_elem *e, const unsigned char *p) {
  uint64_t v = 0;
  int k;
  for (k = 0; k < e->size; k++) {
    int byte = e->big ? k : e->size - 1 - k;   /* most significant first */
    v = v << 8 | p[byte];
  }
  return v;
}

static void rawput(const mb_elem *e, unsigned char *p, uint64_t v) {
  int k;
  for (k = 0; k < e->size; k++) {
    int byte = e->big ? e->size - 1 - k : k;   /* least significant first */
    p[byte] = (unsigned char)(v >> (8 * k));
  }
}

static V ref_get(const mb_elem *e, const unsigned char *p) {
  V v = {0, 0, 0};
  uint64_t b = rawget(e, p);
  if (e->kind == MB_ELEM_FLOAT) {
    v.isf = 1;
    if (e->size == 4) { uint32_t w = (uint32_t)b; float f; memcpy(&f, &w, 4); v.d = f; }
    else memcpy(&v.d, &b, 8);
  }
  else if (e->kind == MB_ELEM_UINT || e->size == 8) {
    v.i = e->kind == MB_ELEM_UINT ? (i128)b : (i128)(int64_t)b;
  }
  else {
    int sh = 64 - 8 * e->size;
    int64_t s = (int64_t)(b << sh);
    v.i = s / ((int64_t)1 << sh);   /* exact: the low bits are zero */
  }
  return v;
}

static i128 tmin(const mb_elem *e) {
  if (e->kind == MB_ELEM_UINT) return 0;
  return -((i128)1 << (8 * e->size - 1));
}
static i128 tmax(const mb_elem *e) {
  if (e->kind == MB_ELEM_UINT) return ((i128)1 << (8 * e->size)) - 1;
  return ((i128)1 << (8 * e->size - 1)) - 1;
}

/* Round to nearest, ties to even, by floor and the distance to it. */
static double ref_rint(double d) {
  double f, diff;
  if (!(fabs(d) < 0x1p52)) return d;
  f = floor(d);
  diff = d - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return fmod(f, 2) == 0 ? f : f + 1;
}

static i128 ref_sat(const mb_elem *e, i128 v) {
  return v < tmin(e) ? tmin(e) : v > tmax(e) ? tmax(e) : v;
}

/* v < d and v > d exactly, for |v| < 2^65 and d not NaN (no long
** double: valgrind computes those in double precision). */
static int lt_id(i128 v, double d) {
  double f;
  if (d >= 0x1p65) return 1;
  if (d <= -0x1p65) return 0;
  f = floor(d);
  return v < (i128)f || (v == (i128)f && d > f);
}
static int gt_id(i128 v, double d) {
  double f;
  if (d >= 0x1p65) return 0;
  if (d <= -0x1p65) return 1;
  f = floor(d);
  return v > (i128)f;
}

static i128 ref_d2i(const mb_elem *e, double d) {
  double r;
  if (d != d) return 0;
  r = ref_rint(d);
  if (!lt_id(tmin(e), r)) return tmin(e);   /* r <= min */
  if (!gt_id(tmax(e), r)) return tmax(e);   /* r >= max */
  return (i128)r;
}

static void ref_put(const mb_elem *e, unsigned char *p, V v) {
  if (e->kind != MB_ELEM_FLOAT)
    rawput(e, p, (uint64_t)(v.isf ? ref_d2i(e, v.d) : ref_sat(e, v.i)));
  else {
    double d;
    if (v.isf) d = v.d;
    else if (v.i < 0) d = e->size == 4 ? (double)(float)(int64_t)v.i : (double)(int64_t)v.i;
    else d = e->size == 4 ? (double)(float)(uint64_t)v.i : (double)(uint64_t)v.i;
    if (e->size == 4) {
      float f = (float)d;
      uint32_t w;
      memcpy(&w, &f, 4);
      rawput(e, p, w);
    }
    else {
      uint64_t b;
      memcpy(&b, &d, 8);
      rawput(e, p, b);
    }
  }
}

static double vd(V v) { return v.isf ? v.d : (double)v.i; }

/* A number as an integer if it is one (what the kernels treat as exact). */
static int num_int(mb_num x, i128 *i) {
  if (!x.isfloat) { *i = x.i; return 1; }
  if (x.f >= -0x1p63 && x.f < 0x1p63 && x.f == floor(x.f)) {
    *i = (int64_t)x.f;
    return 1;
  }
  return 0;
}

static i128 exact_op(i128 a, i128 b, int mul) {
  i128 r;
  if (!mul) return a + b;
  if (__builtin_mul_overflow(a, b, &r))
    return ((a < 0) != (b < 0)) ? -((i128)1 << 126) : ((i128)1 << 126);
  return r;
}

enum { OP_ADD, OP_MUL, OP_CLAMP, OP_FILL };

/* The result of element v op x (the rules in mapbuf.h). */
static V ref_scalar(const mb_elem *e, V v, mb_num x, int op) {
  V r = {1, 0, 0};
  double xd = x.isfloat ? x.f : (double)x.i;
  if (e->kind != MB_ELEM_FLOAT) {
    i128 xi;
    int isint = num_int(x, &xi);
    if (e->size == 8 && isint) {
      r.isf = 0;
      r.i = exact_op(v.i, xi, op == OP_MUL);
      return r;
    }
    r.d = op == OP_MUL ? (double)vd(v) * xd : (double)vd(v) + xd;
    return r;
  }
  if (e->size == 4 && !(fabs(xd) > FLT_MAX && isfinite(xd)))
    xd = (float)xd;   /* numpy: a Python float meets float32 as float32 */
  r.d = op == OP_MUL ? v.d * xd : v.d + xd;
  return r;
}

/* clamp: as numbers, min(max(v, lo), hi); a NaN bound makes NaN (0). */
static V ref_clamp(const mb_elem *e, V v, mb_num lo, mb_num hi) {
  V r = v;
  int nanb = (lo.isfloat && lo.f != lo.f) || (hi.isfloat && hi.f != hi.f);
  if (e->kind != MB_ELEM_FLOAT) {
    if (nanb) { r.isf = 0; r.i = 0; return r; }
    /* as real numbers, then the result stored by the rule */
    if (lo.isfloat ? lt_id(r.i, lo.f) : r.i < lo.i) {
      r.isf = lo.isfloat; r.d = lo.f; r.i = lo.i;
    }
    if (hi.isfloat ? (r.isf ? r.d > hi.f : gt_id(r.i, hi.f))
                   : (r.isf ? lt_id(hi.i, r.d) : r.i > hi.i)) {
      r.isf = hi.isfloat; r.d = hi.f; r.i = hi.i;
    }
    return r;
  }
  else {
    double l = lo.isfloat ? lo.f : (double)lo.i, h = hi.isfloat ? hi.f : (double)hi.i;
    if (e->size == 4) { l = (float)l; h = (float)h; }
    if (nanb) { r.d = NAN; return r; }
    if (l > r.d) r.d = l;
    if (h < r.d) r.d = h;
    return r;
  }
}

static V ref_binary(const mb_elem *e, V a, const mb_elem *f, V b, int op) {
  V r = {1, 0, 0};
  if (op == 2) {   /* copy */
    (void)e;
    (void)f;
    return b;
  }
  if (!a.isf && !b.isf) {
    r.isf = 0;
    r.i = exact_op(a.i, b.i, op == OP_MUL);
    return r;
  }
  r.d = op == OP_MUL ? vd(a) * vd(b) : vd(a) + vd(b);
  return r;
}


/* ---------------- data ---------------- */

static double special(void) {
  static const double s[] = {0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5,
      1.0, -1.0, 127.5, 128.5, -128.5, 255.5, 32767.5, -32768.5, 65535.5,
      2147483647.5, -2147483648.5, 4294967295.5, 0x1p63, -0x1p63, 0x1p64,
      1e300, -1e300, 3.4e38, 1e-310, FLT_MIN / 4, 16777216.0, 0x1p53 + 2,
      0.49999999999999994, INFINITY, -INFINITY, NAN};
  return s[rnd() % (sizeof s / sizeof s[0])];
}

/* n random elements of e at p: random bits, limits and special values. */
static void fillrandom(const mb_elem *e, unsigned char *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char *q = p + i * (size_t)e->size;
    unsigned r = rnd() % 8;
    if (e->kind == MB_ELEM_FLOAT) {
      V v = {1, 0, 0};
      if (r < 3) v.d = special();
      else if (r < 6) v.d = (double)(int)(rnd() % 2001 - 1000) / 4;
      else { uint64_t b = rnd64(); rawput(e, q, b); continue; }
      ref_put(e, q, v);
    }
    else {
      V v = {0, 0, 0};
      if (r == 0) v.i = tmin(e);
      else if (r == 1) v.i = tmax(e);
      else if (r < 4) v.i = (int)(rnd() % 21) - 10;
      else { rawput(e, q, rnd64()); continue; }
      ref_put(e, q, v);
    }
  }
}

static mb_num randnum(void) {
  static const int64_t ints[] = {0, 1, -1, 2, 3, -3, 100, -128, 255, 32767,
      -32768, 65536, 2147483647, INT64_MAX, INT64_MIN, 4294967296LL};
  if (rnd() % 3 == 0) return mb_numi(ints[rnd() % (sizeof ints / sizeof ints[0])]);
  if (rnd() % 4 == 0) return mb_numi((int64_t)rnd64());
  {
    static const double fl[] = {0.5, 1.5, 2.5, -0.5, -2.5, 0.8, 0.1, 3.0,
        -1.0, 1e-300, 1e300, -1e300, 3.4e38, 1e39, 1e19, 0x1p63, -0.0,
        INFINITY, -INFINITY, NAN, 0.50000001, 1000.25, -7.75};
    return mb_numf(fl[rnd() % (sizeof fl / sizeof fl[0])]);
  }
}

/* Equal elements: the same bits, or both NaN. */
static int same(const mb_elem *e, const unsigned char *a,
                const unsigned char *b) {
  if (memcmp(a, b, (size_t)e->size) == 0) return 1;
  if (e->kind == MB_ELEM_FLOAT) {
    V x = ref_get(e, a), y = ref_get(e, b);
    return x.d != x.d && y.d != y.d;
  }
  return 0;
}

static int failures;

static void report(const char *what, const mb_elem *e, const mb_elem *f,
                   size_t n, size_t k) {
  if (failures++ < 20)
    fprintf(stderr, "  %s %s%s%s n=%zu at %zu, level %d\n", what, tname(e),
            f ? " <- " : "", f ? tname(f) : "", n, k, mb_simd(-1));
}

/* The whole buffer (guard bytes too) as the reference says. */
static void compare(const char *what, const mb_elem *e, const mb_elem *f,
                    const unsigned char *got, const unsigned char *want,
                    size_t total, size_t off, size_t n) {
  size_t k;
  for (k = 0; k < total; k++)
    if (got[k] != want[k]) {
      size_t el = k < off ? 0 : (k - off) / (size_t)e->size;
      if (k >= off && el < n &&
          same(e, got + off + el * (size_t)e->size, want + off + el * (size_t)e->size)) {
        k = off + (el + 1) * (size_t)e->size - 1;
        continue;
      }
      CHECK(0);
      report(what, e, f, n, el);
      if (failures < 6 && k >= off && el < n) {
        V g = ref_get(e, got + off + el * (size_t)e->size);
        V w = ref_get(e, want + off + el * (size_t)e->size);
        fprintf(stderr, "    got %.17g want %.17g\n", vd(g), vd(w));
      }
      return;
    }
  CHECK(1);
}

static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
    50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,
    68, 69, 70, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024,
    1025, 4095, 4096, 4097};
#define NSIZES (sizeof sizes / sizeof sizes[0])


/* ---------------- random tests against the reference ---------------- */

/* add, mul, clamp, fill on one array. */
static void unary(const mb_elem *e, size_t n, int op) {
  size_t off = rnd() % 8, total = off + n * (size_t)e->size + 8, k;
  unsigned char *got = malloc(total), *want = malloc(total);
  mb_num x = randnum(), y = randnum();
  int rc = 0, wrc = 0;
  for (k = 0; k < total; k++) got[k] = (unsigned char)rnd();
  fillrandom(e, got + off, n);
  memcpy(want, got, total);
  if (op == OP_FILL) {
    unsigned char one[8];
    wrc = mb_elem_set(e, one, x);
    if (wrc == 0)
      for (k = 0; k < n; k++) memcpy(want + off + k * (size_t)e->size, one, (size_t)e->size);
    rc = mb_arr_fill(e, got + off, n, x);
  }
  else {
    for (k = 0; k < n; k++) {
      unsigned char *q = want + off + k * (size_t)e->size;
      V v = ref_get(e, q);
      ref_put(e, q, op == OP_CLAMP ? ref_clamp(e, v, x, y) : ref_scalar(e, v, x, op));
    }
    if (op == OP_ADD) rc = mb_arr_add(e, got + off, n, x);
    else if (op == OP_MUL) rc = mb_arr_mul(e, got + off, n, x);
    else rc = mb_arr_clamp(e, got + off, n, x, y);
  }
  CHECK(rc == wrc);
  compare(op == OP_ADD ? "add" : op == OP_MUL ? "mul" : op == OP_CLAMP ? "clamp" : "fill",
          e, NULL, got, want, total, off, n);
  if (failures && failures < 4 && memcmp(got, want, total) != 0)
    fprintf(stderr, "    x = %s%.17g, y = %s%.17g\n", x.isfloat ? "" : "int ",
            x.isfloat ? x.f : (double)x.i, y.isfloat ? "" : "int ",
            y.isfloat ? y.f : (double)y.i);
  free(got);
  free(want);
}

/* addv, mulv, copy between two disjoint arrays. */
static void binary(const mb_elem *e, const mb_elem *f, size_t n, int op) {
  size_t off = rnd() % 8, soff = rnd() % 8;
  size_t total = off + n * (size_t)e->size + 8, k;
  unsigned char *got = malloc(total), *want = malloc(total);
  unsigned char *src = malloc(soff + n * (size_t)f->size + 1);
  int rc;
  for (k = 0; k < total; k++) got[k] = (unsigned char)rnd();
  fillrandom(e, got + off, n);
  fillrandom(f, src + soff, n);
  memcpy(want, got, total);
  for (k = 0; k < n; k++) {
    unsigned char *q = want + off + k * (size_t)e->size;
    ref_put(e, q, ref_binary(e, ref_get(e, q), f, ref_get(f, src + soff + k * (size_t)f->size), op));
  }
  rc = op == OP_ADD ? mb_arr_addv(e, got + off, f, src + soff, n)
     : op == OP_MUL ? mb_arr_mulv(e, got + off, f, src + soff, n)
     : mb_arr_copy(e, got + off, f, src + soff, n);
  CHECK_RC(rc, 0);
  compare(op == OP_ADD ? "addv" : op == OP_MUL ? "mulv" : "copy", e, f, got,
          want, total, off, n);
  free(got);
  free(want);
  free(src);
}

/* The same, with both arrays in one buffer, overlapping: the result must
** be as if the source had been read whole first. */
static void overlap(const mb_elem *e, const mb_elem *f, size_t n, int op) {
  size_t span = n * (size_t)(e->size > f->size ? e->size : f->size);
  size_t total = 2 * span + 16, doff = rnd() % (span + 8), soff = rnd() % (span + 8), k;
  unsigned char *got = malloc(total), *want = malloc(total), *src;
  int rc;
  if (doff + n * (size_t)e->size > total) doff = total - n * (size_t)e->size;
  if (soff + n * (size_t)f->size > total) soff = total - n * (size_t)f->size;
  for (k = 0; k < total; k++) got[k] = (unsigned char)rnd();
  fillrandom(f, got + soff, n);
  fillrandom(e, got + doff, n);   /* may overwrite part of the source */
  memcpy(want, got, total);
  src = malloc(n * (size_t)f->size + 1);
  memcpy(src, want + soff, n * (size_t)f->size);
  for (k = 0; k < n; k++) {
    unsigned char *q = want + doff + k * (size_t)e->size;
    ref_put(e, q, ref_binary(e, ref_get(e, q), f, ref_get(f, src + k * (size_t)f->size), op));
  }
  rc = op == OP_ADD ? mb_arr_addv(e, got + doff, f, got + soff, n)
     : op == OP_MUL ? mb_arr_mulv(e, got + doff, f, got + soff, n)
     : mb_arr_copy(e, got + doff, f, got + soff, n);
  CHECK_RC(rc, 0);
  /* a destination element that was also a NaN source may differ in bits
  ** only as NaNs may, which compare() allows */
  compare(op == OP_ADD ? "addv/overlap" : op == OP_MUL ? "mulv/overlap" : "copy/overlap",
          e, f, got, want, total, doff, n);
  free(got);
  free(want);
  free(src);
}

/* sum, min, max. */
static void reductions(const mb_elem *e, size_t n) {
  size_t off = rnd() % 8, k;
  unsigned char *p = malloc(off + n * (size_t)e->size + 1);
  mb_num s, mn, mx;
  int rmin, rmax;
  fillrandom(e, p + off, n);
  CHECK_RC(mb_arr_sum(e, p + off, n, &s), 0);
  rmin = mb_arr_min(e, p + off, n, &mn);
  rmax = mb_arr_max(e, p + off, n, &mx);
  CHECK(rmin == (n > 0) && rmax == (n > 0));
  if (e->kind != MB_ELEM_FLOAT) {
    uint64_t acc = 0;
    i128 lo = 0, hi = 0;
    for (k = 0; k < n; k++) {
      i128 v = ref_get(e, p + off + k * (size_t)e->size).i;
      acc += (uint64_t)v;
      if (k == 0 || v < lo) lo = v;
      if (k == 0 || v > hi) hi = v;
    }
    CHECK(!s.isfloat && (uint64_t)s.i == acc);
    if (n > 0) {
      CHECK(!mn.isfloat && (uint64_t)mn.i == (uint64_t)lo);
      CHECK(!mx.isfloat && (uint64_t)mx.i == (uint64_t)hi);
    }
  }
  else {
    /* the documented order: blocks of 256, lane l takes the elements l
    ** modulo 8 from -0.0, lanes ((0+1)+(2+3))+((4+5)+(6+7)), blocks
    ** combined pairwise by a binary counter */
    double stack[64], want;
    int top = 0, nan = 0, anyneg0 = 0, anypos0 = 0;
    size_t blocks = 0, b;
    double lo = INFINITY, hi = -INFINITY;
    for (b = 0; b < n; b += 256) {
      double lane[8] = {-0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0};
      size_t m = n - b < 256 ? n - b : 256, c;
      for (k = 0; k < m; k++) lane[k % 8] += ref_get(e, p + off + (b + k) * (size_t)e->size).d;
      stack[top++] = ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                     ((lane[4] + lane[5]) + (lane[6] + lane[7]));
      for (c = ++blocks; (c & 1) == 0; c >>= 1) { top--; stack[top - 1] += stack[top]; }
    }
    want = top ? stack[top - 1] : 0.0;
    while (--top > 0) want = stack[top - 1] + want;
    CHECK(s.isfloat && (memcmp(&s.f, &want, 8) == 0 || (s.f != s.f && want != want)));
    for (k = 0; k < n; k++) {
      double v = ref_get(e, p + off + k * (size_t)e->size).d;
      if (v != v) nan = 1;
      else {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (v == 0 && signbit(v)) anyneg0 = 1;
        if (v == 0 && !signbit(v)) anypos0 = 1;
      }
    }
    if (lo == 0) lo = anyneg0 ? -0.0 : 0.0;
    if (hi == 0) hi = anypos0 ? 0.0 : -0.0;
    if (n > 0) {
      if (nan) CHECK(mn.f != mn.f && mx.f != mx.f);
      else {
        CHECK(memcmp(&mn.f, &lo, 8) == 0);
        CHECK(memcmp(&mx.f, &hi, 8) == 0);
      }
    }
  }
  free(p);
}

static void random_tests(void) {
  static const size_t bsizes[] = {0, 1, 5, 17, 33, 70, 129, 257, 1025};
  int l, t, u, op;
  size_t s;
  for (l = 0; l < 4; l++) {
    mb_simd(levels[l]);
    for (t = 0; t < ntypes; t++)
      for (s = 0; s < NSIZES; s++) {
        for (op = OP_ADD; op <= OP_FILL; op++) unary(&types[t], sizes[s], op);
        reductions(&types[t], sizes[s]);
      }
    for (t = 0; t < ntypes; t++)
      for (u = 0; u < ntypes; u++)
        for (s = 0; s < sizeof bsizes / sizeof bsizes[0]; s++)
          for (op = 0; op < 3; op++) binary(&types[t], &types[u], bsizes[s], op);
    for (s = 0; s < 3000; s++) {
      t = (int)(rnd() % (unsigned)ntypes);
      u = rnd() % 3 ? (int)(rnd() % (unsigned)ntypes) : t;
      overlap(&types[t], &types[u], rnd() % 3 ? rnd() % 70 : rnd() % 3000, (int)(rnd() % 3));
    }
  }
  mb_simd(MB_SIMD_AVX512);
}

/* The same job at every level gives the same bytes (on large random
** arrays, where the vector loops do nearly everything). */
static void levels_agree(void) {
  size_t n = 20000, k;
  int t, u, op, l;
  for (t = 0; t < ntypes; t++)
    for (op = 0; op < 5; op++) {
      const mb_elem *e = &types[t], *f = &types[(t + 7) % ntypes];
      size_t bytes = n * (size_t)e->size + 3;
      unsigned char *base = malloc(bytes), *res[4], *src = malloc(n * 8 + 3);
      mb_num x = randnum(), y = randnum(), sum[4];
      fillrandom(e, base + 3, n - 1);
      fillrandom(f, src + 1, n);
      for (l = 0; l < 4; l++) {
        mb_simd(levels[l]);
        res[l] = malloc(bytes);
        memcpy(res[l], base, bytes);
        switch (op) {
          case 0: mb_arr_mul(e, res[l] + 3, n - 1, x); break;
          case 1: mb_arr_add(e, res[l] + 3, n - 1, x); break;
          case 2: mb_arr_clamp(e, res[l] + 3, n - 1, x, y); break;
          case 3: mb_arr_copy(e, res[l] + 3, f, src + 1, n - 1); break;
          default: mb_arr_mulv(e, res[l] + 3, f, src + 1, n - 1); break;
        }
        mb_arr_sum(e, res[l] + 3, n - 1, &sum[l]);
      }
      for (l = 1; l < 4; l++) {
        int ok = 1;
        for (k = 0; k + 1 < n && ok; k++)
          ok = same(e, res[0] + 3 + k * (size_t)e->size, res[l] + 3 + k * (size_t)e->size);
        CHECK(ok);
        if (!ok) report("levels", e, NULL, n, k - 1);
        CHECK(sum[0].isfloat == sum[l].isfloat);
        CHECK(sum[0].isfloat ? (sum[0].f == sum[l].f || (sum[0].f != sum[0].f && sum[l].f != sum[l].f))
                             : sum[0].i == sum[l].i);
      }
      for (l = 0; l < 4; l++) free(res[l]);
      free(base);
      free(src);
    }
  (void)u;
  mb_simd(MB_SIMD_AVX512);
}


/* ---------------- hand-made cases of each rule ---------------- */

static mb_elem mk(int kind, int size, int big) {
  mb_elem e;
  CHECK_RC(mb_elem_make(&e, kind, size, big), 0);
  return e;
}

static void descriptors(void) {
  mb_elem e;
  CHECK_RC(mb_elem_make(&e, MB_ELEM_INT, 3, 0), MB_E_ELEM);
  CHECK_RC(mb_elem_make(&e, MB_ELEM_FLOAT, 2, 0), MB_E_ELEM);
  CHECK_RC(mb_elem_make(&e, MB_ELEM_FLOAT, 1, 0), MB_E_ELEM);
  CHECK_RC(mb_elem_make(&e, 0, 4, 0), MB_E_ELEM);
  CHECK_RC(mb_elem_make(&e, MB_ELEM_UINT, 16, 0), MB_E_ELEM);
  CHECK_RC(mb_elem_make(&e, MB_ELEM_UINT, 1, 1), 0);
  CHECK(e.big == 0);   /* one byte has no order */
  CHECK_RC(mb_elem_make(&e, MB_ELEM_INT, 4, -1), 0);
  {
    unsigned x = 1;
    CHECK(e.big == (*(unsigned char *)&x == 0));   /* native */
  }
  e.big = 2;   /* not made by mb_elem_make */
  {
    mb_num s;
    unsigned char b[8] = {0};
    CHECK_RC(mb_arr_sum(&e, b, 1, &s), MB_E_ELEM);
    CHECK_RC(mb_arr_add(&e, b, 1, mb_numi(1)), MB_E_ELEM);
    CHECK_RC(mb_elem_set(&e, b, mb_numi(1)), MB_E_ELEM);
  }
  CHECK(strcmp(mb_strerror(MB_E_ELEM), "invalid element type") == 0);
  CHECK(strcmp(mb_strerror(MB_E_OVERFLOW), "integer overflow") == 0);
  CHECK(strcmp(mb_strerror(MB_E_UOVERFLOW), "unsigned overflow") == 0);
  CHECK(strcmp(mb_strerror(MB_E_NOTINT), "number has no integer representation") == 0);
}

static void getset(void) {
  const unsigned char b[8] = {0x01, 0x02, 0x03, 0x84, 0x05, 0x06, 0x07, 0x88};
  mb_elem li4 = mk(MB_ELEM_INT, 4, 0), bi4 = mk(MB_ELEM_INT, 4, 1);
  mb_elem lu8 = mk(MB_ELEM_UINT, 8, 0), bi2 = mk(MB_ELEM_INT, 2, 1);
  mb_elem lf = mk(MB_ELEM_FLOAT, 4, 0), bd = mk(MB_ELEM_FLOAT, 8, 1);
  mb_elem i1 = mk(MB_ELEM_INT, 1, 0), u1 = mk(MB_ELEM_UINT, 1, 0);
  mb_elem u2 = mk(MB_ELEM_UINT, 2, 0), i8 = mk(MB_ELEM_INT, 8, 0);
  unsigned char w[9];
  mb_num v;
  CHECK(mb_elem_get(&li4, b).i == (int32_t)0x84030201u);
  CHECK(mb_elem_get(&bi4, b).i == 0x01020384);
  CHECK(mb_elem_get(&lu8, b).i == (int64_t)0x8807060584030201ULL);   /* bits */
  CHECK(mb_elem_get(&bi2, b + 3).i == (int16_t)0x8405);
  CHECK(mb_elem_get(&i1, b + 3).i == -124 && mb_elem_get(&u1, b + 3).i == 132);
  CHECK_RC(mb_elem_set(&bd, w + 1, mb_numf(1.5)), 0);
  CHECK(w[1] == 0x3f && w[2] == 0xf8 && w[8] == 0);
  v = mb_elem_get(&bd, w + 1);
  CHECK(v.isfloat && v.f == 1.5);
  CHECK_RC(mb_elem_set(&lf, w + 1, mb_numi(16777217)), 0);   /* (float)(double) */
  CHECK(mb_elem_get(&lf, w + 1).f == 16777216.0);
  CHECK_RC(mb_elem_set(&lf, w, mb_numf(1e300)), 0);
  CHECK(mb_elem_get(&lf, w).f == INFINITY);
  /* string.pack's checks; nothing written on failure */
  memset(w, 0xaa, sizeof w);
  CHECK_RC(mb_elem_set(&i1, w, mb_numi(128)), MB_E_OVERFLOW);
  CHECK_RC(mb_elem_set(&i1, w, mb_numi(-129)), MB_E_OVERFLOW);
  CHECK_RC(mb_elem_set(&u1, w, mb_numi(256)), MB_E_UOVERFLOW);
  CHECK_RC(mb_elem_set(&u1, w, mb_numi(-1)), MB_E_UOVERFLOW);
  CHECK_RC(mb_elem_set(&u2, w, mb_numf(2.5)), MB_E_NOTINT);
  CHECK_RC(mb_elem_set(&u2, w, mb_numf(NAN)), MB_E_NOTINT);
  CHECK_RC(mb_elem_set(&i8, w, mb_numf(0x1p63)), MB_E_NOTINT);
  CHECK_RC(mb_elem_set(&i8, w, mb_numf(INFINITY)), MB_E_NOTINT);
  CHECK(w[0] == 0xaa && w[1] == 0xaa);
  CHECK_RC(mb_elem_set(&i1, w, mb_numi(-128)), 0);
  CHECK_RC(mb_elem_set(&u2, w, mb_numf(65535.0)), 0);
  CHECK(mb_elem_get(&u2, w).i == 65535);
  CHECK_RC(mb_elem_set(&lu8, w, mb_numi(-1)), 0);   /* 8 bytes: any integer */
  CHECK(w[0] == 0xff && w[7] == 0xff && mb_elem_get(&lu8, w).i == -1);
  CHECK_RC(mb_elem_set(&i8, w, mb_numf(-0x1p63)), 0);
  CHECK(mb_elem_get(&i8, w).i == INT64_MIN);
  /* fill: the same checks, nothing written on failure */
  memset(w, 0xaa, sizeof w);
  CHECK_RC(mb_arr_fill(&u1, w, 8, mb_numi(300)), MB_E_UOVERFLOW);
  CHECK(w[0] == 0xaa && w[7] == 0xaa);
  CHECK_RC(mb_arr_fill(&bi2, w, 4, mb_numi(0x0102)), 0);
  CHECK(w[0] == 1 && w[1] == 2 && w[6] == 1 && w[7] == 2 && w[8] == 0xaa);
}

/* Store doubles into an integer type through copy from <f8. */
static void stores(const mb_elem *e, const double *in, const int64_t *want,
                   size_t n) {
  mb_elem d8 = mk(MB_ELEM_FLOAT, 8, -1);
  unsigned char out[64];
  size_t k;
  int l;
  for (l = 0; l < 4; l++) {
    mb_simd(levels[l]);
    CHECK_RC(mb_arr_copy(e, out, &d8, in, n), 0);
    for (k = 0; k < n; k++) {
      int ok = mb_elem_get(e, out + k * (size_t)e->size).i == want[k];
      CHECK(ok);
      if (!ok)
        fprintf(stderr, "  %s <- %.17g: %lld, want %lld (level %d)\n", tname(e),
                in[k], (long long)mb_elem_get(e, out + k * (size_t)e->size).i,
                (long long)want[k], mb_simd(-1));
    }
  }
  mb_simd(MB_SIMD_AVX512);
}

static void rules(void) {
  static const double ties[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -3.5,
                                0.49999999999999994, 1e-300, -0.0, NAN};
  static const int64_t tied[] = {0, 2, 2, 0, -2, -2, 4, -4, 0, 0, 0, 0};
  mb_elem i2 = mk(MB_ELEM_INT, 2, -1), bi2 = mk(MB_ELEM_INT, 2, 1);
  mb_elem f4 = mk(MB_ELEM_FLOAT, 4, -1);
  int kind, size;
  stores(&i2, ties, tied, 12);
  stores(&bi2, ties, tied, 12);
  /* saturation at each integer type's limits, infinities, NaN */
  for (kind = MB_ELEM_INT; kind <= MB_ELEM_UINT; kind++)
    for (size = 1; size <= 8; size *= 2) {
      mb_elem e = mk(kind, size, 1), le = mk(kind, size, 0);
      int64_t lo = kind == MB_ELEM_UINT ? 0 : size == 8 ? INT64_MIN : -((int64_t)1 << (8 * size - 1));
      int64_t hi = kind == MB_ELEM_UINT ? (size == 8 ? -1 : ((int64_t)1 << (8 * size)) - 1)
                                        : size == 8 ? INT64_MAX : ((int64_t)1 << (8 * size - 1)) - 1;
      double in[8] = {1e30, -1e30, INFINITY, -INFINITY, NAN, 0.0, 0.0, 0.0};
      int64_t want[8] = {hi, lo, hi, lo, 0, 0, 0, 0};
      unsigned char buf[64];
      mb_num r;
      if (size < 8) {   /* one past each limit, either side of .5 */
        in[5] = (double)hi + 0.4; want[5] = hi;
        in[6] = (double)hi + 0.6; want[6] = hi;
        in[7] = (double)lo - 0.6; want[7] = lo;
      }
      stores(&e, in, want, 8);
      stores(&le, in, want, 8);
      /* add and mul saturate; integer scalars exact */
      CHECK_RC(mb_arr_fill(&e, buf, 5, mb_numi(hi)), 0);
      CHECK_RC(mb_arr_add(&e, buf, 5, mb_numi(1)), 0);
      CHECK(mb_elem_get(&e, buf + 4 * (size_t)size).i == hi);
      CHECK_RC(mb_arr_mul(&e, buf, 5, mb_numi(-1)), 0);
      CHECK(mb_elem_get(&e, buf).i == (kind == MB_ELEM_UINT ? 0 : -hi));
      CHECK_RC(mb_arr_fill(&e, buf, 3, mb_numi(lo)), 0);
      CHECK_RC(mb_arr_add(&e, buf, 3, mb_numi(-1)), 0);
      CHECK(mb_elem_get(&e, buf).i == lo);
      CHECK_RC(mb_arr_mul(&e, buf, 3, mb_numi(-1)), 0);
      CHECK(mb_elem_get(&e, buf + 2 * (size_t)size).i == (kind == MB_ELEM_UINT ? 0 : hi));
      CHECK_RC(mb_arr_min(&e, buf, 3, &r), 1);
      CHECK_RC(mb_arr_mul(&e, buf, 3, mb_numf(NAN)), 0);
      CHECK(mb_elem_get(&e, buf + (size_t)size).i == 0);
    }
  {   /* 64-bit integers: integer scalars are exact */
    mb_elem i8 = mk(MB_ELEM_INT, 8, -1), u8 = mk(MB_ELEM_UINT, 8, 1);
    int64_t v[2] = {INT64_MAX - 10, (int64_t)1 << 53};
    unsigned char w[16];
    CHECK_RC(mb_arr_add(&i8, v, 2, mb_numi(3)), 0);
    CHECK(v[0] == INT64_MAX - 7 && v[1] == ((int64_t)1 << 53) + 3);
    CHECK_RC(mb_arr_add(&i8, v, 2, mb_numf(1.0)), 0);   /* integral float */
    CHECK(v[1] == ((int64_t)1 << 53) + 4);
    CHECK_RC(mb_arr_mul(&i8, v, 2, mb_numf(0.5)), 0);   /* in doubles */
    CHECK(v[0] == (int64_t)1 << 62 && v[1] == ((int64_t)1 << 52) + 2);   /* MAX-6 is 2^63 in doubles */
    CHECK_RC(mb_arr_fill(&u8, w, 2, mb_numi(-2)), 0);   /* 2^64 - 2 */
    CHECK_RC(mb_arr_add(&u8, w, 2, mb_numi(1)), 0);
    CHECK(mb_elem_get(&u8, w).i == -1);
    CHECK_RC(mb_arr_add(&u8, w, 2, mb_numi(1)), 0);
    CHECK(mb_elem_get(&u8, w).i == -1);   /* saturated at 2^64 - 1 */
  }
  {   /* float32: a scalar in float32's range is cast first (numpy) */
    float v[4] = {16777216.0f, 0.0f, 1.0f, -0.0f};
    CHECK_RC(mb_arr_add(&f4, v, 1, mb_numf(0.50000001)), 0);
    CHECK(v[0] == 16777216.0f);   /* 0.5f: a tie, to even */
    CHECK_RC(mb_arr_mul(&f4, v + 1, 3, mb_numf(1e300)), 0);
    CHECK(v[1] == 0.0f && v[2] == INFINITY && v[3] == 0.0f && signbit(v[3]));
  }
  {   /* clamp: numpy's clip (hi wins), bounds rounded for integers */
    int16_t v[6] = {-5, 0, 1, 7, 11, 300};
    float g[4] = {-1.0f, NAN, 0.5f, -0.0f};
    CHECK_RC(mb_arr_clamp(&i2, v, 6, mb_numf(0.5), mb_numf(10.5)), 0);
    CHECK(v[0] == 0 && v[1] == 0 && v[2] == 1 && v[3] == 7 && v[4] == 10 && v[5] == 10);
    CHECK_RC(mb_arr_clamp(&i2, v, 6, mb_numi(8), mb_numi(3)), 0);
    CHECK(v[0] == 3 && v[5] == 3);
    CHECK_RC(mb_arr_clamp(&i2, v, 6, mb_numf(NAN), mb_numi(3)), 0);
    CHECK(v[0] == 0 && v[5] == 0);
    CHECK_RC(mb_arr_clamp(&f4, g, 4, mb_numi(0), mb_numi(1)), 0);
    CHECK(g[0] == 0.0f && g[1] != g[1] && g[2] == 0.5f && signbit(g[3]));
  }
  {   /* min, max: empty, NaN, signed zeros; sums wrap */
    mb_elem d8 = mk(MB_ELEM_FLOAT, 8, -1), u8 = mk(MB_ELEM_UINT, 8, -1);
    mb_elem i8 = mk(MB_ELEM_INT, 8, -1);
    double z[3] = {0.0, -0.0, 1.0}, nz[2] = {-0.0, -0.0}, withnan[3] = {1, NAN, -1};
    uint64_t u[2] = {UINT64_MAX, 2};
    int64_t s[2] = {INT64_MAX, 1};
    mb_num r;
    CHECK_RC(mb_arr_min(&d8, z, 0, &r), 0);
    CHECK_RC(mb_arr_max(&d8, z, 0, &r), 0);
    CHECK_RC(mb_arr_min(&d8, z, 3, &r), 1);
    CHECK(r.isfloat && r.f == 0 && signbit(r.f));
    CHECK_RC(mb_arr_max(&d8, z, 2, &r), 1);
    CHECK(r.f == 0 && !signbit(r.f));
    CHECK_RC(mb_arr_max(&d8, nz, 2, &r), 1);
    CHECK(r.f == 0 && signbit(r.f));
    CHECK_RC(mb_arr_sum(&d8, nz, 2, &r), 0);
    CHECK(r.f == 0 && signbit(r.f));   /* a sum of -0.0s */
    CHECK_RC(mb_arr_sum(&d8, nz, 0, &r), 0);
    CHECK(r.isfloat && r.f == 0 && !signbit(r.f));
    CHECK_RC(mb_arr_min(&d8, withnan, 3, &r), 1);
    CHECK(r.f != r.f);
    CHECK_RC(mb_arr_sum(&u8, u, 2, &r), 0);
    CHECK(!r.isfloat && r.i == 1);
    CHECK_RC(mb_arr_max(&u8, u, 2, &r), 1);
    CHECK(r.i == -1);   /* UINT64_MAX as bits */
    CHECK_RC(mb_arr_sum(&i8, s, 2, &r), 0);
    CHECK(r.i == INT64_MIN);
  }
  {   /* copies: endianness alone is a swap, conversions round */
    mb_elem li2 = mk(MB_ELEM_INT, 2, 0), f8 = mk(MB_ELEM_FLOAT, 8, 1);
    unsigned char a[8] = {1, 2, 3, 4, 0xff, 0x7f, 0, 0x80}, b[8];
    double d[4];
    CHECK_RC(mb_arr_copy(&bi2, b, &li2, a, 4), 0);
    CHECK(b[0] == 2 && b[1] == 1 && b[6] == 0x80 && b[7] == 0);
    CHECK_RC(mb_arr_copy(&f8, d, &li2, a, 4), 0);
    CHECK(mb_elem_get(&f8, d + 3).f == -32768.0 && mb_elem_get(&f8, d + 2).f == 32767.0);
    CHECK_RC(mb_arr_copy(&li2, a, &li2, a, 4), 0);   /* onto itself */
    CHECK(a[0] == 1 && a[7] == 0x80);
    CHECK_RC(mb_arr_copy(&li2, a, &bi2, a, 4), 0);   /* swap in place */
    CHECK(a[0] == 2 && a[1] == 1);
  }
}

/* Compensated summation (Neumaier): the reference for accuracy. */
static void neumaier(double *s, double *c, double x) {
  double t = *s + x;
  if (fabs(*s) >= fabs(x)) *c += (*s - t) + x;
  else *c += (x - t) + *s;
  *s = t;
}

/* A sum of many floats is close to the exact sum. */
static void accuracy(void) {
  size_t n = 1000003, k;
  mb_elem f4 = mk(MB_ELEM_FLOAT, 4, -1), d8 = mk(MB_ELEM_FLOAT, 8, -1);
  float *a = malloc(n * sizeof *a);
  double *b = malloc(n * sizeof *b);
  double ea = 0, eb = 0, ca = 0, cb = 0, abs = 0, absa = 0;
  mb_num sa, sb;
  for (k = 0; k < n; k++) {
    a[k] = (float)((double)rnd() / 4294967296.0 * 2e3 - 0.999e3);
    b[k] = (double)rnd64() / 18446744073709551616.0 - 0.4;
    neumaier(&ea, &ca, a[k]);
    neumaier(&eb, &cb, b[k]);
    absa += fabs(a[k]);
    abs += fabs(b[k]);
  }
  CHECK_RC(mb_arr_sum(&f4, a, n, &sa), 0);
  CHECK_RC(mb_arr_sum(&d8, b, n, &sb), 0);
  /* float32 values added in double: far inside float32's precision */
  ea += ca;
  eb += cb;
  CHECK(fabs(sa.f - ea) <= 64 * DBL_EPSILON * absa);
  /* pairwise-like: about log2(n) roundings, not n */
  CHECK(fabs(sb.f - eb) <= 64 * DBL_EPSILON * abs);
  free(a);
  free(b);
}

int main(void) {
  printf("simd level %d\n", mb_simd(-1));
  maketypes();
  descriptors();
  getset();
  rules();
  accuracy();
  random_tests();
  levels_agree();
  return check_done();
}
