/*
** mapbuf.h - the mapbuf core: memory maps of files, anonymous and named
** shared memory, and borrowed host memory, in plain C.  No Lua here.
**
** Conventions, for every function below:
**   - offsets and lengths are 0-based byte counts (Lua positions are the
**     binding's business);
**   - a function that can fail returns 0 on success, a positive errno when
**     the operating system refused, or a negative MB_E_* code when the
**     caller misused it; mb_strerror() gives the message for either;
**   - an mb_map ** out-parameter is set only on success; on failure
**     nothing was made and nothing is owed.
**
** Threads.  Distinct maps may be used from distinct threads at once, and
** the process-wide parts (the truncation guard's registry, the advice and
** flag tables, mb_pagesize) are safe from any thread.  One map is not
** locked for you: calls on the same mb_map from several threads need the
** caller's own lock, except the atomics, mb_wait and mb_wake, which are
** made for sharing and touch only the bytes.  The reference count
** (mb_retain / mb_release) is not atomic either.
**
** ABI.  Only the functions marked MAPBUF_API are exported from the shared
** library (libmapbuf.so.0.1: while the version is 0.x, each minor version
** is a new ABI, and the SONAME says so).  mb_version() tells a program
** which library it runs with.
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
/* major * 10000 + minor * 100 + patch, as mb_version() returns it */
#define MAPBUF_VERSION_NUMBER 100

#if defined(_WIN32) && defined(MAPBUF_SHARED_BUILD)
#  define MAPBUF_API __declspec(dllexport)
#elif defined(_WIN32) && defined(MAPBUF_SHARED)
#  define MAPBUF_API __declspec(dllimport)
#elif defined(_WIN32)
#  define MAPBUF_API
#elif defined(__GNUC__) || defined(__clang__)
#  define MAPBUF_API __attribute__((visibility("default")))
#else
#  define MAPBUF_API
#endif

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
  MB_E_TOOBIG = -21,     /* size is too large to map: beyond PTRDIFF_MAX
                            (the address space of a 32-bit process) or
                            beyond a file offset (2^63 - 1) */
  MB_E_ADVICE = -22,     /* invalid advice (not one mapbuf knows) */
  MB_E_FLAGS = -23,      /* unsupported flags (only those in MB_MAP_FLAGS) */
  MB_E_PROT = -24,       /* unsupported prot (PROT_READ, with WRITE, EXEC) */
  /* the element functions (elements.c); messages as string.pack's */
  MB_E_ELEM = -25,       /* invalid element type */
  MB_E_OVERFLOW = -26,   /* integer overflow */
  MB_E_UOVERFLOW = -27,  /* unsigned overflow */
  MB_E_NOTINT = -28,     /* number has no integer representation */
  MB_E_NOGROW = -29,     /* map is not growable */
  MB_E_PATTERN = -30,    /* malformed pattern (the message: mb_match.err) */
  /* the IPC files (ipc.c, mutex.c, ring.c) */
  MB_E_NOTOWNER = -31,   /* mutex is not held by this process */
  MB_E_DEADLOCK = -32,   /* mutex is already held by this process */
  MB_E_NORING = -33,     /* not a ring */
  MB_E_RINGVERSION = -34,/* unsupported ring version */
  MB_E_CORRUPT = -35,    /* corrupted ring */
  MB_E_LIVERING = -36,   /* the map holds a live ring */
  MB_E_RINGFIT = -37,    /* ring capacity does not fit the map */
  MB_E_TOOLONG = -38,    /* message longer than the ring */
  MB_E_PRODUCER = -39,   /* the ring already has a live producer */
  MB_E_CONSUMER = -40,   /* the ring already has a live consumer */
  MB_E_NOSLOT = -41,     /* all 64 producer (or consumer) peers are live */
  MB_E_RINGCAP = -42,    /* the ring has another capacity */
  MB_E_RINGMODE = -43,   /* the ring has another mode */
  MB_E_FORKED = -44,     /* the ring object was made by the parent process */
  MB_E_FORMATTING = -45, /* another process is formatting the ring */
  MB_E_TAGNAME = -46     /* a tagname needs a file outside Windows */
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
  size_t maplen;         /* bytes mapped: len, or more in a growable map */
  int grow;              /* growable (mb_openopts.grow): mb_grow extends len */
  void *section;         /* the platform's own state of a named section
                            (Windows: its handle, held so that the name
                            stays, and the name); NULL elsewhere */
} mb_map;

