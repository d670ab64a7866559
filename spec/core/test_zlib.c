/*
** test_zlib.c - mb_crc32 and mb_adler32 against zlib's crc32 and adler32
** (linked into this test only; CMake builds it when zlib is found), at
** every SIMD level, on random data of sizes 0..70 and around the SIMD and
** block widths, at unaligned starts, started from random earlier values,
** and chained over random splits.
*/
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mapbuf.h"
#include "check.h"

static unsigned long long rng = 0x2545F4914F6CDD1DULL;
static unsigned rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (unsigned)(rng >> 11);
}

static const int levels[] = {MB_SIMD_NONE, MB_SIMD_SSE2, MB_SIMD_AVX2,
                             MB_SIMD_AVX512};

static int bad;

static void one(const unsigned char *p, size_t n, uint32_t c0, uint32_t a0) {
  uint32_t c = mb_crc32(c0, p, n);
  uint32_t a = mb_adler32(a0, p, n);
  uint32_t zc = (uint32_t)crc32(c0, p, (uInt)n);
  uint32_t za = (uint32_t)adler32(a0, p, (uInt)n);
  CHECK(c == zc);
  CHECK(a == za);
  if ((c != zc || a != za) && bad++ < 10)
    fprintf(stderr, "  n %zu level %d: crc %08x/%08x adler %08x/%08x\n", n,
            mb_simd(-1), c, zc, a, za);
}

int main(void) {
  static const size_t widths[] = {15, 16, 17, 31, 32, 33, 63, 64, 65, 127,
                                  128, 129, 255, 256, 257, 4095, 4096, 4097,
                                  5551, 5552, 5553, 1 << 20, (1 << 20) + 13};
  size_t cap = ((size_t)1 << 20) + 64, i, n, w;
  unsigned char *buf = malloc(cap);
  int l, r;
  for (i = 0; i < cap; i++) buf[i] = (unsigned char)rnd();
  for (l = 0; l < 4; l++) {
    mb_simd(levels[l]);
    for (n = 0; n <= 70; n++) one(buf + (n & 3), n, 0, 1);
    for (w = 0; w < sizeof widths / sizeof widths[0]; w++)
      for (i = 0; i < 4; i++) one(buf + i, widths[w], 0, 1);
    for (r = 0; r < 200; r++) {   /* from earlier values (adler reduced) */
      uint32_t a0 = (rnd() % 65521) | (rnd() % 65521) << 16;
      one(buf + rnd() % 16, rnd() % 3000, rnd() ^ rnd() << 16, a0);
    }
    for (r = 0; r < 200; r++) {   /* any start value, lengths 0 and 2.. */
      uint32_t a0 = rnd() ^ rnd() << 16;
      size_t k = rnd() % 40;
      if (k == 1) k = 0;   /* zlib leaves one byte's result unreduced */
      CHECK(mb_adler32(a0, buf + 3, k) == (uint32_t)adler32(a0, buf + 3, (uInt)k));
    }
    for (r = 0; r < 10; r++) {   /* random splits of one buffer */
      uint32_t c = 0, a = 1;
      size_t pos = 0, len = cap - 64;
      while (pos < len) {
        size_t k = rnd() % (r < 5 ? 200 : 70000);
        if (k > len - pos) k = len - pos;
        c = mb_crc32(c, buf + pos, k);
        a = mb_adler32(a, buf + pos, k);
        pos += k;
      }
      CHECK(c == (uint32_t)crc32(0, buf, (uInt)len));
      CHECK(a == (uint32_t)adler32(1, buf, (uInt)len));
    }
  }
  free(buf);
  return check_done();
}
