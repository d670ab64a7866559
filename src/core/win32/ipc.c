/*
** ipc.c (Win32) - the system side of IPC on Windows: clocks, sleeping on
** a word, naps, LockFileEx byte-range locks, yielding.
**
** Waits across processes.  Windows has no futex between processes:
** WaitOnAddress wakes only waiters of the same process.  So a wait here
** is WaitOnAddress in slices of one millisecond: a waker in this process
** (WakeByAddressAll) ends it at once; one in another process is seen at
** the next slice, when the waiter looks at the word again.  The cost: a
** cross-process wake-up takes up to a timer tick (1 ms when the timer
** runs fast, 15.6 ms at Windows' default rate), and each sleeper wakes
** once a slice to look.  A wake cannot tell how many it woke: *count is
** always 0 (m:wake's count says "unknown" there).
*/
#include "os.h"
#include "internal.h"
#include "ipcint.h"
#include "w32.h"

#include <errno.h>
#include <string.h>

static double tick(void) {
  static double per;  /* seconds per counter tick, asked once */
  if (per == 0) {
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    per = 1.0 / (double)f.QuadPart;
  }
  return per;
}

double mb_now(void) {
  LARGE_INTEGER c;
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart * tick();
}

uint64_t mb_now_ns(void) { return (uint64_t)(mb_now() * 1e9); }

double mb_now_coarse(void) { return (double)GetTickCount64() * 1e-3; }

#define SLICE_MS 1

int mb_futex_wait(uint32_t *p, uint32_t v, double timeout) {
  double deadline = mb_now() + (timeout > MB_FOREVER ? MB_FOREVER : timeout);
  for (;;) {
    double left = deadline - mb_now();
    DWORD ms = SLICE_MS;
    if (__atomic_load_n(p, __ATOMIC_SEQ_CST) != v) return 0;
    if (left <= 0) return ETIMEDOUT;
    if (left < 1e-3) ms = 0;
    if (!WaitOnAddress(p, &v, sizeof v, ms) && GetLastError() != ERROR_TIMEOUT)
      return mb_w32err();
  }
}

int mb_futex_wake(uint32_t *p, int n, int *count) {
  if (n == 1) WakeByAddressSingle(p);
  else WakeByAddressAll(p);
  *count = 0;   /* Windows does not say how many woke */
  return 0;
}

/* No signal handler interrupts a sleep on Windows (Ctrl-C runs on a
** thread of its own): a nap is never cut short. */
int mb_nap(double s) {
  if (s > 0) Sleep((DWORD)(s * 1e3 + 0.999));
  else Sleep(0);
  return 0;
}


/* ---- byte-range locks: LockFileEx, owned by the file object and the
** process (two maps of one file in one process, each with a descriptor of
** its own, exclude each other).  Unlike OFD locks they are mandatory for
** ReadFile/WriteFile (views are not affected), do not merge or split (an
** unlock must name exactly a range that was locked), and a shared lock is
** not upgraded in place. ---- */

static OVERLAPPED at(uint64_t start) {
  OVERLAPPED o;
  memset(&o, 0, sizeof o);
  o.Offset = (DWORD)start;
  o.OffsetHigh = (DWORD)(start >> 32);
  return o;
}

static int lockfile(int fd, int exclusive, uint64_t start, uint64_t n,
                    DWORD more, int *got) {
  OVERLAPPED o = at(start);
  DWORD fl = more | (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0);
  HANDLE h = mb_w32handle(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  if (LockFileEx(h, fl, 0, (DWORD)n, (DWORD)(n >> 32), &o)) { *got = 1; return 0; }
  if (GetLastError() == ERROR_LOCK_VIOLATION) { *got = 0; return 0; }
  return mb_w32err();
}

int mb_os_trylock(int fd, int exclusive, uint64_t start, uint64_t n, int *got) {
  return lockfile(fd, exclusive, start, n, LOCKFILE_FAIL_IMMEDIATELY, got);
}

int mb_os_lockwait(int fd, int exclusive, uint64_t start, uint64_t n) {
  int got = 0;
  return lockfile(fd, exclusive, start, n, 0, &got);
}

int mb_os_unlock(int fd, uint64_t start, uint64_t n) {
  OVERLAPPED o = at(start);
  HANDLE h = mb_w32handle(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  if (!UnlockFileEx(h, 0, (DWORD)n, (DWORD)(n >> 32), &o)) return mb_w32err();
  return 0;
}

void mb_os_yield(void) { SwitchToThread(); }
