/*
** timer.c (Win32) - the progress bar's clock without SIGALRM: a timer of
** the process's timer queue, whose callback runs on a pool thread and
** only asks for a redraw (host_request sets a hook, as a signal handler
** would).
*/
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "../host.h"

static HANDLE timer;
static void (*callback)(void);

static VOID CALLBACK ontimer(PVOID ud, BOOLEAN fired) {
  (void)ud; (void)fired;
  if (callback != NULL) callback();
}

void host_timer(long us, void (*fn)(void)) {
  if (timer != NULL) {   /* waits for a callback that is running */
    DeleteTimerQueueTimer(NULL, timer, INVALID_HANDLE_VALUE);
    timer = NULL;
  }
  if (us <= 0) return;
  callback = fn;
  if (!CreateTimerQueueTimer(&timer, NULL, ontimer, NULL, (DWORD)(us / 1000),
                             (DWORD)(us / 1000), WT_EXECUTEDEFAULT))
    timer = NULL;   /* no bar then: the chunk runs on */
}
