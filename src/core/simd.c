/*
** simd.c - which instruction sets the bulk kernels (elements.c,
** elemx86.c, bytes.c, checksum.c) and the search (search.c) may use: what
** the CPU offers, capped by mb_simd() or, at first use, by the environment
** variable MAPBUF_SIMD.
*/
#include <stdatomic.h>
#include <stdlib.h>

#include "kernels.h"

static atomic_int cpu_level = -1;   /* -1: not asked yet */
static atomic_int cpu_clmul = -1;
static atomic_int cap = -1;         /* -1: not read from the environment */

static void detect(void) {
  int lvl = MB_SIMD_NONE, clmul = 0;
#ifdef MB_X86
  __builtin_cpu_init();   /* needed if called before constructors ran */
  lvl = MB_SIMD_SSE2;     /* part of x86-64 */
  if (__builtin_cpu_supports("avx2")) {
    lvl = MB_SIMD_AVX2;
    if (__builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512vbmi"))
      lvl = MB_SIMD_AVX512;
  }
  clmul = __builtin_cpu_supports("pclmul") ? 1 : 0;
#elif defined(MB_NEON)
  lvl = MB_SIMD_SSE2;     /* 16-byte vectors, part of ARMv8-A */
#endif
  atomic_store(&cpu_clmul, clmul);
  atomic_store(&cpu_level, lvl);
}

static int getcap(void) {
  int c = atomic_load_explicit(&cap, memory_order_relaxed);
  if (c < 0) {
    const char *env = getenv("MAPBUF_SIMD");
    c = MB_SIMD_AVX512;
    if (env != NULL && env[0] >= '0' && env[0] <= '3' && env[1] == '\0')
      c = env[0] - '0';
    atomic_store(&cap, c);
  }
  return c;
}

int mb_simd_level(void) {
  int l = atomic_load_explicit(&cpu_level, memory_order_relaxed);
  int c = getcap();
  if (l < 0) { detect(); l = atomic_load(&cpu_level); }
  return l < c ? l : c;
}

int mb_simd_clmul(void) {
  if (mb_simd_level() < MB_SIMD_SSE2) return 0;
  return atomic_load_explicit(&cpu_clmul, memory_order_relaxed) == 1;
}

int mb_simd(int limit) {
  if (limit >= 0) {
    getcap();   /* so that the environment never overrides this call */
    atomic_store(&cap, limit > MB_SIMD_AVX512 ? MB_SIMD_AVX512 : limit);
  }
  return mb_simd_level();
}