/* Options of mb_open.  All zero (MB_OPENOPTS_INIT) is the default. */
typedef struct mb_openopts {
  uint64_t size;         /* extend the file to at least this (r+, w+) */
  uint64_t offset;       /* multiple of mb_granularity() */
  uint64_t length;       /* 0: the rest of the file */
  int populate;          /* prefault the pages (MAP_POPULATE) */
  int grow;              /* growable, modes r+ and w+ (size then optional):
                            see mb_grow */
} mb_openopts;
#define MB_OPENOPTS_INIT {0, 0, 0, 0, 0}

/* Options of mb_mapfd, with Python's rules.  flags and prot are checked
** against what mapbuf handles (MB_E_FLAGS, MB_E_PROT), not passed through:
** flags is MAP_SHARED or MAP_PRIVATE with any of the other flags that
** mb_mapflag lists (MAP_FIXED, MAP_HUGETLB and the like would map over the
** process or fault at first touch); prot must hold PROT_READ and may add
** PROT_WRITE and PROT_EXEC.
** All zero (MB_MAPOPTS_INIT) is the default: {.access = MB_ACCESS_READ}
** means just that. */
typedef struct mb_mapopts {
  int access;            /* MB_ACCESS_*; 0: default */
  int flags;             /* 0 (or -1): not given, MAP_SHARED */
  int prot;              /* 0 (or -1): not given, PROT_READ | PROT_WRITE */
  uint64_t offset;       /* multiple of mb_granularity() */
  int untracked;         /* 1: keep no descriptor (Python's trackfd=False:
                            mb_filesize and mb_resize then refuse) */
  int populate;          /* prefault the pages (MAP_POPULATE) */
  const char *tagname;   /* Python's tagname (NULL: none): on Windows the
                            name of the section, so maps of one name share
                            it, anonymous ones too; elsewhere maps of one
                            file are shared anyway and a file map ignores
                            it, but an anonymous map has no name to share
                            by (MB_E_TAGNAME) */
} mb_mapopts;
#define MB_MAPOPTS_INIT {0, 0, 0, 0, 0, 0, NULL}

/* ---- life cycle (map.c) ---- */

/* MAPBUF_VERSION_NUMBER of the library the program runs with (which may
** be newer than the header it was compiled with), and its version text. */
MAPBUF_API int mb_version(void);
MAPBUF_API const char *mb_versionstring(void);

/* The page size, and what mb_open / mb_mapfd offsets must be multiples of
** (the page size on Linux; 64 KiB on Windows). */
MAPBUF_API size_t mb_pagesize(void);
MAPBUF_API size_t mb_granularity(void);

/* "r", "r+", "w+", "c" (a trailing "b" ignored) -> MB_MODE_*, or
** MB_E_MODE. */
MAPBUF_API int mb_parsemode(const char *mode);

/* Map the file at path (mode MB_MODE_*).  *out owns its own descriptor.
** A map longer than PTRDIFF_MAX (2 GiB - 1 on a 32-bit target) is
** MB_E_TOOBIG, found before the file is created or extended: a larger
** file is mapped there through a window (offset and length). */
MAPBUF_API int mb_open(mb_map **out, const char *path, int mode,
                       const mb_openopts *o);

/* Map length bytes of descriptor fd (-1: anonymous memory) with Python's
** mmap.mmap rules (length 0: the rest of the file).  fd stays the
** caller's: the map keeps a duplicate, unless o->untracked. */
MAPBUF_API int mb_mapfd(mb_map **out, int fd, uint64_t length,
                        const mb_mapopts *o);

/* size bytes of zeroed anonymous memory, shared with children after fork
** unless private_. */
MAPBUF_API int mb_anon(mb_map **out, size_t size, int private_);

/* Lend len bytes at p (the caller's memory) as a map; writes are refused
** unless writable.  release(ud, p, len) is called exactly once, when the
** map is closed or freed; never if mb_wrap fails.  len must not exceed
** PTRDIFF_MAX (MB_E_TOOBIG); p may be NULL only for len 0 (MB_E_RANGE). */
MAPBUF_API int mb_wrap(mb_map **out, void *p, size_t len, int writable,
                       mb_release_fn release, void *ud);

/* New length n (a file map sets the file's size to offset + n).  The
** memory may move: base changes, so pointers into it are stale after.
** On failure the map and the file are as they were. */
MAPBUF_API int mb_resize(mb_map *m, size_t n);

