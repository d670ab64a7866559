/*
** ipc.c - what processes sharing a map need: atomics on aligned words,
** futex wait/wake, byte-range locks, a full fence, and POSIX named shared
** memory.  (live.c tells whether a process is alive, mutex.c is the
** robust mutex, ring.c the message ring.)
**
** Blocking and signals.  Every sleep here goes to the kernel with a
** timeout: a FUTEX_WAIT without one, and F_OFD_SETLKW, are restarted by
** the kernel after a signal handler installed with SA_RESTART (the host's
** signal() is; lua5.4's sigaction is not), so a signal could never cut
** them short.  A timed FUTEX_WAIT and nanosleep return EINTR after any
** handler (measured on Linux 6.x; signal(7) says the same).  So a wait is
** a loop of timed sleeps, a lock that may wait is a loop of F_OFD_SETLK
** tries with naps between them, and with MB_INTR the first EINTR ends the
** call, holding nothing, for the caller to look at what the signal asked.
*/
#include "mapbuf.h"
#include "internal.h"
#include "ipcint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>
/* The futex operations, as the kernel's ABI numbers them: not from
** <linux/futex.h>, which musl's compiler wrapper does not see. */
#define MB_FUTEX_WAIT 0
#define MB_FUTEX_WAKE 1
#endif


/* ---- atomics ---- */

/* The address of the bits-wide word at off, or NULL with *rc set.
** Alignment is checked on the address, so borrowed memory that is not
** page-aligned is judged by what the CPU sees. */
static void *word(mb_map *m, size_t off, int bits, int *rc) {
  size_t w;
  if (m->closed) { *rc = MB_E_CLOSED; return NULL; }
  if (bits != 32 && bits != 64) { *rc = MB_E_BITS; return NULL; }
  w = (size_t)bits / 8;
  if (m->len < w || off > m->len - w) { *rc = MB_E_RANGE; return NULL; }
  if (((uintptr_t)m->base + off) % w != 0) { *rc = MB_E_MISALIGNED; return NULL; }
  if (!mb_intact(m, off, w)) { *rc = MB_E_TRUNCATED; return NULL; }
  *rc = 0;
  return m->base + off;
}

/* After an access: the guard lowers valid when the word's page vanished
** with a truncated file (a load read zero, a store was lost). */
#define DONE(m, off, bits) \
  (mb_intact(m, off, (size_t)(bits) / 8) ? 0 : MB_E_TRUNCATED)

/* As word, for operations that write. */
static void *wword(mb_map *m, size_t off, int bits, int *rc) {
  void *p = word(m, off, bits, rc);
  if (p != NULL && m->access == MB_ACCESS_READ) {
    *rc = MB_E_READONLY;
    return NULL;
  }
  return p;
}

int mb_atomic_load(mb_map *m, size_t off, int bits, uint64_t *v) {
  int rc;
  void *p = word(m, off, bits, &rc);
  if (p == NULL) return rc;
  if (bits == 32) *v = __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST);
  else *v = __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
  return DONE(m, off, bits);
}

int mb_atomic_store(mb_map *m, size_t off, int bits, uint64_t v) {
  int rc;
  void *p = wword(m, off, bits, &rc);
  if (p == NULL) return rc;
  if (bits == 32) __atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_SEQ_CST);
  else __atomic_store_n((uint64_t *)p, v, __ATOMIC_SEQ_CST);
  return DONE(m, off, bits);
}

int mb_atomic_add(mb_map *m, size_t off, int bits, uint64_t d, uint64_t *old) {
  int rc;
  void *p = wword(m, off, bits, &rc);
  if (p == NULL) return rc;
  if (bits == 32)
    *old = __atomic_fetch_add((uint32_t *)p, (uint32_t)d, __ATOMIC_SEQ_CST);
  else
    *old = __atomic_fetch_add((uint64_t *)p, d, __ATOMIC_SEQ_CST);
  return DONE(m, off, bits);
}

