/*
** test_checksum.c - mb_crc32 and mb_adler32 at every SIMD level against
** the published check values and against bit-by-bit references written
** here from the definitions (no tables, no folding), on every size 0..300,
** sizes around the vector and block widths, unaligned starts, and chained
** over random splits.  (test_zlib.c compares with zlib itself.)
*/
#include <stdlib.h>
#include <string.h>

#include "mapbuf.h"
#include "check.h"

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (unsigned)(rng >> 11);
}

/* CRC-32 one bit at a time: the register starts inverted, each message bit
** (least significant first) is shifted in, the reflected polynomial XORed
** in when a 1 falls out, and the result inverted. */
static uint32_t ref_crc(uint32_t crc, const unsigned char *p, size_t n) {
  uint32_t c = ~crc;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

/* Adler-32 straight from the definition, reduced after every byte. */
static uint32_t ref_adler(uint32_t adler, const unsigned char *p, size_t n) {
  uint32_t a = adler & 0xffff, b = adler >> 16;
  size_t i;
  for (i = 0; i < n; i++) {
    a = (a + p[i]) % 65521;
    b = (b + a) % 65521;
  }
  return a | b << 16;
}

static const int levels[] = {MB_SIMD_NONE, MB_SIMD_SSE2, MB_SIMD_AVX2,
                             MB_SIMD_AVX512};

static void known_values(void) {
  const char *fox = "The quick brown fox jumps over the lazy dog";
  CHECK(mb_crc32(0, "123456789", 9) == 0xCBF43926u);   /* the check value */
  CHECK(mb_crc32(0, fox, strlen(fox)) == 0x414FA339u);
  CHECK(mb_crc32(0, "", 0) == 0);
  CHECK(mb_crc32(0x12345678u, NULL, 0) == 0x12345678u);   /* n 0: as given */
  CHECK(mb_adler32(1, "Wikipedia", 9) == 0x11E60398u);
  CHECK(mb_adler32(1, fox, strlen(fox)) == 0x5BDC0FDAu);
  CHECK(mb_adler32(1, "", 0) == 1);
  CHECK(mb_adler32(0xdeadbeefu, NULL, 0) == 0xdeadbeefu);
  CHECK(mb_adler32(0xffffffffu, "", 0) == 0x000e000eu);   /* reduced, as zlib */
}

/* NMAX in checksum.c: the largest n for which b cannot pass 2^32 - 1. */
static void nmax(void) {
  unsigned long long n = 1;
  while (255ULL * (n + 1) * (n + 2) / 2 + (n + 2) * 65520ULL <= 0xffffffffULL)
    n++;
  CHECK(n == 5552);
}

static void one(const unsigned char *p, size_t n) {
  uint32_t c = mb_crc32(0, p, n), a = mb_adler32(1, p, n);
  CHECK(c == ref_crc(0, p, n));
  CHECK(a == ref_adler(1, p, n));
  if (c != ref_crc(0, p, n) || a != ref_adler(1, p, n))
    fprintf(stderr, "  size %zu at level %d\n", n, mb_simd(-1));
}

static void sizes(void) {
  static const size_t edge[] = {511, 512, 513, 1023, 1024, 1025, 4095, 4096,
                                4097, 5551, 5552, 5553, 11104, 11105,
                                65535, 65536, 65537, 100003};
  size_t cap = 100003 + 64, n, i, off;
  unsigned char *buf = malloc(cap + 64);
  int l;
  for (i = 0; i < cap + 64; i++) buf[i] = (unsigned char)rnd();
  for (l = 0; l < 4; l++) {
    mb_simd(levels[l]);
    for (n = 0; n <= 300; n++) one(buf + (n % 7), n);
    for (i = 0; i < sizeof edge / sizeof edge[0]; i++)
      for (off = 0; off < 3; off++) one(buf + off, edge[i]);
    /* all 0xff: the sums at their largest */
    memset(buf, 0xff, cap);
    one(buf, 5552 * 3 + 31);
    one(buf + 1, 100003);
    for (i = 0; i < cap + 64; i++) buf[i] = (unsigned char)rnd();
  }
  mb_simd(MB_SIMD_AVX512);
  free(buf);
}

/* The value of the whole equals the value continued over any split. */
static void chained(void) {
  size_t n = 200000, i;
  unsigned char *buf = malloc(n);
  uint32_t whole_c, whole_a;
  int l, round;
  for (i = 0; i < n; i++) buf[i] = (unsigned char)rnd();
  whole_c = ref_crc(0, buf, n);
  whole_a = ref_adler(1, buf, n);
  for (l = 0; l < 4; l++) {
    mb_simd(levels[l]);
    for (round = 0; round < 20; round++) {
      uint32_t c = 0, a = 1;
      size_t pos = 0;
      while (pos < n) {
        size_t k = rnd() % (round < 10 ? 100 : 20000);
        if (k > n - pos) k = n - pos;
        c = mb_crc32(c, buf + pos, k);
        a = mb_adler32(a, buf + pos, k);
        pos += k;
      }
      CHECK(c == whole_c);
      CHECK(a == whole_a);
    }
  }
  mb_simd(MB_SIMD_AVX512);
  free(buf);
}

/* Adler-32 values whose halves are not reduced (no checksum gives them)
** are taken modulo 65521 first. */
static void unreduced(void) {
  unsigned char b[100];
  int i;
  for (i = 0; i < 100; i++) b[i] = (unsigned char)i;
  CHECK(mb_adler32(0xffffffffu, b, 100) ==
        ref_adler((65535 % 65521) | (65535 % 65521) << 16, b, 100));
}

int main(void) {
  printf("simd level %d\n", mb_simd(-1));
  known_values();
  nmax();
  sizes();
  chained();
  unreduced();
  return check_done();
}
