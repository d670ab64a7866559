/*
** timer.c (POSIX) - the progress bar's clock: setitimer and SIGALRM,
** restarting what it interrupts (SA_RESTART).
*/
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "../host.h"

static void (*callback)(void);

static void onalarm(int sig) {
  (void)sig;
  if (callback != NULL) callback();
}

void host_timer(long us, void (*fn)(void)) {
  struct itimerval it;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  if (us > 0) {
    callback = fn;
    sa.sa_handler = onalarm;
    sa.sa_flags = SA_RESTART;
  } else {
    sa.sa_handler = SIG_IGN;
  }
  sigemptyset(&sa.sa_mask);
  memset(&it, 0, sizeof it);
  if (us > 0) sigaction(SIGALRM, &sa, NULL);
  it.it_interval.tv_usec = it.it_value.tv_usec = us;
  setitimer(ITIMER_REAL, &it, NULL);
  if (us <= 0) sigaction(SIGALRM, &sa, NULL);
}
