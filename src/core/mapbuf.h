/*
** mapbuf.h - the mapbuf core: memory maps of files, anonymous and named
** shared memory, and borrowed host memory, in plain C.  No Lua here.
**
** Conventions, for every function below:
**   - offsets and lengths are 0-based byte counts (Lua positions are the
**     binding's business);
**   - a function that can fail returns 0 on success, a positive errno when
**     the operating system refused, or a negative MB_E* code when the caller
**     misused it; mb_strerror() gives the message for either.
*/
#ifndef MAPBUF_H
#define MAPBUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAPBUF_VERSION_MAJOR 0
#define MAPBUF_VERSION_MINOR 1
#define MAPBUF_VERSION_PATCH 0
#define MAPBUF_VERSION "0.1.0"

/* Access, with Python's numbers (mmap.ACCESS_*). */
enum { MB_ACCESS_DEFAULT = 0, MB_ACCESS_READ = 1, MB_ACCESS_WRITE = 2,
       MB_ACCESS_COPY = 3 };

/* Modes of mb_open: "r", "r+", "w+", "c". */
enum { MB_MODE_READ, MB_MODE_UPDATE, MB_MODE_CREATE, MB_MODE_COPY };

/* What is behind a map. */
enum { MB_KIND_FILE, MB_KIND_ANON, MB_KIND_SHM, MB_KIND_HOST };

/* Misuse codes (negative; errno values are positive). */
enum {
  MB_E_CLOSED = -1,      /* map is closed */
  MB_E_RANGE = -2,       /* out of range */
  MB_E_READONLY = -3,    /* map is read-only */
  MB_E_EMPTY = -4,       /* cannot map an empty file */
  MB_E_LENGTH = -5,      /* length is greater than file size */
  MB_E_OFFSET = -6,      /* offset is greater than file size */
  MB_E_ALIGN = -7,       /* offset is not a multiple of ALLOCATIONGRANULARITY */
  MB_E_BOTH = -8,        /* cannot specify both access and flags, prot */
  MB_E_ACCESS = -9,      /* invalid access */
  MB_E_NORESIZE = -10,   /* cannot resize a read-only or copy-on-write map */
  MB_E_GROWSHARED = -11, /* cannot grow a shared anonymous map */
  MB_E_UNTRACKED = -12,  /* file descriptor is not tracked (trackfd = false) */
  MB_E_BORROWED = -13,   /* cannot resize borrowed memory */
  MB_E_TRUNCATED = -14,  /* file was truncated under the map */
  MB_E_MISALIGNED = -15, /* misaligned position */
  MB_E_NEEDSIZE = -16,   /* mode "w+" needs a size */
  MB_E_MODE = -17,       /* invalid mode */
  MB_E_SIZEMODE = -18,   /* size needs mode "r+" or "w+" */
  MB_E_NOFILE = -19,     /* no file or shared memory behind the map */
  MB_E_BITS = -20,       /* bits must be 32 or 64 */
  MB_E_TOOBIG = -21,     /* size is too large */
  MB_E_ADVICE = -22,     /* invalid advice (not one mapbuf knows) */
  MB_E_FLAGS = -23,      /* unsupported flags (only those in MB_MAP_FLAGS) */
  MB_E_PROT = -24        /* unsupported prot (PROT_READ, with WRITE, EXEC) */
};

typedef void (*mb_release_fn)(void *ud, void *base, size_t len);

/*
** A mapping.  The fields are public so that the binding's hot paths can
** read base and len directly; change them only through the functions here.
*/
typedef struct mb_map {
  unsigned char *base;   /* first byte; NULL when closed, and while len == 0
                            (but borrowed memory keeps what was lent) */
  size_t len;            /* length in bytes (0 once closed) */
  uint64_t offset;       /* offset of base in the file */
  int fd;                /* our own descriptor (a dup), or -1 */
  int access;            /* MB_ACCESS_*; READ forbids writes */
  int flags, prot;       /* as given to mmap */
  int kind;              /* MB_KIND_* */
  int closed;            /* 1 after mb_close */
  int trackfd;           /* 0: no descriptor kept (size and resize refuse) */
  mb_release_fn release; /* borrowed memory: called once on close */
  void *release_ud;
  volatile size_t valid; /* bytes known to be backed; < len after a caught
                            truncation (see mb_guard) */
  unsigned refs;         /* holders (mb_retain); mb_release frees at 0 */
} mb_map;

