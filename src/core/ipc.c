/*
** ipc.c - what processes sharing a map need: atomics on aligned words,
** wait/wake on a word, byte-range locks, a full fence.  The sleeps, the
** locks themselves and named shared memory are the platform's
** (posix/ipc.c, posix/shm.c); whether a process is alive, posix/live.c;
** mutex.c is the robust mutex, ring.c the message ring.
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
#include "os.h"

#include <errno.h>


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
  return mb_touched(m, off, (size_t)bits / 8);
}

int mb_atomic_store(mb_map *m, size_t off, int bits, uint64_t v) {
  int rc;
  void *p = wword(m, off, bits, &rc);
  if (p == NULL) return rc;
  if (bits == 32) __atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_SEQ_CST);
  else __atomic_store_n((uint64_t *)p, v, __ATOMIC_SEQ_CST);
  return mb_touched(m, off, (size_t)bits / 8);
}

int mb_atomic_add(mb_map *m, size_t off, int bits, uint64_t d, uint64_t *old) {
  int rc;
  void *p = wword(m, off, bits, &rc);
  if (p == NULL) return rc;
  if (bits == 32)
    *old = __atomic_fetch_add((uint32_t *)p, (uint32_t)d, __ATOMIC_SEQ_CST);
  else
    *old = __atomic_fetch_add((uint64_t *)p, d, __ATOMIC_SEQ_CST);
  return mb_touched(m, off, (size_t)bits / 8);
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
  return mb_touched(m, off, (size_t)bits / 8);
}


/* ---- wait / wake ---- */

void mb_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

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

/* The file range of bytes off .. off+n-1 of the map (n == 0: to its
** end) in *start, *len. */
static int lockrange(mb_map *m, uint64_t off, uint64_t n, uint64_t *start,
                     uint64_t *len) {
  if (m->closed) return MB_E_CLOSED;
  if (m->kind == MB_KIND_ANON || m->kind == MB_KIND_HOST) return MB_E_NOFILE;
  if (m->fd < 0) return MB_E_UNTRACKED;
  if (off > m->len) return MB_E_RANGE;
  if (n == 0) n = m->len - off;
  else if (n > m->len - off) return MB_E_RANGE;
  *start = m->offset + off;
  *len = n;
  return 0;
}

/* Naps between tries of a lock that is busy: short at first (a lock held
** for a moment is taken a moment after), doubling up to LOCKNAP_MAX, so a
** long wait costs some hundred system calls a second. */
#define LOCKNAP_MIN 50e-6
#define LOCKNAP_MAX 2e-3

int mb_lockx(mb_map *m, int exclusive, uint64_t off, uint64_t n,
             double timeout, int flags, int *got) {
  uint64_t start, len;
  double deadline = 0, nap = LOCKNAP_MIN;
  int rc = lockrange(m, off, n, &start, &len);
  if (rc != 0) return rc;
  if (timeout != timeout) return EINVAL;  /* NaN */
  if (timeout >= MB_FOREVER) timeout = -1;
  if (timeout < 0 && !(flags & MB_INTR)) {
    /* forever, and no signal may end it: the kernel's own queue */
    if ((rc = mb_os_lockwait(m->fd, exclusive, start, len)) != 0) return rc;
    *got = 1;
    return 0;
  }
  if (timeout > 0) deadline = mb_now() + timeout;
  for (;;) {
    double left = nap;
    rc = mb_os_trylock(m->fd, exclusive, start, len, got);
    if (rc != 0 || *got) return rc;
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
  uint64_t start, len;
  int rc = lockrange(m, off, n, &start, &len);
  if (rc != 0) return rc;
  return mb_os_unlock(m->fd, start, len);
}
