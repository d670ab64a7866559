/*
** cpu.c (POSIX) - how many CPUs, and the signal mask helper threads are
** born with.
*/
#include "os.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

long mb_os_ncpu(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n;
}

/* the caller's mask while its helpers start (search.c says why) */
static _Thread_local sigset_t saved;

void mb_os_quiet_begin(void) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGBUS); sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGILL); sigdelset(&all, SIGFPE);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
}

void mb_os_quiet_end(void) { pthread_sigmask(SIG_SETMASK, &saved, NULL); }