/* Options of mb_open. */
typedef struct mb_openopts {
  uint64_t size;         /* extend the file to at least this (r+, w+) */
  uint64_t offset;       /* multiple of mb_granularity() */
  uint64_t length;       /* 0: the rest of the file */
  int populate;          /* prefault the pages (MAP_POPULATE) */
} mb_openopts;

/* Options of mb_mapfd, with Python's rules.  flags and prot are checked
** against what mapbuf handles (MB_E_FLAGS, MB_E_PROT), not passed through:
** flags is MAP_SHARED or MAP_PRIVATE with any of the other flags that
** mb_mapflag lists (MAP_FIXED, MAP_HUGETLB and the like would map over the
** process or fault at first touch); prot must hold PROT_READ and may add
** PROT_WRITE and PROT_EXEC. */
typedef struct mb_mapopts {
  int access;            /* MB_ACCESS_* */
  int flags;             /* -1: not given (MAP_SHARED) */
  int prot;              /* -1: not given (PROT_READ | PROT_WRITE) */
  uint64_t offset;
  int trackfd;           /* keep a dup of the descriptor (default 1) */
  int populate;
} mb_mapopts;

/* ---- life cycle (map.c) ---- */
size_t mb_pagesize(void);
size_t mb_granularity(void);
int mb_parsemode(const char *mode);       /* MB_MODE_* or MB_E_MODE */
int mb_open(mb_map **out, const char *path, int mode, const mb_openopts *o);
int mb_mapfd(mb_map **out, int fd, uint64_t length, const mb_mapopts *o);
int mb_anon(mb_map **out, size_t size, int private_);
int mb_wrap(mb_map **out, void *p, size_t len, int writable,
            mb_release_fn release, void *ud);
int mb_resize(mb_map *m, size_t n);
int mb_flush(mb_map *m, size_t off, size_t n, int flags);
/* advice must be one of the values mb_advice knows (else MB_E_ADVICE):
** a number the kernel takes but mapbuf does not know could do anything
** (MADV_GUARD_INSTALL makes the range fault).  Advice that discards data
** is shrunk to the whole pages inside the range; other advice is widened
** to the pages that hold it. */
int mb_advise(mb_map *m, size_t off, size_t n, int advice);
int mb_advice(const char *name);          /* MADV_* value, or MB_E_ADVICE */
const char *mb_advicename(int i);         /* i-th advice name, NULL past end */
/* The i-th MAP_* flag mb_mapfd accepts ("MAP_SHARED", ...) and its value;
** NULL past the end. */
const char *mb_mapflag(int i, int *value);
int mb_filesize(mb_map *m, uint64_t *size);
int mb_close(mb_map *m);                  /* idempotent */
void mb_free(mb_map *m);                  /* close, then free the struct */
/* For several holders of one map (the binding's map objects and views):
** a new map has one reference; mb_retain adds one, mb_release drops one
** and frees the map (mb_free) with the last.  Not atomic: one thread. */
void mb_retain(mb_map *m);
void mb_release(mb_map *m);
const char *mb_strerror(int code);

static inline int mb_writable(const mb_map *m) {
  return !m->closed && m->access != MB_ACCESS_READ;
}

/* ---- truncation guard (guard.c) ----
** File and shared memory maps are guarded: when the file shrinks under the
** map, a touch of the vanished pages does not kill the process; the pages
** read as zeros (writes to them are lost) and `valid` drops below `len`.
** Check mb_intact after an access (and before, to refuse early). */
static inline int mb_intact(const mb_map *m, size_t off, size_t n) {
  size_t v = m->valid;
  return v >= m->len || (off <= v && n <= v - off);
}
unsigned long mb_guard_faults(void);      /* faults caught so far */

