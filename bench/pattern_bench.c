/*
** pattern_bench.c - the C side of bench/pattern_run: a gmatch-style scan
** over a whole file for each pattern, by the compiled engine (compiled
** once, mb_pexec MB_PEXEC_NEXT), by mb_pfind at every step (the one-shot
** API the binding calls today: string.find's rules, and the thread's last
** compiled pattern), and, when built with -DOLD_ENGINE, by the engine
** this one replaced (its pattern.c taken from git with renamed symbols,
** only for the measurement).  Then plain-needle find through each.  CPU
** time of the process, best of REPS runs.
**
**   pattern_bench FILE [REPS]
** prints one line per measurement: "gmatch<TAB>index<TAB>engine<TAB>
** seconds<TAB>matches" or "find<TAB>needle<TAB>engine<TAB>seconds<TAB>
** offset" (-1: not found), engine one of new, new-pfind, new-compiled,
** old.
*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mapbuf.h"

#ifdef OLD_ENGINE
int old_pfind(const unsigned char *s, size_t ls, const char *p, size_t lp,
              size_t init, mb_match *mt);
#endif

/* The same patterns, in the same order, as pattern_gmatch.lua and
** pattern_re.py. */
static const char *const PATTERNS[] = {
  "%d+",
  "(%w+)=(%w+)",
  ("\n(%d+%.%d+%.%d+%.%d+) %- %- %[([^%]]+)%] \"(%u+) ([^ ]+) [^\"]*\" "
   "(%d+) (%d+)"),
  "%f[%a]%a+",
  "\n([^\n]-)ERROR",
  "[%[%]\"]+",
};

typedef int (*stepfn)(const void *ctx, const unsigned char *s, size_t ls,
                      size_t init, mb_match *mt);

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* gmatch's loop: each step searches from where the last match ended; an
** empty match right there is skipped by searching one byte further. */
static long gmatch(stepfn step, const void *ctx, const unsigned char *s,
                   size_t ls) {
  size_t src = 0, last = 0;
  int haslast = 0;
  long n = 0;
  mb_match mt;
  while (src <= ls) {
    int rc = step(ctx, s, ls, src, &mt);
    if (rc != 1) {
      if (rc < 0) { fprintf(stderr, "pattern_bench: %s\n", mt.err); exit(1); }
      break;
    }
    if (haslast && mt.end == last) { src = mt.start + 1; continue; }
    n++;
    src = last = mt.end;
    haslast = 1;
  }
  return n;
}

static int compiled(const void *ctx, const unsigned char *s, size_t ls,
                    size_t init, mb_match *mt) {
  return mb_pexec(ctx, s, ls, init, MB_PEXEC_NEXT, mt);
}

static int percall(const void *ctx, const unsigned char *s, size_t ls,
                   size_t init, mb_match *mt) {
  const char *p = ctx;
  return mb_pfind(s, ls, p, strlen(p), init, mt);
}

#ifdef OLD_ENGINE
static int old(const void *ctx, const unsigned char *s, size_t ls,
               size_t init, mb_match *mt) {
  const char *p = ctx;
  return old_pfind(s, ls, p, strlen(p), init, mt);
}
#endif

static void run(const char *what, int index, stepfn step, const void *ctx,
                const unsigned char *s, size_t ls, int reps) {
  double best = 1e30;
  long n = 0;
  int r;
  for (r = 0; r < reps; r++) {
    double t = cpu();
    n = gmatch(step, ctx, s, ls);
    t = cpu() - t;
    if (t < best) best = t;
  }
  printf("gmatch\t%d\t%s\t%.6f\t%ld\n", index, what, best, n);
  fflush(stdout);
}

/* Plain-needle find, 20 searches a run. */
static void find(const char *what, int (*f)(const unsigned char *, size_t,
                 const char *, size_t, size_t, mb_match *),
                 const mb_pattern *pp, const unsigned char *s, size_t ls,
                 const char *needle, int reps) {
  double best = 1e30;
  long at = -1;
  int r, k;
  for (r = 0; r < reps; r++) {
    double t = cpu();
    for (k = 0; k < 20; k++) {
      mb_match mt;
      int rc = pp ? mb_pexec(pp, s, ls, 0, MB_PEXEC_FIND, &mt)
                  : f(s, ls, needle, strlen(needle), 0, &mt);
      at = rc == 1 ? (long)mt.start : -1;
    }
    t = (cpu() - t) / 20;
    if (t < best) best = t;
  }
  printf("find\t%s\t%s\t%.6f\t%ld\n", needle, what, best, at);
  fflush(stdout);
}

static void finds(const unsigned char *s, size_t ls, const char *needle,
                  int reps) {
  mb_pattern *pp;
  find("new", mb_pfind, NULL, s, ls, needle, reps);
#ifdef OLD_ENGINE
  find("old", old_pfind, NULL, s, ls, needle, reps);
#endif
  if (mb_pcompile(&pp, needle, strlen(needle)) != 0) exit(1);
  find("new-compiled", NULL, pp, s, ls, needle, reps);
  mb_pfree(pp);
}

int main(int argc, char **argv) {
  int fd, reps = argc > 2 ? atoi(argv[2]) : 3;
  struct stat st;
  const unsigned char *s;
  size_t ls, i;
  char needle[32];
  mb_pattern *pp;
  if (argc < 2) { fprintf(stderr, "usage: pattern_bench FILE [REPS]\n"); return 2; }
  if ((fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) != 0) {
    perror(argv[1]);
    return 1;
  }
  ls = (size_t)st.st_size;
  s = mmap(NULL, ls, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (s == MAP_FAILED) { perror("mmap"); return 1; }
  for (i = 0; i < sizeof PATTERNS / sizeof PATTERNS[0]; i++) {
    const char *p = PATTERNS[i];
    if (mb_pcompile(&pp, p, strlen(p)) != 0) return 1;
    run("new", (int)i, compiled, pp, s, ls, reps);
    run("new-pfind", (int)i, percall, p, s, ls, reps);
#ifdef OLD_ENGINE
    run("old", (int)i, old, p, s, ls, reps);
#endif
    mb_pfree(pp);
  }
  /* plain needles: one that is not there (the whole file is read), one
  ** from near the end (a time of day of the last lines) */
  finds(s, ls, "mapbuf_needle_not_there", reps);
  {
    size_t at = mb_memrfind(s, ls, "/Nov/2024:", 10);
    if (at != MB_NPOS && ls - at > 20) {
      memcpy(needle, s + at + 1, 17);
      needle[17] = '\0';
      finds(s, ls, needle, reps);
    }
  }
  return 0;
}
