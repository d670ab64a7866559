/*
** ring.c - a message ring in a shared map: variable-length messages from
** any number of producers to any number of consumers, with no lock on the
** way, at-least-once delivery with leases, and survivors that clean up
** after peers killed at any instant.
**
** ---- Layout (byte offsets from the ring's first byte; words in machine
** order; 64-bit words 8-aligned) ----
**
**      0  u32 "MBRG" magic, u32 version (2): together word0
**      8  u64 capacity: data bytes, N * 64
**     16  u64 data offset         24  u64 control offset (8704)
**     32  u64 N, the number of 64-byte data slots
**     40  u32 flags (1: multi)    44  u32 slot size (64)
**     48  u32 peers per role (64)
**     56  u64 FORMER: the formatter's token while formatting, else 0
**         ("formatting", further down)
**     64  u64 TAIL: positions ever claimed by producers      (own line)
**    128  u64 HEAD: positions ever claimed by consumers      (own line)
**    192  u64 CSLEEP: bit i set while consumer i may sleep;
**    200  u32 CSEQ: the word consumers sleep on               (one line)
**    256  u64 PSLEEP, 264 u32 PSEQ: the same for producers
**    512  64 producer peers, 64 bytes each
**   4608  64 consumer peers
**   8704  N control words
**      D  N data slots of 64 bytes (D = 8704 + 8N rounded up to 64)
**
** A position is a slot counted since the ring was made: position q lives
** in slot q % N, and positions only grow (2^62 of them: they never wrap).
** A record is k consecutive positions (k = (8 + length + 63) / 64): an
** 8-byte head (u32 length, u32 kind = 1) in its first slot, then the
** message, which wraps around the end of the data area to slot 0 when it
** does not fit before it (the head never wraps: slots are 64 bytes).  Any
** message of up to capacity - 8 bytes fits an empty ring.
**
** Each slot has a control word, ctl = position << 2 | state:
**   FREE(q)   the slot is free for the producer that claims position q;
**   FULL(q)   a record starts at position q and is committed;
**   SKIP(q)   position q was claimed by a producer that died before it
**             committed: consumers pass over this one slot.
** Only a record's first slot changes state; its other slots keep FREE of
** their position until the record is freed.
**
** A peer (64 bytes): u64 owner token (0: free; bit 31: its liveness is an
** OFD lock on the peer's first byte, else the token itself, posix/live.c),
** u64 producer intent / consumer lease, u64 when the lease was taken (ns),
** u64 messages pushed / acknowledged, u64 messages handed out.
**
** ---- Producer ----
**   1. t = TAIL; the record needs positions t .. t+k-1; each slot must
**      read FREE(t + j), else the ring is full there (or t is stale: read
**      again);
**   2. publish the intent (t, k) in its peer;
**   3. claim: CAS TAIL t -> t + k (a single producer just stores it);
**   4. write the head and the message into the slots;
**   5. commit: CAS ctl[t % N] FREE(t) -> FULL(t);
**   6. if CSLEEP is not 0: bump CSEQ and wake its sleepers.
**
** ---- Consumer ----
**   1. h = HEAD; ctl[h % N] must be FULL(h) or SKIP(h), else the ring is
**      empty (TAIL == h) or the record at h is being written;
**   2. read k from the record's head; publish the lease h + 1 in its peer;
**   3. claim: CAS HEAD h -> h + k.  Winning it makes the record this
**      consumer's alone: nobody else can claim h any more;
**   4. hand out the message (pop copies it and acknowledges at once; peek
**      keeps the lease until ack);
**   5. ack: CAS the record's slots from FREE of their position (FULL or
**      SKIP for the first) to FREE of the position N later, the first slot
**      last; clear the lease;
**   6. if PSLEEP is not 0: bump PSEQ and wake its sleepers.
**
** ---- Memory ordering ----
** The claims, commits, frees and sleeper bits are seq_cst atomics; the
** announcements made before a claim (intents, leases), the single ring's
** TAIL and HEAD stores and the counters are relaxed or release stores
** that the next seq_cst operation (or the release itself) publishes; the
** data and the record's head are plain stores and loads.  The producer writes them before the CAS of step 5,
** and a consumer reads them only after an atomic load of ctl returned
** FULL(h): the CAS releases, the load acquires, so the bytes are whole.  A
** consumer reads k before it claims; its claim CAS on HEAD succeeds only
** if nobody claimed h in between, and until h is claimed the record cannot
** be freed, so the k it read was the record's.  A consumer touches the
** bytes after the claim and frees the slots after it has copied them; a
** producer writes slot s only after it read FREE of the new position from
** ctl[s] (acquire), which the freeing CAS published after the copy.  Freeing
** the first slot last is what makes a half-finished ack harmless: TAIL
** cannot pass a slot that is not free, so the record's other slots, freed
** early, cannot be written again until the first one is free too.
** Sleeping is Dekker's pattern: a sleeper sets its bit, then checks for
** work; the other side publishes its work, then reads the bits.  All four
** are seq_cst, so one of the two sees the other.  The futex value is read
** after the bit is set and before the check, so a wake between the two
** makes the futex call return at once.
**
** ---- When a peer dies ----
** Liveness: a peer's OFD lock (or token).  A claim is always announced in
** the claimer's peer before the claiming CAS (the intent or the lease), so
** a survivor can find what a dead peer held:
**   - a producer dead between claim and commit leaves FREE(q) with
**     q < TAIL.  A consumer stuck at q looks at every producer's intent;
**     if no live producer's intent covers q, it CASes FREE(q) -> SKIP(q)
**     (the claimer, if it were alive, would still announce q; the CAS
**     loses to a commit that comes after all).  A claim of k slots is
**     passed over one slot at a time the same way;
**   - a consumer dead with a lease (taken or just claimed) leaves
**     FULL(q) behind HEAD and its lease q + 1 in its peer.  A live
**     consumer with no lease of its own takes the dead peer's slot (its
**     OFD lock, or a CAS of its token), checks that no live consumer
**     announces q too (a claimer that lost its CAS may still announce q
**     for an instant), moves the lease to itself and hands the message out
**     again: at least once.  A consumer that takes over a dead peer's slot
**     as its own (the restarted consumer of a single-consumer ring)
**     inherits its lease the same way.  An ack is a CAS, so a lease taken
**     over can never be acknowledged twice;
**   - a sleeper's bit is cleared by whoever takes its slot, and by a peer
**     whose wake woke nobody and that finds the bit's owner dead.
*/
#include "mapbuf.h"
#include "internal.h"
#include "ipcint.h"
#include "os.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- layout ---- */
#define MAGIC      "MBRG"             /* word0: magic, then the version */
#define FMAGIC     "MBRf"             /* word0 while formatting: then a pid */
#define VERSION    2u
#define H_WORD0    0
#define H_CAP      8
#define H_DATA     16
#define H_CTL      24
#define H_NSLOTS   32
#define H_FLAGS    40
#define H_SLOTSZ   44
#define H_NPEER    48
#define H_FORMER   56                 /* while formatting: the formatter */
#define H_TAIL     64
#define H_HEAD     128
#define H_CSLEEP   192
#define H_CSEQ     200
#define H_PSLEEP   256
#define H_PSEQ     264
#define H_PROD     512
#define H_CONS     (H_PROD + MB_RING_PEERS * 64)
#define H_CTLOFF   (H_CONS + MB_RING_PEERS * 64)     /* 8704 */
#define SLOT       MB_RING_SLOT
#define RECHEAD    8                  /* u32 length, u32 kind */
#define P_OWNER    0
#define P_WORD     8                  /* intent / lease */
#define P_SINCE    16
#define P_COUNT    24
#define P_OUT      32