int mb_cas(mb_map *m, size_t off, int bits, uint64_t expected,
           uint64_t desired, int *swapped, uint64_t *current) {
  int rc;
  void *p = wword(m, off, bits, &rc);
  if (p == NULL) return rc;
  if (bits == 32) {
    uint32_t e = (uint32_t)expected;
    *swapped = __atomic_compare_exchange_n((uint32_t *)p, &e, (uint32_t)desired,
                                           0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    *current = e;  /* on failure, what was there; on success, expected */
  } else {
    uint64_t e = expected;
    *swapped = __atomic_compare_exchange_n((uint64_t *)p, &e, desired, 0,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    *current = e;
  }
  return DONE(m, off, bits);
}


/* ---- clocks, futex wait / wake ---- */

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

void mb_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

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

/* The longest single sleep of a wait: waits for longer (or forever) are
** several, so the remaining time is recomputed now and then. */
#define WAITSLICE 1.0

int mb_waitx(mb_map *m, size_t off, uint32_t expected, double timeout,
             int flags, int *woken) {
  int rc;
  uint32_t *p = word(m, off, 32, &rc);
  double deadline = 0;
  if (p == NULL) return rc;
  if (timeout != timeout) return EINVAL;  /* NaN */
  if (timeout >= MB_FOREVER) timeout = -1;
  if (timeout >= 0) deadline = mb_now() + timeout;
  for (;;) {
    double left = WAITSLICE;
    if (timeout >= 0) {
      left = deadline - mb_now();
      if (left < 0) left = 0;
      if (left > WAITSLICE) left = WAITSLICE;
    }
    rc = mb_futex_wait(p, expected, left);
    if (rc == 0) { *woken = 1; return 0; }
    if (rc == ETIMEDOUT) {
      if (timeout >= 0 && mb_now() >= deadline) { *woken = 0; return 0; }
      continue;                          /* a slice of a longer wait */
    }
    if (rc == EINTR) {
      if (flags & MB_INTR) return EINTR;
      continue;                          /* a signal: wait what is left */
    }
    return rc;
  }
}

int mb_wait(mb_map *m, size_t off, uint32_t expected, double timeout,
            int *woken) {
  return mb_waitx(m, off, expected, timeout, 0, woken);
}

int mb_wake(mb_map *m, size_t off, int n, int *count) {
  int rc;
  uint32_t *p = word(m, off, 32, &rc);
  if (p == NULL) return rc;
  if (n < 0) return MB_E_RANGE;
  if (n == 0) { *count = 0; return 0; }
  return mb_futex_wake(p, n, count);
}


/* ---- byte-range locks ---- */

/* Fill fl for bytes off .. off+n-1 of the map (n == 0: to its end). */
static int lockrange(mb_map *m, uint64_t off, uint64_t n, struct flock *fl) {
  if (m->closed) return MB_E_CLOSED;
  if (m->kind == MB_KIND_ANON || m->kind == MB_KIND_HOST) return MB_E_NOFILE;
  if (m->fd < 0) return MB_E_UNTRACKED;
  if (off > m->len) return MB_E_RANGE;
  if (n == 0) n = m->len - off;
  else if (n > m->len - off) return MB_E_RANGE;
  memset(fl, 0, sizeof *fl);
  fl->l_whence = SEEK_SET;
  fl->l_start = (off_t)(m->offset + off);
  /* l_len 0 would mean "to the end of the file, however it grows"; an
  ** empty range of an empty map is the only way to ask for it here */
  fl->l_len = (off_t)n;
  fl->l_pid = 0;  /* OFD locks require it */
  return 0;
}

/* One try without waiting: 0 with *got 1 held, 0 busy; or an errno. */
static int trylock(int fd, struct flock *fl, int *got) {
  if (fcntl(fd, F_OFD_SETLK, fl) == 0) { *got = 1; return 0; }
  if (errno == EAGAIN || errno == EACCES) { *got = 0; return 0; }
  return mb_oserr();
}

/* Naps between tries of a lock that is busy: short at first (a lock held
** for a moment is taken a moment after), doubling up to LOCKNAP_MAX, so a
** long wait costs some hundred system calls a second. */
#define LOCKNAP_MIN 50e-6
#define LOCKNAP_MAX 2e-3

int mb_lockx(mb_map *m, int exclusive, uint64_t off, uint64_t n,
             double timeout, int flags, int *got) {
  struct flock fl;
  double deadline = 0, nap = LOCKNAP_MIN;
  int rc = lockrange(m, off, n, &fl);
  if (rc != 0) return rc;
  if (timeout != timeout) return EINVAL;  /* NaN */
  fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
  if (timeout >= MB_FOREVER) timeout = -1;
  if (timeout < 0 && !(flags & MB_INTR)) {
    /* forever, and no signal may end it: the kernel's own queue */
    for (;;) {
      if (fcntl(m->fd, F_OFD_SETLKW, &fl) == 0) { *got = 1; return 0; }
      if (errno != EINTR) return mb_oserr();
    }
  }
  if (timeout > 0) deadline = mb_now() + timeout;
  for (;;) {
    double left = nap;
    if ((rc = trylock(m->fd, &fl, got)) != 0 || *got) return rc;
    if (timeout == 0) return 0;
    if (timeout > 0) {
      left = deadline - mb_now();
      if (left <= 0) return 0;          /* *got is 0: timed out */
      if (left > nap) left = nap;
    }
    /* The lock is not held here, so an interruption leaves nothing held. */
    if (mb_nap(left) == EINTR && (flags & MB_INTR)) return EINTR;
    if (nap < LOCKNAP_MAX) nap *= 2;
  }
}

int mb_lock(mb_map *m, int exclusive, uint64_t off, uint64_t n, int wait,
            int *got) {
  return mb_lockx(m, exclusive, off, n, wait ? -1 : 0, 0, got);
}

int mb_unlock(mb_map *m, uint64_t off, uint64_t n) {
  struct flock fl;
  int rc = lockrange(m, off, n, &fl);
  if (rc != 0) return rc;
  fl.l_type = F_UNLCK;
  if (fcntl(m->fd, F_OFD_SETLK, &fl) != 0) return mb_oserr();
  return 0;
}


/* ---- POSIX named shared memory ---- */

/* A zero-length map of the object: mb_mapfd, as Python, refuses empty
** files, but an empty shared memory object is a fine thing to attach to
** (and to resize later). */
static int emptymap(mb_map **out, int fd, int readonly) {
  mb_map *m = mb_newmap(MB_KIND_SHM);
  if (m == NULL) return ENOMEM;
  if ((m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
    int e = mb_oserr();
    free(m);
    return e;
  }
  m->access = readonly ? MB_ACCESS_READ : MB_ACCESS_WRITE;
  m->prot = readonly ? PROT_READ : PROT_READ | PROT_WRITE;
  m->flags = MAP_SHARED;
  *out = m;
  return 0;
}

int mb_shm(mb_map **out, const char *name, uint64_t size, int has_size,
           int flags) {
  int readonly = (flags & MB_SHM_RDONLY) != 0;
  int created = 0, fd = -1, rc;
  struct stat st;
  mb_map *m = NULL;
  if (readonly && has_size) return MB_E_SIZEMODE;
  if (has_size && size > (uint64_t)INT64_MAX) return MB_E_TOOBIG;
  if (has_size) {
    /* O_EXCL first, so we know whether the object is ours to remove if
    ** anything below fails */
    for (;;) {
      fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) { created = 1; break; }
      if (errno != EEXIST || (flags & MB_SHM_EXCL)) return mb_oserr();
      fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
      if (fd >= 0) break;
      if (errno != ENOENT) return mb_oserr();
      /* removed between the two calls: try to create it again */
    }
  } else {
    fd = shm_open(name, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
    if (fd < 0) return mb_oserr();
  }
  if (fstat(fd, &st) != 0) { rc = mb_oserr(); goto fail; }
  if (has_size && size > (uint64_t)st.st_size) {  /* extend, never shrink */
    if (ftruncate(fd, (off_t)size) != 0) { rc = mb_oserr(); goto fail; }
    st.st_size = (off_t)size;
  }
  if (st.st_size == 0) {
    rc = emptymap(&m, fd, readonly);
  } else {
    mb_mapopts o = MB_MAPOPTS_INIT;
    o.access = readonly ? MB_ACCESS_READ : MB_ACCESS_WRITE;
    rc = mb_mapfd(&m, fd, (uint64_t)st.st_size, &o);
  }
  if (rc != 0) goto fail;
  m->kind = MB_KIND_SHM;
  close(fd);  /* the map keeps its own duplicate, for resize and lock */
  *out = m;
  return 0;
fail:
  close(fd);
  if (created) shm_unlink(name);
  return rc;
}

int mb_shm_unlink(const char *name) {
  if (shm_unlink(name) != 0) return mb_oserr();
  return 0;
}
