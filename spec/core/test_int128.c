/*
** test_int128.c - the two-word integers of int128.h (what elements.c
** computes in on 32-bit targets, which lack __int128) against the
** compiler's __int128, on every pair of edge operands and on random ones
** across the whole operand range [-2^63, 2^64).  Needs a 64-bit target for
** the reference; on a 32-bit one it is an honest skip.
*/
#include <stdint.h>
#include <stdio.h>

#ifndef __SIZEOF_INT128__
int main(void) {
  printf("skip: no __int128 on this target to check int128.h against\n");
  return 77;
}
#else

#include "check.h"

#define MB_NO_INT128 1
#include "../../src/core/int128.h"

__extension__ typedef __int128 ref;

static ref back(i128 w) {   /* the two words read as one number */
  return (ref)(((unsigned __int128)(uint64_t)w.hi << 64) | w.lo);
}

static ref ref_mul(ref a, ref b) {
  ref r, max = (ref)(((unsigned __int128)1 << 127) - 1);
  if (__builtin_mul_overflow(a, b, &r))
    r = ((a < 0) != (b < 0)) ? -max - 1 : max;
  return r;
}

/* an operand as int64 (isu 0) or as uint64 (isu 1) */
typedef struct Op { int isu; uint64_t bits; } Op;
static i128 mk(Op o) { return o.isu ? w_u64(o.bits) : w_i64((int64_t)o.bits); }
static ref mkref(Op o) { return o.isu ? (ref)o.bits : (ref)(int64_t)o.bits; }

static void pair(Op x, Op y) {
  i128 a = mk(x), b = mk(y);
  ref ra = mkref(x), rb = mkref(y);
  CHECK(back(a) == ra);
  CHECK(w_neg(a) == (ra < 0));
  CHECK(w_low(a) == (uint64_t)ra);
  CHECK(w_lt(a, b) == (ra < rb));
  CHECK_MSG(back(w_add(a, b)) == ra + rb, "add %d:%llx %d:%llx", x.isu,
            (unsigned long long)x.bits, y.isu, (unsigned long long)y.bits);
  CHECK_MSG(back(w_mul(a, b)) == ref_mul(ra, rb), "mul %d:%llx %d:%llx",
            x.isu, (unsigned long long)x.bits, y.isu,
            (unsigned long long)y.bits);
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd64(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

int main(void) {
  static const uint64_t edge[] = {
    0, 1, 2, 3, 0x7f, 0xff, 0xffff, 0xffffffffu, 0x100000000ull,
    0x100000001ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0x8000000000000001ull, 0xfffffffffffffffeull, 0xffffffffffffffffull,
    0xb504f333f9de6484ull,   /* about sqrt(2^127) */
    0x16a09e667f3bcc90ull, 0x0000000100000000ull, 0xffffffff00000000ull};
  const int ne = (int)(sizeof edge / sizeof edge[0]);
  int i, j, u, v;
  for (i = 0; i < ne; i++)
    for (j = 0; j < ne; j++)
      for (u = 0; u < 2; u++)
        for (v = 0; v < 2; v++) {
          Op x = {u, edge[i]}, y = {v, edge[j]};
          pair(x, y);
        }
  for (i = 0; i < 200000; i++) {
    Op x = {(int)(rnd64() & 1), rnd64() >> (rnd64() & 63)};
    Op y = {(int)(rnd64() & 1), rnd64() >> (rnd64() & 63)};
    pair(x, y);
  }
  return check_done();
}
#endif