#define FREE 0u
#define FULL 1u
#define SKIP 2u
#define CTL(q, s) ((uint64_t)(q) << 2 | (s))
#define CPOS(v) ((v) >> 2)
#define CSTATE(v) ((unsigned)((v) & 3))

#define K_DATA 1u
#define K_SKIP 3u                     /* not in memory: a SKIP record */

#define LOCKF ((uint64_t)1 << 31)     /* owner token flag: liveness by lock */

/* intent = (start mod 2^38) << 26 | k, k < 2^26 (N <= 2^25) */
#define IK_BITS 26
#define IS_MASK (((uint64_t)1 << 38) - 1)

/* What a step returns besides 0 and the (negative) MB_E_* codes; no step
** returns an errno. */
enum { DONE, NOROOM, BUSY, EMPTY, NOLEASE };

#define SPIN_DEFAULT 2000
#define SLICE 0.05            /* longest single sleep: rescues, missed wakes */
#define SCANEVERY 0.01        /* lease rescue scans at most this often */
#define HOLWAIT 0.001         /* a record in progress this long: is its
                                 producer alive? */

struct mb_ring {
  mb_map *map;               /* retained */
  size_t off, len;           /* the ring's bytes in the map */
  uint64_t n;                /* data slots */
  size_t dataoff;
  int multi, writable;
  int fd;                    /* private description for our peers' locks */
  int pslot, cslot;          /* our peers, or -1 */
  uint64_t lease;            /* q + 1 of the record we hold, or 0 */
  uint64_t lk;               /* its slots */
  uint32_t llen, lkind;
  int spin;
  unsigned gen;              /* fork generation at attach */
  double lastscan;           /* last lease rescue scan */
  double lastfix;            /* last check of sleepers that woke nobody */
  uint64_t holq;             /* record in progress at head, since holt */
  double holt;
  unsigned calls;
};

#define LD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
/* A store that a later release (a CAS, or RELST) publishes: the
** announcements made before a claim, counters, ages. */
#define RLXST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define RELST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define CAS(p, e, d) __atomic_compare_exchange_n((p), (e), (d), 0, \
                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

/* The ring's first byte now, or NULL with *rc set: the map may have been
** closed, shrunk or truncated since the last call. */
static unsigned char *region(mb_ring *r, int write, int *rc) {
  mb_map *m = r->map;
  if (m->closed) { *rc = MB_E_CLOSED; return NULL; }
  if (r->off > m->len || r->len > m->len - r->off) { *rc = MB_E_RANGE; return NULL; }
  if (!mb_intact(m, r->off, r->len)) { *rc = MB_E_TRUNCATED; return NULL; }
  if (write && !r->writable) { *rc = MB_E_READONLY; return NULL; }
  /* a ring object belongs to the process that made it: a child after
  ** fork holds none of its peers */
  if (r->gen != mb_forkgen_now) { *rc = MB_E_FORKED; return NULL; }
  *rc = 0;
  return m->base + r->off;
}

/* After touching the ring: its pages may have gone with the file. */
static int intact(mb_ring *r, int rc) {
  return rc == 0 ? mb_touched(r->map, r->off, r->len) : rc;
}

static inline uint64_t *W64(unsigned char *b, size_t off) {
  return (uint64_t *)(b + off);
}
static inline uint32_t *W32(unsigned char *b, size_t off) {
  return (uint32_t *)(b + off);
}
static inline uint64_t *ctlw(unsigned char *b, uint64_t n, uint64_t q) {
  return W64(b, H_CTLOFF + 8 * (size_t)(q % n));
}
static inline unsigned char *slotp(mb_ring *r, unsigned char *b, uint64_t q) {
  return b + r->dataoff + SLOT * (size_t)(q % r->n);
}
static inline size_t peeroff(int role, int i) {
  return (role == MB_RING_PRODUCER ? H_PROD : H_CONS) + 64 * (size_t)i;
}
static inline uint64_t *peerw(unsigned char *b, int role, int i, int field) {
  return W64(b, peeroff(role, i) + (size_t)field);
}
static inline uint64_t nslots(uint64_t len) {
  return (RECHEAD + len + SLOT - 1) / SLOT;
}
static inline uint64_t coarse_ns(void) {
  return (uint64_t)(mb_now_coarse() * 1e9);
}
static inline int covers(uint64_t intent, uint64_t q) {
  uint64_t k = intent & (((uint64_t)1 << IK_BITS) - 1);
  uint64_t s = intent >> IK_BITS;
  return ((q - s) & IS_MASK) < k;
}

static size_t dataoffset(uint64_t n) {
  return ((size_t)H_CTLOFF + 8 * (size_t)n + SLOT - 1) / SLOT * SLOT;
}

size_t mb_ring_size(uint64_t capacity) {
  uint64_t n = capacity / SLOT;
  if (n < 2 || capacity > MB_RING_MAXCAP) return 0;
  return dataoffset(n) + (size_t)(n * SLOT);
}

uint64_t mb_ring_fit(size_t len) {
  /* the largest n with dataoffset(n) + 64 n <= len */
  uint64_t n;
  if (len < (size_t)H_CTLOFF) return 0;
  n = (len - H_CTLOFF) / (SLOT + 8);
  while (n > 0 && dataoffset(n) + n * SLOT > len) n--;
  if (n * SLOT > MB_RING_MAXCAP) n = MB_RING_MAXCAP / SLOT;
  return n < 2 ? 0 : n * SLOT;
}


/* ---- liveness of peers ---- */

/* The file offset of peer i's lock byte. */
static uint64_t lockat(mb_ring *r, int role, int i) {
  return r->map->offset + r->off + peeroff(role, i);
}

/* Whether peer i of role is alive.  Locks are probed through the map's
** own descriptor, a description no peer ever locks through, so the answer
** is right for our own peers too. */
static int peeralive(mb_ring *r, unsigned char *b, int role, int i) {
  uint64_t o = LD(peerw(b, role, i, P_OWNER));
  if (o == 0) return 0;
  if ((o & LOCKF) && r->map->fd >= 0) {
    int held = 1;
    if (mb_probebyte(r->map->fd, lockat(r, role, i), &held) != 0) return 1;
    return held;
  }
  return mb_token_alive(o & ~LOCKF);
}

static int npeers(mb_ring *r) { return r->multi ? MB_RING_PEERS : 1; }

/* Hold peer i of role: ours for good (acquire) or for a rescue.  1 if
** held: its OFD lock through our description, or its token CASed to ours
** from a dead (or no) owner. */
static int holdpeer(mb_ring *r, unsigned char *b, int role, int i) {
  uint64_t *ow = peerw(b, role, i, P_OWNER), o = LD(ow);
  uint64_t me = mb_token_self();
  if (r->fd >= 0) {
    int got = 0;
    if (mb_lockbyte(r->fd, lockat(r, role, i), &got) != 0 || !got) return 0;
    /* a peer that proves it lives by its token takes no lock, and may
    ** CAS its token in from 0 or a dead one while we look: CAS ours too */
    for (;;) {
      o = LD(ow);
      if (o != 0 && !(o & LOCKF) && mb_token_alive(o)) {
        mb_unlockbyte(r->fd, lockat(r, role, i));
        return 0;
      }
      if (CAS(ow, &o, me | LOCKF)) return 1;
    }
  }
  if (o != 0 && peeralive(r, b, role, i)) return 0;
  return CAS(ow, &o, me);
}

