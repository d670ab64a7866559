/*
** int128.h - private to elements.c: the exact integers its bulk jobs
** compute in.  Every operand is an element value or a 64-bit scalar, so it
** lies in [-2^63, 2^64); sums are exact, products saturate beyond 2^127,
** and the store saturates to the element type either way.
**
** Where the compiler has __int128 (64-bit targets) these are one
** instruction each.  32-bit targets have no __int128, so there the same
** operations work on two 64-bit halves (two's complement, hi signed).
** Both give the same stored bits: the tests run them on every CPU.
*/
#ifndef MB_INT128_H
#define MB_INT128_H

#include <stdint.h>

#if defined(__SIZEOF_INT128__) && !defined(MB_NO_INT128)

__extension__ typedef __int128 i128;
#define I128_MAX ((i128)(((unsigned __int128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)

static inline i128 w_i64(int64_t x) { return x; }
static inline i128 w_u64(uint64_t x) { return x; }
static inline int w_neg(i128 a) { return a < 0; }
static inline int w_lt(i128 a, i128 b) { return a < b; }
static inline uint64_t w_low(i128 a) { return (uint64_t)a; }
static inline i128 w_add(i128 a, i128 b) { return a + b; }
static inline i128 w_mul(i128 a, i128 b) {
  i128 r;
  if (__builtin_mul_overflow(a, b, &r))
    r = ((a < 0) != (b < 0)) ? I128_MIN : I128_MAX;
  return r;
}

#else

typedef struct i128 { uint64_t lo; int64_t hi; } i128;

static inline i128 w_i64(int64_t x) {
  i128 r;
  r.lo = (uint64_t)x;
  r.hi = x < 0 ? -1 : 0;
  return r;
}
static inline i128 w_u64(uint64_t x) { i128 r; r.lo = x; r.hi = 0; return r; }
static inline int w_neg(i128 a) { return a.hi < 0; }
static inline int w_lt(i128 a, i128 b) {
  return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}
static inline uint64_t w_low(i128 a) { return a.lo; }

/* The high halves are added as unsigned words: no signed overflow, and
** the operands' range keeps the true sum inside 128 bits. */
static inline i128 w_add(i128 a, i128 b) {
  i128 r;
  r.lo = a.lo + b.lo;
  r.hi = (int64_t)((uint64_t)a.hi + (uint64_t)b.hi + (r.lo < a.lo));
  return r;
}

/* |a| of an operand (|a| < 2^64, so one word holds it). */
static inline uint64_t w_mag(i128 a) { return a.hi < 0 ? 0 - a.lo : a.lo; }

/* The full 128-bit product of two words, from 32-bit halves. */
static inline i128 w_mulu(uint64_t a, uint64_t b) {
  uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
  uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
  uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
  i128 r;
  r.lo = (p00 & 0xffffffffu) | (mid << 32);
  r.hi = (int64_t)(p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32));
  return r;
}

static inline i128 w_mul(i128 a, i128 b) {
  int neg = w_neg(a) != w_neg(b);
  i128 m = w_mulu(w_mag(a), w_mag(b));
  uint64_t top = (uint64_t)m.hi;
  if (top >> 63) {   /* 2^127 or more: saturated, as __int128 does */
    m.hi = neg ? INT64_MIN : INT64_MAX;
    m.lo = neg ? 0 : UINT64_MAX;
    return m;
  }
  if (neg) {         /* two's complement of the magnitude */
    m.lo = ~m.lo + 1;
    m.hi = (int64_t)(~top + (m.lo == 0));
  }
  return m;
}

#endif
#endif