/* A growable map (mb_openopts.grow): make len at least need, extending
** the file with it.  The mapping and the file grow ahead of len (at least
** doubling, whole pages), so a run of small appends costs few system
** calls; base may move.  The file is cut back to offset + len when the map
** is closed (until then it may be longer; a process killed leaves it so).
** MB_E_NOGROW for any other map; MB_E_TRUNCATED after a truncation. */
MAPBUF_API int mb_grow(mb_map *m, size_t need);

/* msync bytes off .. off+n-1 (which must lie in the map; widened to whole
** pages for the kernel) with flags (MS_SYNC, MS_ASYNC, MS_INVALIDATE).
** Does nothing for read-only, copy and borrowed maps. */
MAPBUF_API int mb_flush(mb_map *m, size_t off, size_t n, int flags);

/* madvise bytes off .. off+n-1 (off inside the map, n clipped at its end).
** advice must be one of the values mb_advice knows (else MB_E_ADVICE):
** a number the kernel takes but mapbuf does not know could do anything
** (MADV_GUARD_INSTALL makes the range fault).  Advice that discards data
** is shrunk to the whole pages inside the range; other advice is widened
** to the pages that hold it.  Borrowed memory: accepted, nothing done. */
MAPBUF_API int mb_advise(mb_map *m, size_t off, size_t n, int advice);
/* The MADV_* value of an advice name ("willneed"), or MB_E_ADVICE. */
MAPBUF_API int mb_advice(const char *name);
/* The i-th advice name, NULL past the end (to list them). */
MAPBUF_API const char *mb_advicename(int i);
/* The i-th MAP_* flag mb_mapfd accepts ("MAP_SHARED", ...) and its value;
** NULL past the end. */
MAPBUF_API const char *mb_mapflag(int i, int *value);

/* The size of the file or shared memory object now (len for anonymous and
** borrowed memory); MB_E_UNTRACKED without a descriptor. */
MAPBUF_API int mb_filesize(mb_map *m, uint64_t *size);

/* Unmap and close the descriptor (borrowed memory: release it).  The
** struct stays valid, closed, until mb_free.  Idempotent. */
MAPBUF_API int mb_close(mb_map *m);
/* Close, then free the struct.  NULL is allowed. */
MAPBUF_API void mb_free(mb_map *m);
/* For several holders of one map (the binding's map objects and views):
** a new map has one reference; mb_retain adds one, mb_release drops one
** and frees the map (mb_free) with the last.  Not atomic: one thread. */
MAPBUF_API void mb_retain(mb_map *m);
MAPBUF_API void mb_release(mb_map *m);

/* The message for a result code: an MB_E_* misuse, or strerror(errno). */
MAPBUF_API const char *mb_strerror(int code);

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
MAPBUF_API unsigned long mb_guard_faults(void);      /* faults caught so far */

/* ---- search (search.c) ---- */
#define MB_NPOS ((size_t)-1)
/* First / last offset of needle in h[0..hn), or MB_NPOS.  An empty needle
** is found at 0 / at hn.  Haystacks of 32 MiB and more are searched by the
** caller and a helper thread per spare core (joined before returning; the
** environment variable MAPBUF_SEARCH_THREADS caps the count, 1: none). */
MAPBUF_API size_t mb_memfind(const void *h, size_t hn, const void *needle, size_t nn);
MAPBUF_API size_t mb_memrfind(const void *h, size_t hn, const void *needle, size_t nn);

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
MAPBUF_API int mb_pcompile(mb_pattern **out, const char *p, size_t lp);
MAPBUF_API void mb_pfree(mb_pattern *pp);            /* NULL is fine */

