/*
** bench/transform_bench.c - the core's bulk kernels on a mapped file, one
** job at a time, CPU time, best of N: the mapbuf side of
** bench/transform_bench.sh (which builds this, runs it at several SIMD
** levels, runs the numpy / Python / LuaJIT sides and prints the table).
** zlib's crc32 and adler32 are timed here too, from C, for the checksum
** decision (docs/transforms.md).  Not a test.
**
**   transform_bench FILE [LEVEL [REPS]]   prints "job<TAB>side<TAB>ms" lines
*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "mapbuf.h"

static int reps = 3;

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

#define BEST(side, job, stmt) do { \
    double best_ = 1e30; int r_; \
    for (r_ = 0; r_ < reps; r_++) { \
      double t0_ = cpu(); stmt; t0_ = cpu() - t0_; \
      if (t0_ < best_) best_ = t0_; \
    } \
    printf("%s\t%s\t%.3f\n", job, side, best_ * 1e3); \
    fflush(stdout); \
  } while (0)

int main(int argc, char **argv) {
  int fd, level;
  struct stat st;
  unsigned char *p, table[256];
  size_t n, h, i;
  mb_elem li4, li2, bi2, lf4;
  mb_num r;
  float *conv;
  char side[32];
  if (argc < 2) { fprintf(stderr, "usage: transform_bench FILE [LEVEL [REPS]]\n"); return 2; }
  level = argc > 2 ? atoi(argv[2]) : MB_SIMD_AVX512;
  if (argc > 3) reps = atoi(argv[3]);
  level = mb_simd(level);
  snprintf(side, sizeof side, "mapbuf%d", level);
  if ((fd = open(argv[1], O_RDWR)) < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
  n = (size_t)st.st_size;
  h = n / 2;
  p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  for (i = 0; i < n; i += 4096) sink += p[i];   /* fault the pages in */
  conv = malloc(n);   /* <f4 from the first quarter's <i2: n bytes */
  if (conv == NULL) return 1;
  memset(conv, 0, n);
  mb_elem_make(&li4, MB_ELEM_INT, 4, 0);
  mb_elem_make(&li2, MB_ELEM_INT, 2, 0);
  mb_elem_make(&bi2, MB_ELEM_INT, 2, 1);
  mb_elem_make(&lf4, MB_ELEM_FLOAT, 4, 0);
  for (i = 0; i < 256; i++) table[i] = (unsigned char)((i * 167 + 13) & 255);

  BEST(side, "sum <i4", mb_arr_sum(&li4, p, n / 4, &r); sink += (uint64_t)r.i);
  BEST(side, "mul(0.5) <i2", mb_arr_mul(&li2, p, n / 2, mb_numf(0.5)));
  BEST(side, "mul(0.8) <i2", mb_arr_mul(&li2, p, n / 2, mb_numf(0.8)));
  BEST(side, "crc32", sink += mb_crc32(0, p, n));
  BEST(side, "adler32", sink += mb_adler32(1, p, n));
  BEST(side, "translate", mb_translate(p, n, table));
  BEST(side, "count byte", sink += mb_count(p, n, "a", 1));
  BEST(side, "copy <i2 -> >i2", mb_arr_copy(&bi2, p + h, &li2, p, h / 2));
  BEST(side, "copy <i2 -> <f4", mb_arr_copy(&lf4, conv, &li2, p, n / 4));
  BEST(side, "copy <f4 -> <i2", mb_arr_copy(&li2, p, &lf4, conv, n / 4));
  BEST(side, "memmove half", memmove(p, p + h, h));
#ifdef HAVE_ZLIB
  if (level == MB_SIMD_NONE) {   /* once, with the portable run */
    BEST("zlib", "crc32", sink += crc32(0, p, (uInt)n));
    BEST("zlib", "adler32", sink += adler32(1, p, (uInt)n));
  }
#endif
  munmap(p, n);
  close(fd);
  free(conv);
  return 0;
}