/* ---- search (search.c) ---- */
#define MB_NPOS ((size_t)-1)
/* First / last offset of needle in h[0..hn), or MB_NPOS.  An empty needle
** is found at 0 / at hn.  Haystacks of 32 MiB and more are searched by the
** caller and a helper thread per spare core (joined before returning; the
** environment variable MAPBUF_SEARCH_THREADS caps the count, 1: none). */
size_t mb_memfind(const void *h, size_t hn, const void *needle, size_t nn);
size_t mb_memrfind(const void *h, size_t hn, const void *needle, size_t nn);

/* ---- Lua 5.4 patterns over bytes (pattern.c) ---- */
#define MB_MAXCAPTURES 32
#define MB_CAP_UNFINISHED (-1)
#define MB_CAP_POSITION (-2)
typedef struct mb_capture {
  size_t init;           /* offset of the capture in the subject */
  ptrdiff_t len;         /* its length, or MB_CAP_POSITION */
} mb_capture;
typedef struct mb_match {
  size_t start, end;     /* the whole match: bytes start .. end-1 */
  int level;             /* number of captures */
  mb_capture capture[MB_MAXCAPTURES];
  char err[80];          /* message when a call returns MB_E_PATTERN */
} mb_match;
#define MB_E_PATTERN (-100)
/* Find the first match of p in s at or after init (anchored at init when p
** starts with '^').  1 found, 0 not found, MB_E_PATTERN malformed pattern.
** As string.find: a pattern with none of ^$*+?.([%- is plain text, even
** with a ')' in it (string.match and gmatch would raise "invalid pattern
** capture" where they reach that ')': their binding handles that case).
** A capture still open at the end comes back with len MB_CAP_UNFINISHED
** (Lua raises "unfinished capture" when it pushes it). */
int mb_pfind(const unsigned char *s, size_t ls, const char *p, size_t lp,
             size_t init, mb_match *mt);
/* Try p at exactly offset at, as gmatch does ('^' is not special).
** 1 matched, 0 not, MB_E_PATTERN malformed. */
int mb_pmatchat(const unsigned char *s, size_t ls, const char *p, size_t lp,
                size_t at, mb_match *mt);

/* ---- IPC (ipc.c): aligned words, byte offsets into the map ---- */
int mb_atomic_load(mb_map *m, size_t off, int bits, uint64_t *v);
int mb_atomic_store(mb_map *m, size_t off, int bits, uint64_t v);
int mb_atomic_add(mb_map *m, size_t off, int bits, uint64_t d, uint64_t *old);
int mb_cas(mb_map *m, size_t off, int bits, uint64_t expected,
           uint64_t desired, int *swapped, uint64_t *current);
/* A full memory barrier (seq_cst fence), for protocols that publish with
** plain stores. */
void mb_fence(void);

/* Flags of the calls that may block.  MB_INTR: return EINTR as soon as a
** signal handler has run during one of the call's sleeps (SA_RESTART or
** not), holding nothing, so that the caller can act on the signal (the
** binding raises Lua's "interrupted!"); without it a signal never cuts a
** wait short.  A handler that runs while the call is between two sleeps
** (spinning, trying a lock) is not seen: a caller that must not miss one
** waits in slices (say 0.1 s) and looks at its handler's flag between
** them, as the binding does (src/lua/lipc.h). */
enum { MB_INTR = 1 };

/* timeout < 0: forever.  *woken: 1 woken or value differs, 0 timed out.
** Sleeps are always timed slices, so a signal can end them (MB_INTR). */
int mb_waitx(mb_map *m, size_t off, uint32_t expected, double timeout,
             int flags, int *woken);
int mb_wait(mb_map *m, size_t off, uint32_t expected, double timeout,
            int *woken);   /* mb_waitx with no flags */