static void droppeer(mb_ring *r, unsigned char *b, int role, int i) {
  ST(peerw(b, role, i, P_OWNER), 0);
  if (r->fd >= 0) mb_unlockbyte(r->fd, lockat(r, role, i));
}

static void clearbit(unsigned char *b, int role, int i) {
  __atomic_fetch_and(W64(b, role == MB_RING_PRODUCER ? H_PSLEEP : H_CSLEEP),
                     ~((uint64_t)1 << i), __ATOMIC_SEQ_CST);
}

/* Is lease l (q + 1) one that record q still needs?  Its first slot is
** FULL(q) or SKIP(q) and it lies behind HEAD (it was claimed). */
static int leaseheld(mb_ring *r, unsigned char *b, uint64_t l) {
  uint64_t q = l - 1, v;
  if (l == 0 || q >= LD(W64(b, H_HEAD))) return 0;
  v = LD(ctlw(b, r->n, q));
  return v == CTL(q, FULL) || v == CTL(q, SKIP);
}

/* Does a live consumer other than x and us announce lease l? */
static int otherlease(mb_ring *r, unsigned char *b, uint64_t l, int x) {
  int y;
  for (y = 0; y < npeers(r); y++) {
    if (y == x || y == r->cslot) continue;
    if (LD(peerw(b, MB_RING_CONSUMER, y, P_WORD)) == l &&
        peeralive(r, b, MB_RING_CONSUMER, y))
      return 1;
  }
  return 0;
}

/* Read the head of the record at q (FULL or SKIP there): its slots,
** length and kind; 0, or MB_E_CORRUPT. */
static int readrec(mb_ring *r, unsigned char *b, uint64_t q, uint64_t v,
                   uint64_t *k, uint32_t *len, uint32_t *kind) {
  if (CSTATE(v) == SKIP) { *k = 1; *len = 0; *kind = K_SKIP; return 0; }
  memcpy(len, slotp(r, b, q), 4);
  memcpy(kind, slotp(r, b, q) + 4, 4);
  if (*kind != K_DATA || *len > r->n * SLOT - RECHEAD) return MB_E_CORRUPT;
  *k = nslots(*len);
  return 0;
}

/* Where the message of the record at q lies: up to two pieces. */
static void pieces(mb_ring *r, unsigned char *b, uint64_t q, size_t len,
                   const void **p1, size_t *n1, const void **p2, size_t *n2) {
  size_t at = SLOT * (size_t)(q % r->n) + RECHEAD;
  size_t room = (size_t)(r->n * SLOT) - at;
  *p1 = b + r->dataoff + at;
  *n1 = len <= room ? len : room;
  *p2 = b + r->dataoff;
  *n2 = len - *n1;
}

/* A record of k > 1 slots at h, FULL or SKIP: its claim must lie behind
** TAIL (the producer claimed it before it committed) and its other slots
** must be FREE of their positions, else its length was not written by a
** producer of this ring (and believing it would free slots ahead of
** TAIL, or hand out bytes of other records).  0 or MB_E_CORRUPT. */
static int checkrec(mb_ring *r, unsigned char *b, uint64_t h, uint64_t k) {
  uint64_t j;
  if (LD(W64(b, H_TAIL)) - h < k) return MB_E_CORRUPT;
  for (j = 1; j < k; j++)
    if (LD(ctlw(b, r->n, h + j)) != CTL(h + j, FREE)) return MB_E_CORRUPT;
  return 0;
}

/* Take lease l as ours (the record at l - 1 is FULL or SKIP, claimed). */
static int takelease(mb_ring *r, unsigned char *b, uint64_t l) {
  uint64_t q = l - 1, v = LD(ctlw(b, r->n, q));
  int rc;
  /* the live holder may have acknowledged it since we looked (it frees
  ** the first slot before it withdraws its lease): then it is gone */
  if (v != CTL(q, FULL) && v != CTL(q, SKIP)) return NOLEASE;
  rc = readrec(r, b, q, v, &r->lk, &r->llen, &r->lkind);
  if (rc != 0) return rc;
  ST(peerw(b, MB_RING_CONSUMER, r->cslot, P_WORD), l);
  RLXST(peerw(b, MB_RING_CONSUMER, r->cslot, P_SINCE), coarse_ns());
  r->lease = l;
  return 0;
}

/* Take a role's peer for good. */
static int takerole(mb_ring *r, unsigned char *b, int role) {
  int i;
  for (i = 0; i < npeers(r); i++) {
    if (!holdpeer(r, b, role, i)) continue;
    clearbit(b, role, i);
    if (role == MB_RING_PRODUCER) {
      /* a dead predecessor's claim in progress is passed over by the
      ** consumers: no live intent covers it once this is cleared */
      ST(peerw(b, role, i, P_WORD), 0);
      r->pslot = i;
    } else {
      uint64_t l = LD(peerw(b, role, i, P_WORD));
      r->cslot = i;
      r->lease = 0;
      if (l != 0 && leaseheld(r, b, l) && !otherlease(r, b, l, i)) {
        if (takelease(r, b, l) != 0) {   /* acked since, or corrupt: let it be */
          r->lease = 0;
          ST(peerw(b, role, i, P_WORD), 0);
        }
      } else {
        ST(peerw(b, role, i, P_WORD), 0);
      }
    }
    return 0;
  }
  if (r->multi) return MB_E_NOSLOT;
  return role == MB_RING_PRODUCER ? MB_E_PRODUCER : MB_E_CONSUMER;
}

int mb_ring_role(mb_ring *r, int role) {
  int rc;
  unsigned char *b = region(r, 1, &rc);
  if (b == NULL) return rc;
  if (role != MB_RING_PRODUCER && role != MB_RING_CONSUMER) return MB_E_RANGE;
  if ((role == MB_RING_PRODUCER ? r->pslot : r->cslot) >= 0) return 0;
  return intact(r, takerole(r, b, role));
}


/* ---- waking and sleeping ---- */

/* A peer whose bit says it sleeps but whose wake woke nobody may be dead:
** now and then, clear the bits of dead sleepers of role.  The peer is held
** while its bit is cleared: a process that took it after the liveness
** probe, and went to sleep, would otherwise lose its bit (and its wakes,
** until its sleep's slice ends); one that takes it later clears and sets
** its own. */
static void fixsleepers(mb_ring *r, unsigned char *b, int role) {
  uint64_t bits = LD(W64(b, role == MB_RING_PRODUCER ? H_PSLEEP : H_CSLEEP));
  double t = mb_now();
  int i;
  if (t - r->lastfix < SLICE) return;
  r->lastfix = t;
  for (i = 0; i < MB_RING_PEERS; i++)
    if ((bits >> i & 1) && !peeralive(r, b, role, i) &&
        holdpeer(r, b, role, i)) {
      clearbit(b, role, i);
      droppeer(r, b, role, i);
    }
}

