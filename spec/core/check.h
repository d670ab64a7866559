/* check.h - the one harness of the core's C tests: checks that count,
** report where they failed, and a closing line the runners read. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char *volatile check_bus_page;   /* for check_sigbus_addr */

static int check_passed, check_failed;

/* Report at most this many failures in full (the count is always right). */
#define CHECK_SHOWN 30

#define CHECK_FAILED_() \
  (check_failed++ < CHECK_SHOWN && \
   fprintf(stderr, "%s:%d: ", __FILE__, __LINE__) > 0)

#define CHECK(cond) do { \
    if (cond) check_passed++; \
    else if (CHECK_FAILED_()) fprintf(stderr, "CHECK failed: %s\n", #cond); \
  } while (0)

/* A check with a message of its own (printf arguments). */
#define CHECK_MSG(cond, ...) do { \
    if (cond) check_passed++; \
    else if (CHECK_FAILED_()) { \
      fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
  } while (0)

/* A core call that must return this code. */
#define CHECK_RC(call, want) do { \
    int rc_ = (call); \
    if (rc_ == (want)) check_passed++; \
    else if (CHECK_FAILED_()) \
      fprintf(stderr, "%s returned %d, want %d\n", #call, rc_, (int)(want)); \
  } while (0)

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

/* The closing line: "N passed, N failed". */
static int check_done(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