int mb_wake(mb_map *m, size_t off, int n, int *count);
/* Byte-range locks on the file or shared memory (OFD locks); off and n
** relative to the map (n == 0: to the end of the map).  *got: 0 busy, or
** timed out.  mb_lockx: timeout 0 tries once, > 0 waits that long, < 0
** forever; a wait that may end early (a timeout, or MB_INTR) tries
** F_OFD_SETLK with naps of 50 us doubling to 2 ms between tries (the
** kernel's F_OFD_SETLKW has no timeout, and is restarted after a signal);
** only a wait forever without MB_INTR uses F_OFD_SETLKW.  mb_lock: wait 0
** tries once, else forever. */
int mb_lockx(mb_map *m, int exclusive, uint64_t off, uint64_t n,
             double timeout, int flags, int *got);
int mb_lock(mb_map *m, int exclusive, uint64_t off, uint64_t n, int wait,
            int *got);
int mb_unlock(mb_map *m, uint64_t off, uint64_t n);
enum { MB_SHM_EXCL = 1, MB_SHM_RDONLY = 2 };
/* has_size 0: attach to the whole object; else create or extend to size. */
int mb_shm(mb_map **out, const char *name, uint64_t size, int has_size,
           int flags);
int mb_shm_unlink(const char *name);

/* Misuse codes of the IPC files (mb_strerror does not know them:
** mb_ipc_strerror names these and defers to it for the rest). */
enum {
  MB_E_NOTOWNER = -40,   /* mutex is not held by this process */
  MB_E_DEADLOCK = -41,   /* mutex is already held by this process */
  MB_E_NORING = -42,     /* not a ring */
  MB_E_RINGVERSION = -43,/* unsupported ring version */
  MB_E_CORRUPT = -44,    /* corrupted ring */
  MB_E_LIVERING = -45,   /* the map holds a live ring */
  MB_E_RINGFIT = -46,    /* ring capacity does not fit the map */
  MB_E_TOOLONG = -47,    /* message longer than the ring */
  MB_E_PRODUCER = -48,   /* the ring already has a live producer */
  MB_E_CONSUMER = -49,   /* the ring already has a live consumer */
  MB_E_NOSLOT = -50,     /* all 64 producer (or consumer) peers are live */
  MB_E_RINGCAP = -51,    /* the ring has another capacity */
  MB_E_RINGMODE = -52,   /* the ring has another mode */
  MB_E_FORKED = -53,     /* the ring object was made by the parent process */
  MB_E_FORMATTING = -54  /* another process is formatting the ring */
};
const char *mb_ipc_strerror(int code);

/* ---- robust mutex (mutex.c) ----
** A 64-bit word at an 8-aligned offset of a writable map; all zero bytes
** are an unlocked mutex.  The owner is a process (pid and start time).
** mb_mutex_lock: timeout 0 tries once, > 0 waits, < 0 forever; *got 1
** when held; *ownerdead 1 when the data it guards may be half-written: the
** previous owner died holding it, or a holder since unlocked it without
** calling mb_mutex_consistent (repair the data, then call it).  Locking a
** mutex this process holds is MB_E_DEADLOCK; unlocking one it does not,
** MB_E_NOTOWNER. */
int mb_mutex_lock(mb_map *m, size_t off, double timeout, int flags,
                  int *got, int *ownerdead);
int mb_mutex_unlock(mb_map *m, size_t off);
int mb_mutex_consistent(mb_map *m, size_t off);
typedef struct mb_mutexstate {
  int pid;               /* the owner, 0 when unlocked */
  int alive, mine;       /* the owner lives; it is this process */
  int inconsistent;      /* the next holder will be told ownerdead */
  int waiters;           /* someone may sleep on it */
} mb_mutexstate;
int mb_mutex_state(mb_map *m, size_t off, mb_mutexstate *st);