/* What the pattern is, known at compile time. */
#define MB_PPLAIN 1u     /* none of ^$*+?.([%-: string.find takes it as
                            plain text (a ')' in it is still a byte for
                            find, but match and gmatch raise "invalid
                            pattern capture" where they reach it) */
#define MB_PANCHOR 2u    /* begins with '^': an anchor for find and match,
                            a byte for gmatch */
MAPBUF_API unsigned mb_pflags(const mb_pattern *pp);
MAPBUF_API size_t mb_psize(const mb_pattern *pp);    /* bytes it occupies */

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
MAPBUF_API int mb_pexec(const mb_pattern *pp, const unsigned char *s, size_t ls,
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
MAPBUF_API int mb_pfind(const unsigned char *s, size_t ls, const char *p, size_t lp,
             size_t init, mb_match *mt);
/* Try p at exactly offset at, as gmatch does ('^' is not special).
** 1 matched, 0 not, MB_E_PATTERN malformed.  Compiles p as mb_pfind does
** (sharing its per-thread block). */
MAPBUF_API int mb_pmatchat(const unsigned char *s, size_t ls, const char *p, size_t lp,
                size_t at, mb_match *mt);

/* ---- IPC (ipc.c): aligned words, byte offsets into the map ---- */
MAPBUF_API int mb_atomic_load(mb_map *m, size_t off, int bits, uint64_t *v);
MAPBUF_API int mb_atomic_store(mb_map *m, size_t off, int bits, uint64_t v);
MAPBUF_API int mb_atomic_add(mb_map *m, size_t off, int bits, uint64_t d, uint64_t *old);
MAPBUF_API int mb_cas(mb_map *m, size_t off, int bits, uint64_t expected,
           uint64_t desired, int *swapped, uint64_t *current);
/* A full memory barrier (seq_cst fence), for protocols that publish with
** plain stores. */
MAPBUF_API void mb_fence(void);

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
MAPBUF_API int mb_waitx(mb_map *m, size_t off, uint32_t expected, double timeout,
             int flags, int *woken);
MAPBUF_API int mb_wait(mb_map *m, size_t off, uint32_t expected, double timeout,
            int *woken);   /* mb_waitx with no flags */
MAPBUF_API int mb_wake(mb_map *m, size_t off, int n, int *count);
/* Byte-range locks on the file or shared memory (OFD locks); off and n
** relative to the map (n == 0: to the end of the map).  *got: 0 busy, or
** timed out.  mb_lockx: timeout 0 tries once, > 0 waits that long, < 0
** forever; a wait that may end early (a timeout, or MB_INTR) tries
** F_OFD_SETLK with naps of 50 us doubling to 2 ms between tries (the
** kernel's F_OFD_SETLKW has no timeout, and is restarted after a signal);
** only a wait forever without MB_INTR uses F_OFD_SETLKW.  mb_lock: wait 0
** tries once, else forever. */
MAPBUF_API int mb_lockx(mb_map *m, int exclusive, uint64_t off, uint64_t n,
             double timeout, int flags, int *got);
MAPBUF_API int mb_lock(mb_map *m, int exclusive, uint64_t off, uint64_t n, int wait,
            int *got);
MAPBUF_API int mb_unlock(mb_map *m, uint64_t off, uint64_t n);
enum { MB_SHM_EXCL = 1, MB_SHM_RDONLY = 2 };
/* has_size 0: attach to the whole object; else create or extend to size. */
MAPBUF_API int mb_shm(mb_map **out, const char *name, uint64_t size, int has_size,
           int flags);
MAPBUF_API int mb_shm_unlink(const char *name);

/* ---- bulk kernels: typed elements, bytes, checksums ----
** Plain loops over (pointer, count) at memory speed, for the binding's
** arrays and byte transforms (docs/transforms.md has the rules).  None of
** them needs alignment; none allocates; each works on whatever memory it
** is given (the caller checks ranges, write access and mb_intact). */

/* Which instruction sets the kernels use (simd.c).  The level in force is
** the best the CPU offers (MB_SIMD_AVX512: F, BW, VL and VBMI), capped by
** the last mb_simd() call, or at first use by the environment variable
** MAPBUF_SIMD (0-3).  On aarch64 the CPU offers MB_SIMD_SSE2, which there
** means NEON (used by the plain search).  Every level gives bit-identical
** results; the tests run each one.  limit < 0 only asks.  Returns the level now in force. */
enum { MB_SIMD_NONE = 0, MB_SIMD_SSE2 = 1, MB_SIMD_AVX2 = 2,
       MB_SIMD_AVX512 = 3 };
MAPBUF_API int mb_simd(int limit);

/* An element type: signed or unsigned integers of 1, 2, 4 or 8 bytes,
** floats of 4 or 8, little- or big-endian.  Build it with mb_elem_make;
** every function below takes a descriptor it made (else MB_E_ELEM). */
enum { MB_ELEM_INT = 1, MB_ELEM_UINT = 2, MB_ELEM_FLOAT = 3 };
typedef struct mb_elem {
  int kind;              /* MB_ELEM_* */
  int size;              /* bytes: 1, 2, 4, 8 (floats 4, 8) */
  int big;               /* 1 big-endian, 0 little (always 0 for size 1) */
} mb_elem;
/* big < 0: the machine's own order.  0 or MB_E_ELEM. */
MAPBUF_API int mb_elem_make(mb_elem *e, int kind, int size, int big);

/* A Lua number: an integer (64-bit unsigned elements come as their bits,
** like string.unpack's "J") or a float. */
typedef struct mb_num {
  int isfloat;
  int64_t i;             /* when !isfloat */
  double f;              /* when isfloat */
} mb_num;
static inline mb_num mb_numi(int64_t i) { mb_num v = {0, i, 0}; return v; }
static inline mb_num mb_numf(double f) { mb_num v = {1, 0, f}; return v; }

/* One element at p (a[k]): integers for integer types, floats for floats
** (integer 0 for a descriptor mb_elem_make did not make). */
MAPBUF_API mb_num mb_elem_get(const mb_elem *e, const void *p);
/* Store v at p with string.pack's checks (a[k] = v): a float into an
** integer type must have an exact integer value (MB_E_NOTINT), which must
** fit (MB_E_OVERFLOW, MB_E_UOVERFLOW; 8-byte types take any integer as
** its bits); numbers into float types convert as Lua converts them.
** Nothing is written on failure. */
MAPBUF_API int mb_elem_set(const mb_elem *e, void *p, mb_num v);

/* Reductions over n elements at p.  Sums of integer types wrap modulo
** 2^64 (Lua's integer +); sums of floats are doubles, added in a fixed
** order (blocks of 256 in 8 lanes, blocks combined pairwise), the same at
** every SIMD level.  min/max return 1, or 0 for n == 0 (no value); for
** floats a NaN anywhere gives NaN, and -0.0 counts as less than +0.0. */
MAPBUF_API int mb_arr_sum(const mb_elem *e, const void *p, size_t n, mb_num *out);
MAPBUF_API int mb_arr_min(const mb_elem *e, const void *p, size_t n, mb_num *out);
MAPBUF_API int mb_arr_max(const mb_elem *e, const void *p, size_t n, mb_num *out);

/* In place over n elements at p.  Results stored into integer types are
** rounded to nearest, ties to even, and saturate at the type's limits (NaN
** stores 0); floats follow IEEE arithmetic in their own precision.
** fill: every element v, with mb_elem_set's checks (nothing written on
** failure).  add, mul: by the number x.  clamp: min(max(v, lo), hi)
** (numpy's clip: hi wins when lo > hi).  0 or MB_E_ELEM. */
MAPBUF_API int mb_arr_fill(const mb_elem *e, void *p, size_t n, mb_num v);
MAPBUF_API int mb_arr_add(const mb_elem *e, void *p, size_t n, mb_num x);
MAPBUF_API int mb_arr_mul(const mb_elem *e, void *p, size_t n, mb_num x);
MAPBUF_API int mb_arr_clamp(const mb_elem *e, void *p, size_t n, mb_num lo, mb_num hi);
/* Element-wise with n elements of type f at q (which may overlap p in any
** way: the result is as if q had been read whole first).  addv, mulv:
** p[k] = p[k] + q[k], p[k] * q[k]; copy: p[k] = q[k] converted (the same
** type is a memmove, endianness alone a byte swap).  0 or MB_E_ELEM. */
MAPBUF_API int mb_arr_addv(const mb_elem *e, void *p, const mb_elem *f, const void *q,
                size_t n);
MAPBUF_API int mb_arr_mulv(const mb_elem *e, void *p, const mb_elem *f, const void *q,
                size_t n);
MAPBUF_API int mb_arr_copy(const mb_elem *e, void *p, const mb_elem *f, const void *q,
                size_t n);

/* Bytes (bytes.c).  translate: each byte b of p[0..n) becomes table[b]
** (bytes.translate, in place).  count: non-overlapping occurrences of the
** needle in h[0..hn), as bytes.count (an empty needle: hn + 1). */
MAPBUF_API void mb_translate(void *p, size_t n, const unsigned char table[256]);
MAPBUF_API size_t mb_count(const void *h, size_t hn, const void *needle, size_t nn);

/* Checksums (checksum.c), exactly zlib's crc32() and adler32(), chained
** the same way: start from 0 (crc) or 1 (adler) and pass the previous
** value to continue.  p may be NULL when n == 0: crc32 then returns crc,
** adler32 the value given with each half reduced modulo 65521 (zlib's
** rule for a buffer of length 0; it changes no value Adler-32 makes). */
MAPBUF_API uint32_t mb_crc32(uint32_t crc, const void *p, size_t n);
MAPBUF_API uint32_t mb_adler32(uint32_t adler, const void *p, size_t n);

/* ---- robust mutex (mutex.c) ----
** A 64-bit word at an 8-aligned offset of a writable map; all zero bytes
** are an unlocked mutex.  The owner is a process (pid and start time).
** mb_mutex_lock: timeout 0 tries once, > 0 waits, < 0 forever; *got 1
** when held; *ownerdead 1 when the data it guards may be half-written: the
** previous owner died holding it, or a holder since unlocked it without
** calling mb_mutex_consistent (repair the data, then call it).  Locking a
** mutex this process holds is MB_E_DEADLOCK; unlocking one it does not,
** MB_E_NOTOWNER. */
MAPBUF_API int mb_mutex_lock(mb_map *m, size_t off, double timeout, int flags,
                  int *got, int *ownerdead);
MAPBUF_API int mb_mutex_unlock(mb_map *m, size_t off);
MAPBUF_API int mb_mutex_consistent(mb_map *m, size_t off);
typedef struct mb_mutexstate {
  int pid;               /* the owner, 0 when unlocked */
  int alive, mine;       /* the owner lives; it is this process */
  int inconsistent;      /* the next holder will be told ownerdead */
  int waiters;           /* someone may sleep on it */
} mb_mutexstate;
MAPBUF_API int mb_mutex_state(mb_map *m, size_t off, mb_mutexstate *st);

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
  int force;             /* create: format even over a live ring, or
                            one of another version */
  int spin;              /* polls before sleeping; -1: the default (2000) */
} mb_ringopts;
/* Bytes a ring of this capacity needs (0: out of bounds), and the
** capacity of the largest ring that fits len bytes (0: none). */
MAPBUF_API size_t mb_ring_size(uint64_t capacity);
MAPBUF_API uint64_t mb_ring_fit(size_t len);
/* create: format and attach; refuses (MB_E_LIVERING) a live ring (a live
** peer, a message or a lease in it), and (MB_E_RINGVERSION) a ring of
** another version, whose liveness it cannot tell, unless o->force.
** attach: only attaches, writing nothing (MB_E_NORING, MB_E_RINGVERSION,
** MB_E_CORRUPT, MB_E_RINGCAP, MB_E_RINGMODE).  open: attach, or create when the bytes
** are all zero (two processes racing agree on one ring). */
MAPBUF_API int mb_ring_create(mb_ring **out, mb_map *m, size_t off, size_t len,
                   const mb_ringopts *o);
MAPBUF_API int mb_ring_attach(mb_ring **out, mb_map *m, size_t off, size_t len,
                   const mb_ringopts *o);
MAPBUF_API int mb_ring_open(mb_ring **out, mb_map *m, size_t off, size_t len,
                 const mb_ringopts *o);
/* Give up the object's peers (a lease stays, for another consumer to hand
** out again) and free it. */
MAPBUF_API void mb_ring_free(mb_ring *r);
MAPBUF_API int mb_ring_role(mb_ring *r, int role);
/* timeout 0: try once, > 0: wait that long, < 0: forever.  *pushed 0:
** full / timed out. */
MAPBUF_API int mb_ring_push(mb_ring *r, const void *msg, size_t len, double timeout,
                 int flags, int *pushed);
/* Lease the next message (or the one leased already): mb_ring_leased then
** says so, *len is its length.  Nothing leased: timed out.  The lease
** lasts until mb_ring_ack, or until the object is freed or its process
** dies (then another consumer gets the message again).  mb_ring_view
** points at the leased message in the map, in one piece or two (it wraps
** around the end of the data area; *p1 NULL: no lease): copy it before
** anything else touches the map.  mb_ring_read copies it (len must be its
** length). */
MAPBUF_API int mb_ring_peek(mb_ring *r, double timeout, int flags, size_t *len);
MAPBUF_API int mb_ring_view(mb_ring *r, const void **p1, size_t *n1, const void **p2,
                 size_t *n2);
MAPBUF_API int mb_ring_read(mb_ring *r, void *dst, size_t len);
/* Retire the leased message.  *acked 0: no lease, or it was lost. */
MAPBUF_API int mb_ring_ack(mb_ring *r, int *acked);
MAPBUF_API int mb_ring_leased(const mb_ring *r);
/* How many live peers the role has. */
MAPBUF_API int mb_ring_alive(mb_ring *r, int role, int *count);
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
MAPBUF_API int mb_ring_stats(mb_ring *r, mb_ringstats *s);

#ifdef __cplusplus
}
#endif

#endif