/* After publishing work for role: wake its sleepers, if any. */
static void wakeup(mb_ring *r, unsigned char *b, int role) {
  size_t bitw = role == MB_RING_PRODUCER ? H_PSLEEP : H_CSLEEP;
  size_t seqw = role == MB_RING_PRODUCER ? H_PSEQ : H_CSEQ;
  int n = 0;
  if (LD(W64(b, bitw)) == 0) return;
  __atomic_fetch_add(W32(b, seqw), 1, __ATOMIC_SEQ_CST);
  if (mb_futex_wake(W32(b, seqw), INT_MAX, &n) == 0 && n == 0)
    fixsleepers(r, b, role);
}

/* One poll of a spin: a pause instruction, and now and then a yield
** (sched_yield).  The peer that will end the wait may be waiting for this
** CPU (the scheduler likes to put two processes that wake each other on
** one CPU): a spin that never yields would use up its window while the
** peer cannot run, and then both sleep on every exchange (measured: 90 us
** round trips in examples/ipc/rpc_*.lua unpinned, 2.4 us pinned).  With
** nothing else to run, a yield returns at once. */
static void spinwait(int polls) {
  if (polls > 64 && (polls & 15) == 0) mb_os_yield();
  else mb_relax();
}

/* Whether to spin once more: polls left, and (a yield may give the CPU
** away for a while) the deadline not reached, looked at every 16 polls. */
static int spinmore(int polls, int spin, double timeout, double deadline) {
  if (polls >= spin) return 0;
  if (timeout > 0 && (polls & 15) == 15 && mb_now() >= deadline) return 0;
  return 1;
}

/* The time left before deadline (timeout < 0: forever), capped at SLICE. */
static double slice(double timeout, double deadline) {
  double left;
  if (timeout < 0) return SLICE;
  left = deadline - mb_now();
  if (left < 0) left = 0;
  return left < SLICE ? left : SLICE;
}


/* ---- producer ---- */

/* Mark positions from q, k of them, as passed over: a claim that will
** never be committed (our own, after a failure). */
static void skipclaim(mb_ring *r, unsigned char *b, uint64_t q, uint64_t k) {
  uint64_t j;
  for (j = 0; j < k; j++) {
    uint64_t e = CTL(q + j, FREE);
    CAS(ctlw(b, r->n, q + j), &e, CTL(q + j, SKIP));
  }
}

/* Commit the record claimed at t and wake the consumers. */
static int commit(mb_ring *r, unsigned char *b, uint64_t t) {
  uint64_t e = CTL(t, FREE);
  if (!CAS(ctlw(b, r->n, t), &e, CTL(t, FULL))) return MB_E_CORRUPT;
  wakeup(r, b, MB_RING_CONSUMER);
  return 0;
}

/* One try: DONE, NOROOM, or a code. */
static int tryput(mb_ring *r, unsigned char *b, const void *msg, uint32_t len,
                  uint64_t k) {
  uint64_t *tail = W64(b, H_TAIL);
  uint64_t *intent = peerw(b, MB_RING_PRODUCER, r->pslot, P_WORD);
  int tries = 0;
  for (;;) {
    uint64_t t = LD(tail), j;
    int stale = 0;
    if (++tries > 1000000) return MB_E_CORRUPT;
    for (j = 0; j < k; j++) {
      uint64_t v = LD(ctlw(b, r->n, t + j));
      if (v == CTL(t + j, FREE)) continue;
      if (CPOS(v) >= t + j) { stale = 1; break; }  /* someone claimed it */
      return NOROOM;      /* the record of the lap before is still there */
    }
    if (stale) {
      /* someone claimed past t since we read TAIL, so TAIL moved; a slot
      ** of a later position ahead of a TAIL that did not move is corrupt */
      if (LD(tail) == t) return MB_E_CORRUPT;
      continue;
    }
    /* the intent, then the claim: a consumer that sees TAIL past t (its
    ** load acquires what the claim released) sees the intent too */
    RLXST(intent, ((t & IS_MASK) << IK_BITS) | k);
    if (r->multi) {
      uint64_t e = t;
      if (!CAS(tail, &e, t + k)) {
        /* announce no claim we did not make: a consumer stuck on a dead
        ** peer's claim at t would wait for us (if the ring is full now,
        ** we may not come back for a long time) */
        RLXST(intent, 0);
        continue;
      }
    } else {
      RELST(tail, t + k);
    }
    {
      unsigned char *s = slotp(r, b, t);
      uint32_t kind = K_DATA;
      const void *p1, *p2;
      size_t n1, n2;
      int rc;
      memcpy(s, &len, 4);
      memcpy(s + 4, &kind, 4);
      pieces(r, b, t, len, &p1, &n1, &p2, &n2);
      if (n1 > 0) memcpy((void *)p1, msg, n1);
      if (n2 > 0) memcpy((void *)p2, (const unsigned char *)msg + n1, n2);
      if (!mb_intact(r->map, r->off, r->len)) {
        skipclaim(r, b, t, k);
        return MB_E_TRUNCATED;
      }
      if ((rc = commit(r, b, t)) != 0) return rc;
    }
    __atomic_fetch_add(peerw(b, MB_RING_PRODUCER, r->pslot, P_COUNT), 1,
                       __ATOMIC_RELAXED);
    return DONE;
  }
}

int mb_ring_push(mb_ring *r, const void *msg, size_t len, double timeout,
                 int flags, int *pushed) {
  int rc, polls = 0;
  unsigned char *b = region(r, 1, &rc);
  uint64_t k, bit;
  uint32_t *seq;
  double deadline = 0;
  *pushed = 0;
  if (b == NULL) return rc;
  if (timeout != timeout) return EINVAL;
  if (len > r->n * SLOT - RECHEAD) return MB_E_TOOLONG;
  if (r->pslot < 0 && (rc = takerole(r, b, MB_RING_PRODUCER)) != 0)
    return intact(r, rc);
  k = nslots(len);
  if (timeout >= MB_FOREVER) timeout = -1;
  if (timeout > 0) deadline = mb_now() + timeout;
  bit = (uint64_t)1 << r->pslot;
  seq = W32(b, H_PSEQ);
  for (;;) {
    uint32_t v;
    rc = tryput(r, b, msg, (uint32_t)len, k);
    if (rc == DONE) { *pushed = 1; return intact(r, 0); }
    if (rc != NOROOM) return intact(r, rc);
    if (timeout == 0) return intact(r, 0);
    if (spinmore(polls, r->spin, timeout, deadline)) { spinwait(++polls); continue; }
    polls = r->spin;
    /* sleep: bit, futex value, one more try, then the futex */
    __atomic_fetch_or(W64(b, H_PSLEEP), bit, __ATOMIC_SEQ_CST);
    v = LD(seq);
    rc = tryput(r, b, msg, (uint32_t)len, k);
    if (rc == NOROOM) {
      double left = slice(timeout, deadline);
      rc = left > 0 ? mb_futex_wait(seq, v, left) : ETIMEDOUT;
      clearbit(b, MB_RING_PRODUCER, r->pslot);
      if (rc == EINTR && (flags & MB_INTR)) return EINTR;
      if (rc != 0 && rc != ETIMEDOUT && rc != EINTR) return rc;
      if (timeout > 0 && mb_now() >= deadline) {
        /* one last try at the deadline */
        rc = tryput(r, b, msg, (uint32_t)len, k);
        if (rc == DONE) *pushed = 1;
        return intact(r, rc == DONE || rc == NOROOM ? 0 : rc);
      }
      continue;
    }
    clearbit(b, MB_RING_PRODUCER, r->pslot);
    if (rc == DONE) { *pushed = 1; return intact(r, 0); }
    return intact(r, rc);
  }
}


/* ---- consumer ---- */

/* The record at head is being written (FREE(q), q < TAIL): if no live
** producer announces q, it never will be; pass over it.  1 if passed. */
static int holrescue(mb_ring *r, unsigned char *b, uint64_t q) {
  int i;
  uint64_t e = CTL(q, FREE);
  for (i = 0; i < MB_RING_PEERS; i++) {
    uint64_t it = LD(peerw(b, MB_RING_PRODUCER, i, P_WORD));
    if (it != 0 && covers(it, q) && peeralive(r, b, MB_RING_PRODUCER, i))
      return 0;
  }
  return CAS(ctlw(b, r->n, q), &e, CTL(q, SKIP));
}

/* Take over the lease of a dead consumer, if there is one: 1 taken. */
static int rescue(mb_ring *r, unsigned char *b) {
  int x;
  uint64_t head = LD(W64(b, H_HEAD));
  for (x = 0; x < MB_RING_PEERS; x++) {
    uint64_t *lw, l;
    if (x == r->cslot) continue;
    lw = peerw(b, MB_RING_CONSUMER, x, P_WORD);
    l = LD(lw);
    if (l == 0 || l - 1 >= head || !leaseheld(r, b, l)) continue;
    if (peeralive(r, b, MB_RING_CONSUMER, x)) continue;
    if (!holdpeer(r, b, MB_RING_CONSUMER, x)) continue;
    /* x is ours for the moment: nobody else rescues it, nobody takes it */
    if (LD(lw) == l && leaseheld(r, b, l) && !otherlease(r, b, l, x) &&
        takelease(r, b, l) == 0) {
      ST(lw, 0);
      clearbit(b, MB_RING_CONSUMER, x);
      droppeer(r, b, MB_RING_CONSUMER, x);
      return 1;
    }
    r->lease = 0;
    droppeer(r, b, MB_RING_CONSUMER, x);
  }
  return 0;
}

/* Free the slots of our lease (the first last); *acked 0 if another
** consumer freed them first (our lease was taken over). */
static int release(mb_ring *r, unsigned char *b, int *acked) {
  uint64_t q = r->lease - 1, j, e;
  uint64_t *lw = peerw(b, MB_RING_CONSUMER, r->cslot, P_WORD);
  *acked = 0;
  for (j = r->lk; j-- > 1;) {
    uint64_t *c = ctlw(b, r->n, q + j);
    e = CTL(q + j, FREE);
    if (!CAS(c, &e, CTL(q + j + r->n, FREE)) && e != CTL(q + j + r->n, FREE))
      goto lost;
  }
  e = CTL(q, r->lkind == K_SKIP ? SKIP : FULL);
  if (!CAS(ctlw(b, r->n, q), &e, CTL(q + r->n, FREE))) goto lost;
  *acked = 1;
  if (r->lkind == K_DATA)
    __atomic_fetch_add(peerw(b, MB_RING_CONSUMER, r->cslot, P_COUNT), 1,
                       __ATOMIC_RELAXED);
lost:
  RELST(lw, 0);
  r->lease = 0;
  wakeup(r, b, MB_RING_PRODUCER);
  return 0;
}

/* One try to claim the record at head: DONE (our lease now), EMPTY, BUSY
** (being written; *busyq is its position), or a code. */
static int claim(mb_ring *r, unsigned char *b, uint64_t *busyq) {
  uint64_t *head = W64(b, H_HEAD);
  uint64_t *lw = peerw(b, MB_RING_CONSUMER, r->cslot, P_WORD);
  int tries = 0;
  for (;;) {
    uint64_t h = LD(head), v = LD(ctlw(b, r->n, h)), k;
    uint32_t len, kind;
    int rc;
    if (++tries > 1000000) return MB_E_CORRUPT;
    if (v == CTL(h, FULL) || v == CTL(h, SKIP)) {
      if ((rc = readrec(r, b, h, v, &k, &len, &kind)) == 0 && k > 1)
        rc = checkrec(r, b, h, k);
      if (rc != 0) {
        if (LD(head) != h) continue;    /* read while another claimed it */
        return rc;
      }
      /* the lease, then the claim (as a producer's intent) */
      RLXST(lw, h + 1);
      if (r->multi) {
        uint64_t e = h;
        if (!CAS(head, &e, h + k)) {
          /* another consumer has it: announce nothing we do not hold,
          ** or a rescue of its lease would wait for us */
          RLXST(lw, 0);
          continue;
        }
      } else {
        RELST(head, h + k);
      }
      RLXST(peerw(b, MB_RING_CONSUMER, r->cslot, P_SINCE), coarse_ns());
      r->lease = h + 1;
      r->lk = k;
      r->llen = len;
      r->lkind = kind;
      return DONE;
    }
    if (CPOS(v) > h || (CPOS(v) == h && CSTATE(v) != FREE)) continue;
    {
      uint64_t t = LD(W64(b, H_TAIL));
      if (t <= h || t - h > r->n) {
        if (LD(head) != h) continue;
        /* HEAD was h when TAIL was read: no healthy ring has more than N
        ** slots claimed and not taken */
        return t <= h ? EMPTY : MB_E_CORRUPT;
      }
    }
    if (CPOS(v) < h) continue;        /* TAIL passed h just now: look again */
    *busyq = h;
    return BUSY;
  }
}

/* Get a message to hand out: a lease of ours on a DATA record (passing
** over skips).  DONE, EMPTY, BUSY or a code. */
static int getone(mb_ring *r, unsigned char *b) {
  for (;;) {
    int rc, acked;
    uint64_t q = 0;
    if (r->lease == 0 && r->multi) {
      double t = mb_now_coarse();
      if (t - r->lastscan >= SCANEVERY) {
        r->lastscan = t;
        rescue(r, b);
      }
    }
    if (r->lease == 0) {
      rc = claim(r, b, &q);
      if (rc == BUSY) {
        /* a producer writes the record at q, or died claiming it: after
        ** HOLWAIT, ask; the rest of a dead claim right after */
        double now = mb_now();
        if (q != r->holq) { r->holq = q; r->holt = now; }
        if (now - r->holt < HOLWAIT || !holrescue(r, b, q)) return BUSY;
        r->holq = q + 1;
        r->holt = now - HOLWAIT;
        continue;
      }
      if (rc != DONE) return rc;
    }
    if (r->lkind == K_DATA) return DONE;
    release(r, b, &acked);      /* a skip: pass over it */
  }
}

int mb_ring_peek(mb_ring *r, double timeout, int flags, size_t *len) {
  int rc, polls = 0, again;
  unsigned char *b = region(r, 1, &rc);
  uint64_t bit;
  uint32_t *seq;
  double deadline = 0;
  *len = 0;
  if (b == NULL) return rc;
  if (timeout != timeout) return EINVAL;
  if (r->cslot < 0 && (rc = takerole(r, b, MB_RING_CONSUMER)) != 0)
    return intact(r, rc);
  if (r->lease != 0) {
    /* peek again before ack: the same message, if it is still ours */
    uint64_t l = r->lease;
    if (LD(peerw(b, MB_RING_CONSUMER, r->cslot, P_WORD)) != l ||
        !leaseheld(r, b, l))
      r->lease = 0;
  }
  again = r->lease != 0;
  if (timeout >= MB_FOREVER) timeout = -1;
  if (timeout > 0) deadline = mb_now() + timeout;
  bit = (uint64_t)1 << r->cslot;
  seq = W32(b, H_CSEQ);
  for (;;) {
    uint32_t v;
    rc = getone(r, b);
    if (rc == DONE) break;
    if (rc != EMPTY && rc != BUSY) return intact(r, rc);
    if (timeout == 0) return intact(r, 0);
    if (spinmore(polls, r->spin, timeout, deadline)) {
      spinwait(++polls);
      continue;
    }
    polls = r->spin;
    __atomic_fetch_or(W64(b, H_CSLEEP), bit, __ATOMIC_SEQ_CST);
    v = LD(seq);
    rc = getone(r, b);
    if (rc == EMPTY || rc == BUSY) {
      double left = slice(timeout, deadline);
      rc = left > 0 ? mb_futex_wait(seq, v, left) : ETIMEDOUT;
      clearbit(b, MB_RING_CONSUMER, r->cslot);
      if (rc == EINTR && (flags & MB_INTR)) return EINTR;
      if (rc != 0 && rc != ETIMEDOUT && rc != EINTR) return rc;
      if (timeout > 0 && mb_now() >= deadline) {
        rc = getone(r, b);
        if (rc == DONE) break;
        return intact(r, rc == EMPTY || rc == BUSY ? 0 : rc);
      }
      continue;
    }
    clearbit(b, MB_RING_CONSUMER, r->cslot);
    if (rc == DONE) break;
    return intact(r, rc);
  }
  if (!again)     /* handed out once per lease, not once per peek */
    __atomic_fetch_add(peerw(b, MB_RING_CONSUMER, r->cslot, P_OUT), 1,
                       __ATOMIC_RELAXED);
  *len = r->llen;
  return intact(r, 0);
}

int mb_ring_view(mb_ring *r, const void **p1, size_t *n1, const void **p2,
                 size_t *n2) {
  int rc;
  unsigned char *b = region(r, 0, &rc);
  *p1 = *p2 = NULL;
  *n1 = *n2 = 0;
  if (b == NULL) return rc;
  if (r->lease == 0) return 0;
  pieces(r, b, r->lease - 1, r->llen, p1, n1, p2, n2);
  return 0;
}

int mb_ring_read(mb_ring *r, void *dst, size_t len) {
  const void *p1, *p2;
  size_t n1, n2;
  int rc = mb_ring_view(r, &p1, &n1, &p2, &n2);
  if (rc != 0) return rc;
  if (p1 == NULL || len != n1 + n2) return MB_E_RANGE;
  memcpy(dst, p1, n1);
  if (n2 > 0) memcpy((unsigned char *)dst + n1, p2, n2);
  return intact(r, 0);
}

int mb_ring_ack(mb_ring *r, int *acked) {
  int rc;
  unsigned char *b = region(r, 1, &rc);
  *acked = 0;
  if (b == NULL) return rc;
  if (r->lease == 0 || r->cslot < 0) return 0;
  if (LD(peerw(b, MB_RING_CONSUMER, r->cslot, P_WORD)) != r->lease) {
    r->lease = 0;    /* taken from us: never acknowledge another's */
    return 0;
  }
  release(r, b, acked);
  return intact(r, 0);
}

int mb_ring_leased(const mb_ring *r) { return r->lease != 0; }


/* ---- the header: check, format, attach ---- */

/* word0 is 4 bytes of tag and a u32, as they lie in memory. */
static uint64_t mkword0(const char *tag, uint32_t more) {
  unsigned char w[8];
  uint64_t v;
  memcpy(w, tag, 4);
  memcpy(w + 4, &more, 4);
  memcpy(&v, w, 8);
  return v;
}
static int w0is(uint64_t w0, const char *tag) {
  return memcmp(&w0, tag, 4) == 0;
}
static uint32_t w0more(uint64_t w0) {
  uint32_t v;
  memcpy(&v, (const unsigned char *)&w0 + 4, 4);
  return v;
}

/* 0 if b holds a version-2 ring that fits len bytes; else a code. */
static int checkheader(unsigned char *b, size_t len, uint64_t *cap, int *multi) {
  uint64_t w0, c, n, d, ctl;
  uint32_t flags, sz, np;
  if (len < (size_t)H_CTLOFF) return MB_E_NORING;
  w0 = LD(W64(b, H_WORD0));
  if (w0is(w0, FMAGIC)) return MB_E_FORMATTING;
  if (!w0is(w0, MAGIC)) return MB_E_NORING;
  if (w0more(w0) != VERSION) return MB_E_RINGVERSION;
  memcpy(&c, b + H_CAP, 8);
  memcpy(&d, b + H_DATA, 8);
  memcpy(&ctl, b + H_CTL, 8);
  memcpy(&n, b + H_NSLOTS, 8);
  memcpy(&flags, b + H_FLAGS, 4);
  memcpy(&sz, b + H_SLOTSZ, 4);
  memcpy(&np, b + H_NPEER, 4);
  if (sz != SLOT || np != MB_RING_PEERS || n < 2 || c != n * SLOT ||
      c > MB_RING_MAXCAP || ctl != H_CTLOFF || d != dataoffset(n) ||
      d > len || c > len - d || (flags & ~1u) != 0)
    return MB_E_CORRUPT;
  *cap = c;
  *multi = (int)(flags & 1);
  return 0;
}

static int newring(mb_ring **out, mb_map *m, size_t off, size_t len,
                   const mb_ringopts *o) {
  mb_ring *r = calloc(1, sizeof *r);
  unsigned char *b = m->base + off;
  uint64_t cap;
  int multi, rc = checkheader(b, len, &cap, &multi);
  if (r == NULL) return ENOMEM;
  if (rc != 0) { free(r); return rc; }
  r->map = m;
  r->off = off;
  r->len = len;
  r->n = cap / SLOT;
  r->dataoff = dataoffset(r->n);
  r->multi = multi;
  r->writable = m->access != MB_ACCESS_READ;
  r->pslot = r->cslot = -1;
  r->spin = o != NULL && o->spin >= 0 ? o->spin : SPIN_DEFAULT;
  r->gen = mb_forkgen();
  r->holq = UINT64_MAX;
  r->fd = -1;
  if (r->writable && m->fd >= 0) r->fd = mb_lockfd_open(m->fd);
  mb_retain(m);
  *out = r;
  return 0;
}

/* The map's bytes off .. off+len-1, checked. */
static unsigned char *span(mb_map *m, size_t off, size_t len, int write,
                           int *rc) {
  if (m->closed) { *rc = MB_E_CLOSED; return NULL; }
  if (off > m->len || len > m->len - off) { *rc = MB_E_RANGE; return NULL; }
  if (write && m->access == MB_ACCESS_READ) { *rc = MB_E_READONLY; return NULL; }
  if (!mb_intact(m, off, len)) { *rc = MB_E_TRUNCATED; return NULL; }
  if (len > 0 && ((uintptr_t)(m->base + off) % 64) != 0) {
    *rc = MB_E_MISALIGNED;   /* the ring's words must be aligned */
    return NULL;
  }
  *rc = 0;
  return m->base + off;
}

/* Whether the ring in b (checked) is live: a live peer, or a message. */
static int liveness(mb_map *m, size_t off, size_t len, unsigned char *b) {
  mb_ring tmp;
  uint64_t cap;
  int multi, i, role;
  if (checkheader(b, len, &cap, &multi) != 0) return 0;
  memset(&tmp, 0, sizeof tmp);
  tmp.map = m;
  tmp.off = off;
  tmp.len = len;
  tmp.n = cap / SLOT;
  tmp.multi = multi;
  tmp.fd = -1;
  if (LD(W64(b, H_TAIL)) != LD(W64(b, H_HEAD))) return 1;
  for (role = MB_RING_PRODUCER; role <= MB_RING_CONSUMER; role++)
    for (i = 0; i < MB_RING_PEERS; i++) {
      if (peeralive(&tmp, b, role, i)) return 1;
      if (role == MB_RING_CONSUMER &&
          leaseheld(&tmp, b, LD(peerw(b, role, i, P_WORD))))
        return 1;
    }
  return 0;
}

/* ---- formatting: who may, and how the others wait ----
**
** Word0 says what the map holds: "MBRG" and the version (a ring), "MBRf"
** and a pid (a process formats it), anything else (no ring; all zero
** bytes are a ring that open may make).  The formatter is decided by two
** CASes:
**   1. word0: from what it was (0 for open, a ring or anything for
**      create) to "MBRf" and our pid.  From now on attach refuses the map
**      and every other would-be formatter sees "MBRf";
**   2. FORMER (offset 56, 0 in a ring): from what it holds to our token
**      (pid and start time, posix/live.c).  The winner of 1 takes FORMER
**      from whatever it holds (0, or the token of a formatter that
**      finished or died, or any bytes when create formats a map that held
**      no ring), trying again while a finished formatter clears it; it
**      gives up if another process took FORMER first.
** The holder of FORMER alone writes the header and the control words,
** then stores the magic (seq_cst: a release) and clears FORMER.
** A process that sees "MBRf" waits while the formatter lives: FORMER's
** token when it is set (so a dead formatter whose pid was handed out
** again reads as dead), else the pid in word0 (the instant between the
** two CASes).  Once the formatter is dead, anyone may take FORMER from
** the value it judged by (a CAS: one of them wins) and format the map
** again: a half-formatted map holds nothing.  The winner then checks that
** word0 still says "MBRf" (a formatter that finished and exited, seen
** late, left a ring: FORMER goes back to 0 and the ring is attached), and
** puts its own pid in word0.
**
** Memory ordering: all of word0's and FORMER's accesses are seq_cst
** atomics, so the CASes decide one formatter and everyone agrees on the
** order of the claims.  The header's bytes are plain stores, all made by
** the holder of FORMER after its claim, before the magic; an attacher
** reads them after an atomic load of word0 returned the magic, which
** acquires what that store released: the header is whole.  Open's zero
** test reads the bytes of the map after word0 read 0: if a formatter
** claimed word0 in between, what it wrote may show, and open must not
** take those bytes for a map that is no ring.  So on finding a byte that
** is not zero it fences (acquire) and loads word0 again: the formatter
** fenced (seq_cst) between its claims and its first store, so an opener
** that saw one of its stores sees its claim too, and looks again; only a
** word0 still 0 means the bytes were there before anyone formatted.
*/

#define FPIDMASK 0x3FFFFFFFu          /* word0's pid while formatting */

/* Format the ring, holding FORMER (word0 is "MBRf"). */
static void format(unsigned char *b, uint64_t cap, int multi) {
  uint64_t n = cap / SLOT, i, v, me = mb_token_self();
  uint32_t u;
  /* nothing below may be seen before the claims (see above) */
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  memset(b + 8, 0, (size_t)H_FORMER - 8);
  memset(b + H_FORMER + 8, 0, (size_t)H_CTLOFF - H_FORMER - 8);
  memcpy(b + H_CAP, &cap, 8);
  v = dataoffset(n);
  memcpy(b + H_DATA, &v, 8);
  v = H_CTLOFF;
  memcpy(b + H_CTL, &v, 8);
  memcpy(b + H_NSLOTS, &n, 8);
  u = multi ? 1 : 0;
  memcpy(b + H_FLAGS, &u, 4);
  u = SLOT;
  memcpy(b + H_SLOTSZ, &u, 4);
  u = MB_RING_PEERS;
  memcpy(b + H_NPEER, &u, 4);
  for (i = 0; i < n; i++) ST(ctlw(b, n, i), CTL(i, FREE));
  /* the magic last: a ring half-formatted by a killed process is none */
  ST(W64(b, H_WORD0), mkword0(MAGIC, VERSION));
  CAS(W64(b, H_FORMER), &me, 0);
}

static uint64_t fmarker(void) {
  return mkword0(FMAGIC, (uint32_t)mb_token_pid(mb_token_self()) & FPIDMASK);
}

/* Is the formatter that word0 w0 ("MBRf") and FORMER f name alive? */
static int formatter_alive(uint64_t w0, uint64_t f) {
  if (f != 0) return mb_token_alive(f);
  return mb_token_alive(w0more(w0) & FPIDMASK);
}

/* Take FORMER from f: 1 if it is ours now.  fresh: we won word0 just now,
** and f is whatever FORMER held: try again while a formatter that
** finished clears it (to 0); a token there means another process took
** it first. */
static int takeformer(unsigned char *b, uint64_t f, int fresh) {
  uint64_t me = mb_token_self();
  for (;;) {
    if (CAS(W64(b, H_FORMER), &f, me)) return 1;
    if (!fresh || f != 0) return 0;
  }
}

/* Become the formatter of b (word0 read as w0).  0, or MB_E_FORMATTING:
** another process formats it, or did while we looked (attach it), or,
** fromzero, b is no longer what open saw. */
static int claimformat(unsigned char *b, uint64_t w0, int fromzero) {
  uint64_t f;
  if (w0is(w0, FMAGIC)) {
    /* someone formats it, or died at it: then take over */
    f = LD(W64(b, H_FORMER));
    if (formatter_alive(w0, f) || !takeformer(b, f, 0))
      return MB_E_FORMATTING;
    if (!w0is(LD(W64(b, H_WORD0)), FMAGIC)) {
      uint64_t me = mb_token_self();   /* it finished after all */
      CAS(W64(b, H_FORMER), &me, 0);
      return MB_E_FORMATTING;
    }
    ST(W64(b, H_WORD0), fmarker());
    return 0;
  }
  if (fromzero && w0 != 0) return MB_E_FORMATTING;
  if (!CAS(W64(b, H_WORD0), &w0, fmarker())) return MB_E_FORMATTING;
  f = LD(W64(b, H_FORMER));
  return takeformer(b, f, 1) ? 0 : MB_E_FORMATTING;
}

static int create(mb_map *m, size_t off, size_t len, const mb_ringopts *o,
                  int fromzero) {
  int rc;
  unsigned char *b = span(m, off, len, 1, &rc);
  uint64_t cap, w0;
  if (b == NULL) return rc;
  cap = o != NULL && o->capacity ? o->capacity / SLOT * SLOT : mb_ring_fit(len);
  if (cap / SLOT < 2 || cap > MB_RING_MAXCAP || mb_ring_size(cap) > len)
    return MB_E_RINGFIT;
  w0 = LD(W64(b, H_WORD0));
  if (!fromzero && !w0is(w0, FMAGIC) && !(o != NULL && o->force)) {
    /* a ring of another version (the Lua ring of old was 1) may be in
    ** use, and we cannot tell: only force formats it */
    if (w0is(w0, MAGIC) && w0more(w0) != VERSION) return MB_E_RINGVERSION;
    if (liveness(m, off, len, b)) return MB_E_LIVERING;
  }
  if ((rc = claimformat(b, w0, fromzero)) != 0) return rc;
  format(b, cap, o != NULL && o->multi > 0);
  return mb_touched(m, off, len);
}