/* ---- message ring (ring.c) ----
** Variable-length messages from any number of producers to any number of
** consumers through bytes off .. off+len-1 of a shared map (64-aligned):
** no lock on the way, at-least-once delivery with leases, peers killed at
** any moment cleaned up after (ring.c explains the protocol).  A ring
** object is one process's attachment; it takes a producer and/or consumer
** peer when it first pushes or takes (or mb_ring_role).  Not for several
** threads at once. */
#define MB_RING_SLOT 64                     /* bytes per data slot */
#define MB_RING_PEERS 64                    /* producers, and consumers */
#define MB_RING_MAXCAP ((uint64_t)1 << 31)  /* data bytes */
enum { MB_RING_PRODUCER = 1, MB_RING_CONSUMER = 2 };
typedef struct mb_ring mb_ring;
typedef struct mb_ringopts {
  uint64_t capacity;     /* create: data bytes (rounded down to 64; 0: all
                            that fits); attach: 0, or what it must have */
  int multi;             /* create: 1 several producers and consumers;
                            attach: -1 any, else what it must have */
  int force;             /* create: format even over a live ring */
  int spin;              /* polls before sleeping; -1: the default (2000) */
} mb_ringopts;
/* Bytes a ring of this capacity needs (0: out of bounds), and the
** capacity of the largest ring that fits len bytes (0: none). */
size_t mb_ring_size(uint64_t capacity);
uint64_t mb_ring_fit(size_t len);
/* create: format and attach; refuses (MB_E_LIVERING) a live ring (a live
** peer, a message or a lease in it) unless o->force.  attach: only
** attaches, writing nothing (MB_E_NORING, MB_E_RINGVERSION, MB_E_CORRUPT,
** MB_E_RINGCAP, MB_E_RINGMODE).  open: attach, or create when the bytes
** are all zero (two processes racing agree on one ring). */
int mb_ring_create(mb_ring **out, mb_map *m, size_t off, size_t len,
                   const mb_ringopts *o);
int mb_ring_attach(mb_ring **out, mb_map *m, size_t off, size_t len,
                   const mb_ringopts *o);
int mb_ring_open(mb_ring **out, mb_map *m, size_t off, size_t len,
                 const mb_ringopts *o);
/* Give up the object's peers (a lease stays, for another consumer to hand
** out again) and free it. */
void mb_ring_free(mb_ring *r);
int mb_ring_role(mb_ring *r, int role);
/* timeout 0: try once, > 0: wait that long, < 0: forever.  *pushed 0:
** full / timed out. */
int mb_ring_push(mb_ring *r, const void *msg, size_t len, double timeout,
                 int flags, int *pushed);
/* Lease the next message (or the one leased already): mb_ring_leased then
** says so, *len is its length.  Nothing leased: timed out.  The lease
** lasts until mb_ring_ack, or until the object is freed or its process
** dies (then another consumer gets the message again).  mb_ring_view
** points at the leased message in the map, in one piece or two (it wraps
** around the end of the data area; *p1 NULL: no lease): copy it before
** anything else touches the map.  mb_ring_read copies it (len must be its
** length). */
int mb_ring_peek(mb_ring *r, double timeout, int flags, size_t *len);
int mb_ring_view(mb_ring *r, const void **p1, size_t *n1, const void **p2,
                 size_t *n2);
int mb_ring_read(mb_ring *r, void *dst, size_t len);
/* Retire the leased message.  *acked 0: no lease, or it was lost. */
int mb_ring_ack(mb_ring *r, int *acked);
int mb_ring_leased(const mb_ring *r);
/* How many live peers the role has. */
int mb_ring_alive(mb_ring *r, int role, int *count);
typedef struct mb_ringstats {
  uint64_t capacity, slots;  /* data bytes, and 64-byte slots */
  uint64_t used;             /* bytes of slots in use (claimed, not freed) */
  uint64_t head, tail;       /* positions claimed by consumers, producers */
  int multi;
  int producers, consumers;  /* live peers */
  int psleeping, csleeping;  /* live peers asleep in push / pop */
  int stalesleepers;         /* sleeper bits of dead peers, not yet cleared */
  int leases, deadleases;    /* messages handed out, not acked; of dead peers */
  double oldest;             /* age of the oldest lease in seconds, or -1 */
  uint64_t pushed, acked, handed;   /* per-peer counters, summed */
} mb_ringstats;
int mb_ring_stats(mb_ring *r, mb_ringstats *s);

#ifdef __cplusplus
}
#endif

#endif
