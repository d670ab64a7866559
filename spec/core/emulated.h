/* emulated.h - what the POSIX tests ask before they rely on the system:
** where qemu-user (the aarch64 and s390x runs of .ci/cross) emulates a
** detail differently, they skip that part and say why.  POSIX only: the
** Windows build compiles none of the tests that include it. */
#ifndef EMULATED_H
#define EMULATED_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *volatile check_bus_page;   /* for check_sigbus_addr */

/* The POSIX tests' clock (monotonic seconds) and their scratch files:
** name inside dir, in a buffer the next call reuses. */
static inline double check_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static inline const char *check_path(const char *dir, const char *name) {
  static char buf[256];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

/* Does this process run under valgrind (its preload library in
** LD_PRELOAD)?  Stress loops run fewer rounds there. */
static inline int check_valgrind(void) {
  const char *p = getenv("LD_PRELOAD");
  return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* Does this process see a made-up /proc/self/stat?  qemu-user writes its
** own for the process it emulates (the state a digit, a forked child with
** its parent's start time), while other processes read the kernel's, so
** the pid + start-time tokens of live.c cannot match there.  Tests of
** process liveness skip, saying so, when this is 1. */
static inline int check_proc_faked(void) {
  char buf[512];
  const char *p;
  size_t n;
  FILE *f = fopen("/proc/self/stat", "r");
  if (f == NULL) return 0;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')');
  return p != NULL && p[1] == ' ' && !(p[2] >= 'A' && p[2] <= 'Z');
}

/* Does a SIGBUS past the end of a file say where it struck (si_addr inside
** the page touched)?  The truncation guard needs it to map zeros there;
** qemu-user for s390x does not report it.  Asked once, in a child process,
** so no handler or mapping of ours is left behind. */
static inline void check_bus_handler(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  _exit(si->si_addr != NULL &&
        ((uintptr_t)si->si_addr & ~(uintptr_t)4095) ==
        (uintptr_t)check_bus_page ? 0 : 1);
}
static inline int check_sigbus_addr(void) {
  char path[] = "/tmp/mapbuf-busprobe.XXXXXX";
  int fd = mkstemp(path), st = 0;
  pid_t pid;
  if (fd < 0) return 1;
  unlink(path);
  if (ftruncate(fd, 8192) != 0) { close(fd); return 1; }
  pid = fork();
  if (pid == 0) {
    struct sigaction sa;
    char *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || ftruncate(fd, 100) != 0) _exit(1);
    check_bus_page = p + 4096;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = check_bus_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    st = *(volatile char *)(p + 4096 + 7);
    _exit(2 + st);   /* no fault at all */
  }
  close(fd);
  if (pid < 0 || waitpid(pid, &st, 0) != pid) return 1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

#endif