static int attach(mb_ring **out, mb_map *m, size_t off, size_t len,
                  const mb_ringopts *o) {
  int rc, multi;
  unsigned char *b = span(m, off, len, 0, &rc);
  uint64_t cap;
  if (b == NULL) return rc;
  if ((rc = checkheader(b, len, &cap, &multi)) != 0) return rc;
  if (o != NULL && o->capacity && o->capacity / SLOT * SLOT != cap)
    return MB_E_RINGCAP;
  if (o != NULL && o->multi >= 0 && (o->multi > 0) != multi)
    return MB_E_RINGMODE;
  rc = newring(out, m, off, len, o);
  return rc == 0 && !mb_intact(m, off, len) ? (mb_ring_free(*out), MB_E_TRUNCATED)
                                             : rc;
}

/* Attach the ring we formatted just now (with its mode, o's spin). */
static int attachmade(mb_ring **out, mb_map *m, size_t off, size_t len,
                      const mb_ringopts *o) {
  mb_ringopts a;
  memset(&a, 0, sizeof a);
  a.multi = -1;
  a.spin = o != NULL ? o->spin : -1;
  return attach(out, m, off, len, &a);
}

int mb_ring_create(mb_ring **out, mb_map *m, size_t off, size_t len,
                   const mb_ringopts *o) {
  int rc = create(m, off, len, o, 0);
  return rc != 0 ? rc : attachmade(out, m, off, len, o);
}

int mb_ring_attach(mb_ring **out, mb_map *m, size_t off, size_t len,
                   const mb_ringopts *o) {
  return attach(out, m, off, len, o);
}

/* Whether bytes b[0 .. len) are all zero. */
static int allzero(const unsigned char *b, size_t len) {
  static const unsigned char z[256];
  while (len >= sizeof z) {
    if (memcmp(b, z, sizeof z) != 0) return 0;
    b += sizeof z;
    len -= sizeof z;
  }
  return memcmp(b, z, len) == 0;
}

int mb_ring_open(mb_ring **out, mb_map *m, size_t off, size_t len,
                 const mb_ringopts *o) {
  double deadline = mb_now() + 2.0;
  for (;;) {
    int rc;
    uint64_t w0;
    unsigned char *b = span(m, off, len, 0, &rc);
    if (b == NULL) return rc;
    if (len < (size_t)H_CTLOFF) return MB_E_NORING;
    w0 = LD(W64(b, H_WORD0));
    if (w0 == 0 && !allzero(b, len)) {
      /* no ring, unless a formatter claimed word0 since we read it and
      ** what we found is its (the comment above format): then wait */
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      if (LD(W64(b, H_WORD0)) == 0) return MB_E_NORING;
    } else if (w0 != 0 && !w0is(w0, FMAGIC)) {
      return attach(out, m, off, len, o);
    } else if (w0 == 0 || !formatter_alive(w0, LD(W64(b, H_FORMER)))) {
      /* all zero, or its formatter is dead: format it if we win it, else
      ** wait for the one who does (a read-only map can wait too) */
      rc = create(m, off, len, o, 1);
      if (rc == 0) return attachmade(out, m, off, len, o);
      if (rc != MB_E_FORMATTING) return rc;
    }
    if (mb_now() > deadline) return MB_E_FORMATTING;
    mb_nap(0.001);
  }
}

void mb_ring_free(mb_ring *r) {
  int rc;
  unsigned char *b;
  if (r == NULL) return;
  b = r->gen == mb_forkgen() ? region(r, 1, &rc) : NULL;
  if (b != NULL) {
    if (r->pslot >= 0) {
      ST(peerw(b, MB_RING_PRODUCER, r->pslot, P_WORD), 0);
      clearbit(b, MB_RING_PRODUCER, r->pslot);
      droppeer(r, b, MB_RING_PRODUCER, r->pslot);
    }
    if (r->cslot >= 0) {
      /* a lease stays announced: the next consumer hands it out again */
      clearbit(b, MB_RING_CONSUMER, r->cslot);
      droppeer(r, b, MB_RING_CONSUMER, r->cslot);
    }
  }
  mb_lockfd_close(r->fd, r->gen);   /* drops every lock it held */
  mb_release(r->map);
  free(r);
}


/* ---- a look from outside ---- */

int mb_ring_alive(mb_ring *r, int role, int *count) {
  int rc, i;
  unsigned char *b = region(r, 0, &rc);
  *count = 0;
  if (b == NULL) return rc;
  if (role != MB_RING_PRODUCER && role != MB_RING_CONSUMER) return MB_E_RANGE;
  for (i = 0; i < MB_RING_PEERS; i++) *count += peeralive(r, b, role, i);
  return intact(r, 0);
}

int mb_ring_stats(mb_ring *r, mb_ringstats *s) {
  int rc, i;
  unsigned char *b = region(r, 0, &rc);
  uint64_t tail, x, now = coarse_ns(), oldest = 0, pb, cb;
  memset(s, 0, sizeof *s);
  if (b == NULL) return rc;
  s->capacity = r->n * SLOT;
  s->slots = r->n;
  s->multi = r->multi;
  s->head = LD(W64(b, H_HEAD));
  s->tail = tail = LD(W64(b, H_TAIL));
  /* slots in use: for each slot, its latest position x < TAIL; free when
  ** its control word already says FREE(x + N) */
  for (x = tail > r->n ? tail - r->n : 0; x < tail; x++)
    if (LD(ctlw(b, r->n, x)) != CTL(x + r->n, FREE)) s->used += SLOT;
  pb = LD(W64(b, H_PSLEEP));
  cb = LD(W64(b, H_CSLEEP));
  for (i = 0; i < MB_RING_PEERS; i++) {
    int pa = peeralive(r, b, MB_RING_PRODUCER, i);
    int ca = peeralive(r, b, MB_RING_CONSUMER, i);
    uint64_t l = LD(peerw(b, MB_RING_CONSUMER, i, P_WORD));
    s->producers += pa;
    s->consumers += ca;
    s->psleeping += pa && (pb >> i & 1);
    s->csleeping += ca && (cb >> i & 1);
    s->stalesleepers += (!pa && (pb >> i & 1)) + (!ca && (cb >> i & 1));
    s->pushed += LD(peerw(b, MB_RING_PRODUCER, i, P_COUNT));
    s->acked += LD(peerw(b, MB_RING_CONSUMER, i, P_COUNT));
    s->handed += LD(peerw(b, MB_RING_CONSUMER, i, P_OUT));
    if (l != 0 && leaseheld(r, b, l)) {
      uint64_t since = LD(peerw(b, MB_RING_CONSUMER, i, P_SINCE));
      uint64_t age = now > since ? now - since : 0;
      s->leases++;
      s->deadleases += !ca;
      if (age > oldest) oldest = age;
    }
  }
  s->oldest = s->leases ? (double)oldest * 1e-9 : -1;
  return intact(r, 0);
}
