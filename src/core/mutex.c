/*
** mutex.c - a robust mutex in one 64-bit word of a shared map: the next
** holder learns whether the previous one died while holding it.
**
** The word (machine byte order, 8-aligned):
**
**   bits  0..29  the owner's pid; 0: unlocked
**   bit  30      WAITERS: someone may sleep on the word
**   bit  31      INCONSISTENT: an owner died holding it, and no holder
**                since has said the data is whole again (consistent)
**   bits 32..63  the owner's start time (see posix/live.c): with the pid, a
**                token that a recycled pid cannot pass for
**
** A word of zeros is an unlocked, consistent mutex, so zero-filled memory
** needs no initialisation.  The low 32 bits are the futex word (the pid
** and the two flags), so they change at every unlock and every change of
** owner.
**
** Lock: CAS the pid part from 0 to our token (keeping INCONSISTENT).  If
** someone holds it: spin a little, then look whether the owner is alive;
** a dead owner's word is taken over with one CAS (the token we read ->
** ours, INCONSISTENT set), and that CAS decides between several waiters
** that found it dead at once.  Otherwise set WAITERS and sleep on the
** futex word, at most SLICE at a time, so an owner that dies while we
** sleep (and so never wakes us) is noticed within a slice.  A waiter that
** slept sets WAITERS again when it takes the lock: others may still sleep.
** Unlock: CAS the word to just its INCONSISTENT bit; wake one sleeper if
** WAITERS was set.
**
** Ordering: every access is a seq_cst atomic, so the CAS that takes the
** lock synchronises with the CAS that released it, and the holder's plain
** writes to the data it guards are visible to the next holder (acquire /
** release through the word, as with any mutex).
**
** The owner is a process: two Lua states of one process cannot exclude
** each other with it (the second gets MB_E_DEADLOCK).  Tokens are pids, so
** processes in different pid namespaces cannot share one.
*/
#include "mapbuf.h"
#include "internal.h"
#include "ipcint.h"

#include <errno.h>

#define MX_PID     0x3FFFFFFFull
#define MX_WAITERS 0x40000000ull
#define MX_INCONS  0x80000000ull
#define MX_FLAGS   (MX_WAITERS | MX_INCONS)
#define SPIN 200          /* polls before asking whether the owner lives */
#define SLICE 0.05        /* longest sleep between two such questions */

/* The 64-bit word at off, writable, or NULL with *rc set. */
static uint64_t *mxword(mb_map *m, size_t off, int *rc) {
  if (m->closed) { *rc = MB_E_CLOSED; return NULL; }
  if (m->len < 8 || off > m->len - 8) { *rc = MB_E_RANGE; return NULL; }
  if (((uintptr_t)m->base + off) % 8 != 0) { *rc = MB_E_MISALIGNED; return NULL; }
  if (m->access == MB_ACCESS_READ) { *rc = MB_E_READONLY; return NULL; }
  if (!mb_intact(m, off, 8)) { *rc = MB_E_TRUNCATED; return NULL; }
  *rc = 0;
  return (uint64_t *)(m->base + off);
}

/* The futex word: the half of the 64-bit word that holds bits 0..31. */
static uint32_t *low32(uint64_t *w) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return (uint32_t *)w + 1;
#else
  return (uint32_t *)w;
#endif
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define CAS(p, e, d) __atomic_compare_exchange_n((p), (e), (d), 0, \
                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

int mb_mutex_lock(mb_map *m, size_t off, double timeout, int flags,
                  int *got, int *ownerdead) {
  int rc, spins = 0, waited = 0;
  uint64_t *p = mxword(m, off, &rc), me, w;
  double deadline = 0;
  if (p == NULL) return rc;
  if (timeout != timeout) return EINVAL;  /* NaN */
  if (timeout >= MB_FOREVER) timeout = -1;
  if (timeout > 0) deadline = mb_now() + timeout;
  me = mb_token_self();
  *got = *ownerdead = 0;
  w = LOAD(p);
  for (;;) {
    uint64_t owner = w & ~MX_FLAGS;
    double left;
    if ((w & MX_PID) == 0) {                       /* unlocked */
      uint64_t nw = me | (w & MX_INCONS) | (waited ? MX_WAITERS : 0);
      if (CAS(p, &w, nw)) {
        *got = 1;
        *ownerdead = (w & MX_INCONS) != 0;
        return mb_touched(m, off, 8);
      }
      continue;                                    /* w was reloaded */
    }
    if (owner == me) return MB_E_DEADLOCK;
    if (spins < SPIN && timeout != 0) {
      spins++;
      mb_relax();
      w = LOAD(p);
      continue;
    }
    if (!mb_token_alive(owner)) {                  /* died holding it */
      uint64_t nw = me | MX_INCONS | (w & MX_WAITERS);
      if (CAS(p, &w, nw)) {
        *got = *ownerdead = 1;
        return mb_touched(m, off, 8);
      }
      continue;
    }
    if (timeout == 0) return 0;
    if (!(w & MX_WAITERS)) {
      if (!CAS(p, &w, w | MX_WAITERS)) continue;
      w |= MX_WAITERS;
    }
    waited = 1;
    left = SLICE;
    if (timeout > 0) {
      left = deadline - mb_now();
      if (left <= 0) return 0;
      if (left > SLICE) left = SLICE;
    }
    rc = mb_futex_wait(low32(p), (uint32_t)w, left);
    if (rc == EINTR) {
      if (flags & MB_INTR) return EINTR;   /* nothing taken */
    } else if (rc != 0 && rc != ETIMEDOUT) {
      return rc;
    }
    if (!mb_intact(m, off, 8)) return MB_E_TRUNCATED;
    w = LOAD(p);
  }
}

int mb_mutex_unlock(mb_map *m, size_t off) {
  int rc, n;
  uint64_t *p = mxword(m, off, &rc), me, w;
  if (p == NULL) return rc;
  me = mb_token_self();
  w = LOAD(p);
  do {
    if ((w & ~MX_FLAGS) != me) return MB_E_NOTOWNER;
  } while (!CAS(p, &w, w & MX_INCONS));
  if (w & MX_WAITERS) {
    rc = mb_futex_wake(low32(p), 1, &n);
    if (rc != 0) return rc;
  }
  return mb_touched(m, off, 8);
}

int mb_mutex_consistent(mb_map *m, size_t off) {
  int rc;
  uint64_t *p = mxword(m, off, &rc), me, w;
  if (p == NULL) return rc;
  me = mb_token_self();
  w = LOAD(p);
  do {
    if ((w & ~MX_FLAGS) != me) return MB_E_NOTOWNER;
  } while (!CAS(p, &w, w & ~MX_INCONS));
  return mb_touched(m, off, 8);
}

int mb_mutex_state(mb_map *m, size_t off, mb_mutexstate *st) {
  uint64_t w, owner;
  if (m->closed) return MB_E_CLOSED;
  if (m->len < 8 || off > m->len - 8) return MB_E_RANGE;
  if (((uintptr_t)m->base + off) % 8 != 0) return MB_E_MISALIGNED;
  if (!mb_intact(m, off, 8)) return MB_E_TRUNCATED;
  w = LOAD((uint64_t *)(m->base + off));
  owner = w & ~MX_FLAGS;
  st->pid = (w & MX_PID) ? (int)mb_token_pid(owner) : 0;
  st->mine = st->pid != 0 && owner == mb_token_self();
  st->alive = st->pid != 0 && (st->mine || mb_token_alive(owner));
  st->inconsistent = (w & MX_INCONS) != 0;
  st->waiters = (w & MX_WAITERS) != 0;
  return mb_touched(m, off, 8);
}
