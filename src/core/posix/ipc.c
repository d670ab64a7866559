/*
** ipc.c (POSIX) - the system side of IPC: the monotonic clocks, futex
** wait and wake (a polling stand-in where there is no futex), naps, OFD
** byte-range locks, and yielding the CPU.  ../ipc.c says why every sleep
** is timed.
*/
#include "os.h"
#include "internal.h"
#include "ipcint.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <limits.h>
#include <sys/syscall.h>
/* The futex operations, as the kernel's ABI numbers them: not from
** <linux/futex.h>, which musl's compiler wrapper does not see. */
#define MB_FUTEX_WAIT 0
#define MB_FUTEX_WAKE 1
#endif


double mb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t mb_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double mb_now_coarse(void) {
  struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
  clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* seconds (finite, >= 0) as a timespec */
static struct timespec tospec(double s) {
  struct timespec ts;
  if (!(s > 0)) s = 0;
  if (s > MB_FOREVER) s = MB_FOREVER;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  if (ts.tv_nsec > 999999999L) ts.tv_nsec = 999999999L;
  if (ts.tv_nsec < 0) ts.tv_nsec = 0;
  return ts;
}

#ifdef __linux__
/*
** A timed FUTEX_WAIT.  The raw system call takes the kernel's timespec, not
** libc's: where time_t is 64-bit on a 32-bit ABI (musl, glibc with
** _TIME_BITS=64), SYS_futex reads the old 32-bit layout and would see the
** low half of tv_sec as seconds and its high half as nanoseconds; such
** ABIs have SYS_futex_time64 (Linux 5.1) for libc's layout.  On kernels
** older than that, the timeout is handed over in the old layout.
*/
static long futex_wait_call(uint32_t *p, uint32_t v, const struct timespec *ts) {
#if defined(SYS_futex_time64)
  if (sizeof(time_t) > sizeof(long)) {
    long r = syscall(SYS_futex_time64, p, MB_FUTEX_WAIT, v, ts, NULL, 0);
    if (r == 0 || errno != ENOSYS) return r;
  }
#endif
#if defined(SYS_futex)
  if (sizeof(time_t) > sizeof(long)) {
    struct { long sec, nsec; } old;   /* what SYS_futex reads there */
    old.sec = ts->tv_sec > LONG_MAX ? LONG_MAX : (long)ts->tv_sec;
    old.nsec = ts->tv_nsec;
    return syscall(SYS_futex, p, MB_FUTEX_WAIT, v, &old, NULL, 0);
  }
  return syscall(SYS_futex, p, MB_FUTEX_WAIT, v, ts, NULL, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}
#endif

int mb_futex_wait(uint32_t *p, uint32_t v, double timeout) {
#ifdef __linux__
  struct timespec ts = tospec(timeout);
  /* No FUTEX_PRIVATE_FLAG: the word may be shared with other processes,
  ** and the kernel must key the wait on the page, not on our address. */
  long r = futex_wait_call(p, v, &ts);
  if (r == 0) return 0;        /* woken (or spuriously: callers recheck) */
  switch (errno) {
    case EAGAIN: return 0;     /* the word did not hold v */
    case ETIMEDOUT: return ETIMEDOUT;
    case EINTR: return EINTR;
    case EFAULT: return MB_E_TRUNCATED;  /* the page went with the file */
    default: return mb_oserr();
  }
#else
  /* Without a futex: poll with short sleeps. */
  double deadline = mb_now() + timeout;
  for (;;) {
    struct timespec ts = {0, 50000};
    if (__atomic_load_n(p, __ATOMIC_SEQ_CST) != v) return 0;
    if (mb_now() >= deadline) return ETIMEDOUT;
    if (nanosleep(&ts, NULL) != 0 && errno == EINTR) return EINTR;
  }
#endif
}

int mb_futex_wake(uint32_t *p, int n, int *count) {
#ifdef __linux__
#if defined(SYS_futex)
  long r = syscall(SYS_futex, p, MB_FUTEX_WAKE, n, NULL, NULL, 0);
#else   /* a wake carries no timespec: either call does */
  long r = syscall(SYS_futex_time64, p, MB_FUTEX_WAKE, n, NULL, NULL, 0);
#endif
  if (r < 0) return errno == EFAULT ? MB_E_TRUNCATED : mb_oserr();
  *count = (int)r;
#else
  (void)p; (void)n;
  *count = 0;
#endif
  return 0;
}

int mb_nap(double s) {
  struct timespec ts = tospec(s);
  return nanosleep(&ts, NULL) == 0 ? 0 : (errno == EINTR ? EINTR : 0);
}


/* ---- byte-range locks: OFD locks, owned by the open file description,
** so two maps of one file in one process exclude each other ---- */

static void range(struct flock *fl, short type, uint64_t start, uint64_t n) {
  memset(fl, 0, sizeof *fl);
  fl->l_type = type;
  fl->l_whence = SEEK_SET;
  fl->l_start = (off_t)start;
  /* l_len 0 would mean "to the end of the file, however it grows"; an
  ** empty range of an empty map is the only way to ask for it here */
  fl->l_len = (off_t)n;
  fl->l_pid = 0;  /* OFD locks require it */
}

int mb_os_trylock(int fd, int exclusive, uint64_t start, uint64_t n, int *got) {
  struct flock fl;
  range(&fl, exclusive ? F_WRLCK : F_RDLCK, start, n);
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) { *got = 1; return 0; }
  if (errno == EAGAIN || errno == EACCES) { *got = 0; return 0; }
  return mb_oserr();
}

int mb_os_lockwait(int fd, int exclusive, uint64_t start, uint64_t n) {
  struct flock fl;
  range(&fl, exclusive ? F_WRLCK : F_RDLCK, start, n);
  for (;;) {
    if (fcntl(fd, F_OFD_SETLKW, &fl) == 0) return 0;
    if (errno != EINTR) return mb_oserr();
  }
}

int mb_os_unlock(int fd, uint64_t start, uint64_t n) {
  struct flock fl;
  range(&fl, F_UNLCK, start, n);
  return fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : mb_oserr();
}

void mb_os_yield(void) { sched_yield(); }
