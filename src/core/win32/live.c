/*
** live.c (Win32) - is that process still alive?  The two ways of
** posix/live.c, with Windows' means:
**
**   - a token: the process id and 31 bits of its creation time (in
**     milliseconds), so that a recycled id does not pass for the dead
**     process; alive while GetExitCodeProcess says STILL_ACTIVE;
**   - a lock on one byte (LockFileEx) through a file object of the
**     holder's own (ReOpenFile): Windows drops it when the holder dies.
**     Windows has no F_OFD_GETLK, so a probe tries the lock through its
**     own file object and gives it back at once when it got it.
**
** There is no fork: the fork generation never changes.
*/
#include "os.h"
#include "internal.h"
#include "ipcint.h"
#include "w32.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>

#define PIDMASK 0x3FFFFFFFu

volatile unsigned mb_forkgen_now = 1;
unsigned mb_forkgen(void) { return mb_forkgen_now; }

/* 31 bits of the creation time of process h, or 0. */
static uint32_t born(HANDLE h) {
  FILETIME c, e, k, u;
  ULARGE_INTEGER t;
  if (!GetProcessTimes(h, &c, &e, &k, &u)) return 0;
  t.LowPart = c.dwLowDateTime;
  t.HighPart = c.dwHighDateTime;
  return (uint32_t)((t.QuadPart / 10000) & 0x7FFFFFFFu);
}

uint64_t mb_token_self(void) {
  static uint64_t token;
  if (token == 0) {
    uint64_t t = GetCurrentProcessId() & PIDMASK;
    token = t | (uint64_t)born(GetCurrentProcess()) << 32;
  }
  return token;
}

int mb_token_alive(uint64_t token) {
  DWORD pid = (DWORD)mb_token_pid(token), code = 0;
  uint32_t tag = (uint32_t)(token >> 32);
  HANDLE h;
  int alive;
  if (pid == 0) return 0;
  h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (h == NULL) return GetLastError() == ERROR_ACCESS_DENIED;  /* exists */
  alive = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
  if (alive && tag != 0 && born(h) != tag) alive = 0;
  CloseHandle(h);
  return alive;
}

int mb_reopen(int fd, int writable) {
  DWORD access = GENERIC_READ | (writable ? GENERIC_WRITE : 0);
  HANDLE h = mb_w32handle(fd), r;
  int out;
  if (h == INVALID_HANDLE_VALUE) { errno = EBADF; return -1; }
  r = ReOpenFile(h, access, FILE_SHARE_READ | FILE_SHARE_WRITE |
                 FILE_SHARE_DELETE, 0);
  if (r == INVALID_HANDLE_VALUE) { errno = mb_w32err(); return -1; }
  out = _open_osfhandle((intptr_t)r, _O_BINARY | _O_NOINHERIT |
                        (writable ? _O_RDWR : _O_RDONLY));
  if (out < 0) CloseHandle(r);
  return out;
}

/* No fork here: a child process inherits no handle it was not given. */
int mb_lockfd_open(int fd) { return mb_reopen(fd, 1); }

void mb_lockfd_close(int d, unsigned gen) {
  (void)gen;
  if (d >= 0) mb_os_close(d);
}

int mb_lockbyte(int fd, uint64_t at, int *got) {
  return mb_os_trylock(fd, 1, at, 1, got);
}

int mb_unlockbyte(int fd, uint64_t at) { return mb_os_unlock(fd, at, 1); }

int mb_probebyte(int fd, uint64_t at, int *held) {
  int got = 0, rc = mb_os_trylock(fd, 1, at, 1, &got);
  if (rc != 0) return rc;
  if (got) mb_os_unlock(fd, at, 1);
  *held = !got;
  return 0;
}
