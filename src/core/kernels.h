/*
** kernels.h - private to the bulk kernels (simd.c, elements.c, elemx86.c,
** bytes.c, checksum.c) and the plain search (search.c): the SIMD level in
** force, the native element type
** codes, and the x86 versions of the element loops.  Not installed.
*/
#ifndef MAPBUF_KERNELS_H
#define MAPBUF_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "mapbuf.h"

/* x86-64 with GCC or Clang: SIMD paths compiled in (selected at run time).
** MB_NO_SIMD: portable C only. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(MB_NO_SIMD)
#define MB_X86 1
#endif

/* aarch64 (little-endian) with NEON, which every ARMv8-A CPU has: level
** MB_SIMD_SSE2 means its 16-byte vectors there (search.c uses them). */
#if defined(__aarch64__) && defined(__ARM_NEON) && \
    defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    !defined(MB_NO_SIMD)
#define MB_NEON 1
#endif

/* simd.c: the level in force (MB_SIMD_*), and whether PCLMULQDQ may be
** used (the CPU has it and the level is at least MB_SIMD_SSE2). */
int mb_simd_level(void);
int mb_simd_clmul(void);

/* Element types in the machine's own byte order. */
enum { MB_T_I8, MB_T_U8, MB_T_I16, MB_T_U16, MB_T_I32, MB_T_U32,
       MB_T_I64, MB_T_U64, MB_T_F32, MB_T_F64 };

enum { MB_OP_ADD, MB_OP_MUL };

/*
** elemx86.c: faster equivalents of loops in elements.c, over native-order
** elements at any alignment.  Each does a leading part of the job (whole
** vectors) and returns how many elements that was: 0 when it has no
** version for this type or level.  The caller's portable loop does the
** rest, so both give exactly the same result.
*/
#ifdef MB_X86
/* d[i] = s[i] with the bytes of each size-byte element reversed (d == s
** or disjoint) */
size_t mbx_bswap(unsigned char *d, const unsigned char *s, size_t n,
                 int size);
/* o[i] = (double) element i */
size_t mbx_load_f(int t, const unsigned char *p, size_t n, double *o);
/* element i = in[i] stored: integers rounded to nearest even, saturated,
** NaN 0; floats rounded to their precision */
size_t mbx_store_f(int t, unsigned char *p, size_t n, const double *in);
/* a[i] = a[i] op (b ? b[i] : x) */
size_t mbx_fop(double *a, const double *b, double x, size_t n, int op);
/* in place: element = (double) element op x, stored as mbx_store_f does */
size_t mbx_scalar(int t, unsigned char *p, size_t n, double x, int op);
/* d[i] = s[i] converted (types dt from st, native, disjoint), as the
** portable copy does it */
size_t mbx_convert(int dt, unsigned char *d, int st, const unsigned char *s,
                   size_t n);
/* *acc += the integer elements, modulo 2^64 */
size_t mbx_isum(int t, const unsigned char *p, size_t n, uint64_t *acc);
/* lane[l] += element 8i + l (as a double), in order of i (the count done
** is a multiple of 8) */
size_t mbx_fsum8(int t, const unsigned char *p, size_t n, double lane[8]);
/* *r = the least (max == 0) or greatest of *r and the integer elements,
** as int64 (MB_T_U64: uint64 bits) */
size_t mbx_iminmax(int t, const unsigned char *p, size_t n, int max,
                   int64_t *r);
/* the same for floats as doubles, NaNs aside (*nan = 1 when one is seen;
** *r is never NaN).  Which of -0.0, +0.0 comes back when they tie is the
** caller's business. */
size_t mbx_fminmax(int t, const unsigned char *p, size_t n, int max,
                   double *r, int *nan);
/* v = min(max(v, lo), hi) on integers (lo, hi in the type's range, as
** int64 or uint64 bits) */
size_t mbx_iclamp(int t, unsigned char *p, size_t n, int64_t lo,
                  int64_t hi);
/* r = lo > v ? lo : v; v = hi < r ? hi : r on floats (lo, hi already of
** the type's precision, or infinite) */
size_t mbx_fclamp(int t, unsigned char *p, size_t n, double lo, double hi);
#endif

#endif
