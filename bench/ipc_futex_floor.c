/*
** ipc_futex_floor.c - the same futex ping-pong as bench/ipc_latency.lua's
** "blocking" row, in plain C: what the kernel and the machine cost before
** any Lua runs.  Two processes pinned to CPUs 0 and 1, a shared anonymous
** page, FUTEX_WAIT / FUTEX_WAKE (not private) on every exchange.
**
**   cc -O2 -o /tmp/futex_floor bench/ipc_futex_floor.c && /tmp/futex_floor
*/
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20000

static void fwait(uint32_t *p, uint32_t v) {
  syscall(SYS_futex, p, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void fwake(uint32_t *p) {
  syscall(SYS_futex, p, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Wait until *p holds want, sleeping on the futex whenever it does not. */
static void await(uint32_t *p, uint32_t want) {
  uint32_t v;
  while ((v = __atomic_load_n(p, __ATOMIC_SEQ_CST)) != want) fwait(p, v);
}

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  sched_setaffinity(0, sizeof s, &s);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  uint32_t *ping = &w[0], *pong = &w[16];  /* a cache line apart */
  static double d[ROUNDS];
  uint32_t i;
  if (w == MAP_FAILED) return 1;
  if (fork() == 0) {
    pin(1);
    for (i = 1; i <= ROUNDS; i++) {
      await(ping, i);
      __atomic_store_n(pong, i, __ATOMIC_SEQ_CST);
      fwake(pong);
    }
    _exit(0);
  }
  pin(0);
  for (i = 1; i <= ROUNDS; i++) {
    double t = now();
    __atomic_store_n(ping, i, __ATOMIC_SEQ_CST);
    fwake(ping);
    await(pong, i);
    d[i - 1] = (now() - t) / 2 * 1e6;
  }
  wait(NULL);
  qsort(d, ROUNDS, sizeof d[0], cmp);
  printf("C futex ping-pong, one-way: median %.2f us, p99 %.2f us\n",
         d[ROUNDS / 2], d[ROUNDS * 99 / 100]);
  return 0;
}
