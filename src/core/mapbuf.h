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
  MB_E_TOOBIG = -21      /* size does not fit in memory */
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
  struct mb_map *next;   /* the guard's registry of live maps */
} mb_map;

/* Options of mb_open. */
typedef struct mb_openopts {
  uint64_t size;         /* extend the file to at least this (r+, w+) */
  uint64_t offset;       /* multiple of mb_granularity() */
  uint64_t length;       /* 0: the rest of the file */
  int populate;          /* prefault the pages (MAP_POPULATE) */
} mb_openopts;

/* Options of mb_mapfd, with Python's rules. */
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
int mb_advise(mb_map *m, size_t off, size_t n, int advice);
int mb_advice(const char *name);          /* MADV_* value, or -1 */
const char *mb_advicename(int i);         /* i-th advice name, NULL past end */
int mb_filesize(mb_map *m, uint64_t *size);
int mb_close(mb_map *m);                  /* idempotent */
void mb_free(mb_map *m);                  /* close, then free the struct */
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

/* ---- Lua 5.4 patterns over bytes (pattern_compile.c, pattern_exec.c) ----
** The language, results, captures and error messages of Lua 5.4's
** string.find / string.match / string.gmatch, over any bytes: the
** subject needs no terminating zero and may hold zeros.  Classes are
** those of the C locale (what stock lua5.4 uses).  As in Lua, a malformed
** part of a pattern is an error only when matching reaches it, and a
** match that would need more than 200 of Lua's nested matcher calls ends
** in "pattern too complex" exactly where Lua's does. */
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

/*
** A compiled pattern: compile once, match many times.  The program is
** immutable once made, so one compiled pattern may be used by several
** threads at once; each call of mb_pexec keeps its state on its own
** stack (a few kB) and allocates nothing.
*/
typedef struct mb_pattern mb_pattern;

/* Compile the lp bytes at p (zeros allowed).  0 and *out set, or ENOMEM
** (also for a pattern too long to compile, over 2^30 bytes).  Never fails
** for a malformed pattern: the error is raised by mb_pexec where matching
** reaches the malformed part, as Lua does.  The pattern bytes are not
** kept: the caller may free them.  The result belongs to the caller, who
** frees it with mb_pfree. */
int mb_pcompile(mb_pattern **out, const char *p, size_t lp);
void mb_pfree(mb_pattern *pp);            /* NULL is fine */

/* What the pattern is, known at compile time. */
#define MB_PPLAIN 1u     /* none of ^$*+?.([%-: string.find takes it as
                            plain text (a ')' in it is still a byte for
                            find, but match and gmatch raise "invalid
                            pattern capture" where they reach it) */
#define MB_PANCHOR 2u    /* begins with '^': an anchor for find and match,
                            a byte for gmatch */
unsigned mb_pflags(const mb_pattern *pp);
size_t mb_psize(const mb_pattern *pp);    /* bytes it occupies */

/* How mb_pexec searches. */
enum {
  MB_PEXEC_FIND = 0,     /* the first match at or after init; a leading
                            '^' anchors it at init (string.find's and
                            string.match's search, without find's plain-
                            text rule: see MB_PPLAIN) */
  MB_PEXEC_AT = 1,       /* one attempt at exactly init, '^' a byte (one
                            step of string.gmatch) */
  MB_PEXEC_NEXT = 2      /* the first match at or after init, '^' a byte
                            (string.gmatch's search for its next match;
                            the caller skips an empty match that ends
                            where the previous match ended, by searching
                            again from one byte further) */
};

/*
** Match pp against s[0 .. ls-1], starting at offset init (a start past
** ls finds nothing).  1: matched, *mt holds the match and its captures
** (offsets into s); a capture still open at the end has len
** MB_CAP_UNFINISHED (Lua raises "unfinished capture" when it pushes
** it).  0: no match.  MB_E_PATTERN: the pattern is malformed where
** matching reached it, or too complex; the message is in mt->err.  Unless
** the result is 1, only mt->level (0) and mt->err are set.  mode is one
** of MB_PEXEC_*.  Bytes before init are still looked at by %f (the byte
** before init).
*/
int mb_pexec(const mb_pattern *pp, const unsigned char *s, size_t ls,
             size_t init, int mode, mb_match *mt);

/* Find the first match of p in s at or after init (anchored at init when p
** starts with '^').  1 found, 0 not found, MB_E_PATTERN malformed pattern.
** As string.find: a pattern with none of ^$*+?.([%- is plain text, even
** with a ')' in it (string.match and gmatch would raise "invalid pattern
** capture" where they reach that ')': their binding handles that case).
** A capture still open at the end comes back with len MB_CAP_UNFINISHED
** (Lua raises "unfinished capture" when it pushes it).  Each thread keeps
** the last pattern it compiled here in a fixed 8 KiB block of its own
** (patterns up to 256 bytes whose program fits), so a loop over one
** pattern compiles it once; others are compiled with malloc for the call
** (if that fails: MB_E_PATTERN, "not enough memory").  Safe from several
** threads at once. */
int mb_pfind(const unsigned char *s, size_t ls, const char *p, size_t lp,
             size_t init, mb_match *mt);
/* Try p at exactly offset at, as gmatch does ('^' is not special).
** 1 matched, 0 not, MB_E_PATTERN malformed.  Compiles p as mb_pfind does
** (sharing its per-thread block). */
int mb_pmatchat(const unsigned char *s, size_t ls, const char *p, size_t lp,
                size_t at, mb_match *mt);

/* ---- IPC (ipc.c): aligned words, byte offsets into the map ---- */
int mb_atomic_load(mb_map *m, size_t off, int bits, uint64_t *v);
int mb_atomic_store(mb_map *m, size_t off, int bits, uint64_t v);
int mb_atomic_add(mb_map *m, size_t off, int bits, uint64_t d, uint64_t *old);
int mb_cas(mb_map *m, size_t off, int bits, uint64_t expected,
           uint64_t desired, int *swapped, uint64_t *current);
/* timeout < 0: forever.  *woken: 1 woken or value differs, 0 timed out. */
int mb_wait(mb_map *m, size_t off, uint32_t expected, double timeout,
            int *woken);
int mb_wake(mb_map *m, size_t off, int n, int *count);
/* Byte-range locks on the file or shared memory (OFD locks); off and n
** relative to the map (n == 0: to the end of the map).  *got: 0 busy. */
int mb_lock(mb_map *m, int exclusive, uint64_t off, uint64_t n, int wait,
            int *got);
int mb_unlock(mb_map *m, uint64_t off, uint64_t n);
enum { MB_SHM_EXCL = 1, MB_SHM_RDONLY = 2 };
/* has_size 0: attach to the whole object; else create or extend to size. */
int mb_shm(mb_map **out, const char *name, uint64_t size, int has_size,
           int flags);
int mb_shm_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif
