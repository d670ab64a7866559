/*
** fuzz_core.c - libFuzzer harness for the core: a sequence of operations
** decoded from the input is applied to three maps at once (anonymous
** memory, a file, borrowed heap memory), each shadowed by a plain byte
** array that says what the map must hold.  After every step the map is
** compared with its model, and every return code with the one the
** contract in mapbuf.h implies; any difference aborts.
**
** Operations: write, fill, resize, flush (then the file must equal the
** model), advise (bytes outside the range must not change; inside, only
** to zero), mb_memfind / mb_memrfind against a naive search (on the map
** and on an exact-size heap copy, so ASan sees over-reads), atomics at any
** offset and width, wait with a zero timeout, wake, locks, file size,
** close, reopen, and a truncation of the file behind the map's back.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mapbuf.h"

/* The harness's own byte loops need no coverage feedback (they cost more
** than the core itself): only the core's code guides the fuzzer. */
#if defined(__clang__) && __clang_major__ >= 13
#define NOCOV __attribute__((no_sanitize("coverage"), noinline))
#else
#define NOCOV
#endif

#define NPAGES 4
#define MAXOPS 64

static size_t PS;        /* page size */
static size_t CAP;       /* model capacity: NPAGES + 1 pages */
static char path[64];    /* the file behind the file map */

typedef struct In { const uint8_t *p; size_t n; } In;

static unsigned get8(In *in) {
  if (in->n == 0) return 0;
  in->n--;
  return *in->p++;
}
static size_t get16(In *in) { return get8(in) | (size_t)get8(in) << 8; }
static uint64_t get64(In *in) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8; i++) v |= (uint64_t)get8(in) << (8 * i);
  return v;
}

enum { ANON, FILEMAP, BORROWED, NSUBJ };
/* How the file map is made: mb_open "w+", mb_mapfd, mb_open "c", "r". */
enum { FCREATE, FMAPFD, FCOPY, FREAD };

typedef struct Subject {
  mb_map *m;
  int kind, closed;
  int shared;            /* ANON: MAP_SHARED (cannot grow) */
  int fmode;             /* FILEMAP: one of the F* below */
  int writable;          /* BORROWED: writable */
  size_t len;            /* expected length */
  size_t valid;          /* expected m->valid (the guard's mark) */
  long truncated;        /* FILEMAP: file size set behind our back, or -1 */
  unsigned char *model;  /* CAP bytes: the pages' expected contents */
  unsigned char *uk;     /* CAP flags: byte's value is unknown */
  void *heap;            /* BORROWED: the memory lent to mb_wrap */
  int releases;          /* BORROWED: times the release callback ran */
} Subject;

static Subject S[NSUBJ];
static int trace;        /* MAPBUF_FUZZ_TRACE: print each operation */

#define CHECK(c, ...) do { if (!(c)) { \
    fprintf(stderr, "fuzz_core:%d: %s: ", __LINE__, #c); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } } while (0)

static size_t roundup(size_t n) { return (n + PS - 1) & ~(PS - 1); }

static void removefile(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *dir;
  int fd;
  (void)argc; (void)argv;
  trace = getenv("MAPBUF_FUZZ_TRACE") != NULL;
  PS = mb_pagesize();
  CAP = (NPAGES + 1) * PS;
  /* tmpfs by default: msync on a disk would make each input cost a
  ** write-back; MAPBUF_FUZZ_DIR picks another file system */
  dir = getenv("MAPBUF_FUZZ_DIR");
  if (dir == NULL) dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(path, sizeof path, "%.40s/mapbuf-fuzz-XXXXXX", dir);
  fd = mkstemp(path);
  if (fd < 0) { perror("mkstemp"); exit(1); }
  close(fd);
  atexit(removefile);
  return 0;
}

static void onrelease(void *ud, void *base, size_t len) {
  Subject *s = ud;
  (void)len;
  CHECK(base == (s->len ? s->heap : NULL), "release got another pointer");
  s->releases++;
}

/* Make s's map afresh, of n bytes; the model is all zeros (a new file is
** truncated, anonymous memory is zero, borrowed memory is zeroed). */
static void make(Subject *s, size_t n) {
  int rc = 0;
  memset(s->model, 0, CAP);
  memset(s->uk, 0, CAP);
  s->len = s->valid = n;
  s->closed = 0;
  s->truncated = -1;
  switch (s->kind) {
    case ANON: rc = mb_anon(&s->m, n, !s->shared); break;
    case FILEMAP:
      if (s->fmode != FCREATE && (n > 0 || s->fmode != FMAPFD)) {
        int fd = open(path, O_RDWR | O_TRUNC);
        CHECK(fd >= 0 && ftruncate(fd, (off_t)n) == 0, "setting up the file");
        if (s->fmode == FMAPFD) rc = mb_mapfd(&s->m, fd, 0, NULL);
        else rc = mb_open(&s->m, path, s->fmode == FCOPY ? MB_MODE_COPY
                                                          : MB_MODE_READ, NULL);
        close(fd);  /* the map keeps its own descriptor */
      } else {
        mb_openopts o = {.size = n};
        rc = mb_open(&s->m, path, MB_MODE_CREATE, &o);
      }
      break;
    case BORROWED:
      free(s->heap);
      s->heap = calloc(1, n ? n : 1);
      s->releases = 0;
      rc = mb_wrap(&s->m, n ? s->heap : NULL, n, s->writable, onrelease, s);
      break;
  }
  CHECK(rc == 0, "making map kind %d of %zu bytes: %s", s->kind, n,
        mb_strerror(rc));
  CHECK(s->m->len == n, "new map has %zu bytes, not %zu", s->m->len, n);
}

/* The map holds what its model says, wherever the model knows. */
NOCOV static void compare(Subject *s) {
  size_t i;
  if (s->closed) {
    CHECK(s->m->closed && s->m->len == 0 && s->m->base == NULL,
          "a closed map keeps memory");
    return;
  }
  CHECK(s->m->len == s->len, "len %zu, model %zu", s->m->len, s->len);
  CHECK(s->m->valid == s->valid, "valid %zu, expected %zu", s->m->valid,
        s->valid);
  if (s->len == 0 || (memchr(s->uk, 1, s->len) == NULL &&
                      memcmp(s->m->base, s->model, s->len) == 0))
    return;
  for (i = 0; i < s->len; i++)
    CHECK(s->uk[i] || s->m->base[i] == s->model[i],
          "kind %d: byte %zu is %d, model %d", s->kind, i, s->m->base[i],
          s->model[i]);
}

static int canwrite(Subject *s) {
  if (s->kind == FILEMAP && s->fmode == FREAD) return 0;
  return !s->closed && (s->kind != BORROWED || s->writable);
}

/* After a truncation to t, the bytes of t's page past t lie beyond the
** end of the file: the kernel may zero them whenever it writes the page
** back, so the model cannot know them. */
NOCOV static void stale(Subject *s) {
  size_t t = (size_t)s->truncated, i;
  for (i = t; i < roundup(t) && i < s->len; i++) s->uk[i] = 1;
}

/* Store bytes, as the binding does: straight into the memory. */
static void store(Subject *s, size_t off, const unsigned char *src, size_t n) {
  if (n == 0) return;  /* base is NULL while len is 0 */
  memcpy(s->m->base + off, src, n);
  memcpy(s->model + off, src, n);
  memset(s->uk + off, 0, n);
  if (s->truncated >= 0) stale(s);
}

NOCOV static void op_write(Subject *s, In *in) {
  size_t off = get16(in), n = get8(in), i;
  unsigned char buf[256];
  for (i = 0; i < n; i++) buf[i] = (unsigned char)get8(in);
  if (!canwrite(s) || off > s->len || n > s->len - off) return;
  store(s, off, buf, n);
}

/* A short string repeated over a range: periodic text is what makes
** the search's rare-pair filter work hard. */
NOCOV static void op_fill(Subject *s, In *in) {
  size_t off = get16(in), n = get16(in), k = get8(in) % 8 + 1, i;
  unsigned char unit[8], buf[NPAGES * 4096];
  for (i = 0; i < k; i++) unit[i] = (unsigned char)get8(in);
  if (!canwrite(s) || s->len == 0) return;
  off %= s->len;
  if (n > s->len - off) n = s->len - off;
  if (n > sizeof buf) n = sizeof buf;
  for (i = 0; i < n; i++) buf[i] = unit[i % k];
  store(s, off, buf, n);
}

static void op_resize(Subject *s, In *in) {
  size_t n = get16(in) % (NPAGES * PS + 1), old = s->len, i;
  int rc = mb_resize(s->m, n), want = 0;
  if (trace) fprintf(stderr, "  resize %zu -> %zu: %d\n", old, n, rc);
  if (s->closed) want = MB_E_CLOSED;
  else if (s->kind == BORROWED) want = MB_E_BORROWED;
  else if (s->kind == FILEMAP && s->fmode >= FCOPY) want = MB_E_NORESIZE;
  else if (s->kind == ANON && s->shared && n > old) want = MB_E_GROWSHARED;
  CHECK(rc == want, "resize kind %d %zu -> %zu: %d (%s), expected %d",
        s->kind, old, n, rc, mb_strerror(rc), want);
  if (rc != 0) return;
  if (s->truncated >= 0) {
    /* the file had shrunk to t: beyond t it is zero now, but the tail of
    ** t's page may hold what was written there after the truncation */
    size_t t = (size_t)s->truncated;
    for (i = t; i < CAP; i++) {
      s->model[i] = 0;
      s->uk[i] = i < roundup(t);
    }
    s->truncated = -1;
  }
  if (n < old) {
    /* a file loses what lies past n; anonymous memory may keep the rest of
    ** n's last page (mremap moves whole pages) or not (a map made anew
    ** when advice had split it), so those bytes are unknown */
    size_t from = s->kind == FILEMAP ? n : roundup(n);
    memset(s->model + from, 0, CAP - from);
    memset(s->uk + from, 0, CAP - from);
    if (s->kind != FILEMAP) memset(s->uk + n, 1, from - n);
  }
  s->len = s->valid = n;
}

static const int msflags[] = {MS_SYNC, MS_ASYNC, MS_SYNC | MS_INVALIDATE,
                              MS_ASYNC | MS_INVALIDATE, MS_INVALIDATE, 0};

NOCOV static void op_flush(Subject *s, In *in) {
  size_t off = get16(in) % (s->len + 2), n = get16(in) % (s->len + 2);
  int fl = msflags[get8(in) % 6], rc = mb_flush(s->m, off, n, fl), want = 0;
  if (s->closed) want = MB_E_CLOSED;
  else if (off > s->len || n > s->len - off) want = MB_E_RANGE;
  CHECK(rc == want, "flush kind %d len %zu at %zu+%zu flags %d: %d (%s)",
        s->kind, s->len, off, n, fl, rc, mb_strerror(rc));
  if (s->kind == FILEMAP && !s->closed && s->truncated < 0) {
    /* a shared map and the file are one: read it back */
    unsigned char buf[NPAGES * 4096 + 1];
    int fd = open(path, O_RDONLY);
    ssize_t got;
    size_t i;
    CHECK(fd >= 0, "open");
    got = pread(fd, buf, sizeof buf, 0);
    close(fd);
    CHECK(got == (ssize_t)s->len, "the file has %zd bytes, the map %zu", got,
          s->len);
    /* a copy-on-write map never reaches its file, which stays zeros */
    for (i = 0; i < s->len; i++)
      CHECK(s->uk[i] || buf[i] == (s->fmode == FCOPY ? 0 : s->model[i]),
            "file byte %zu is %d, map %d", i, buf[i], s->model[i]);
  }
}

NOCOV static void op_advise(Subject *s, In *in) {
  size_t k = get8(in), off, n, end, i, count = 0;
  const char *name;
  int advice, rc, lazy;
  while (mb_advicename((int)count) != NULL) count++;
  name = mb_advicename((int)(k % count));
  advice = mb_advice(name);
  CHECK(advice >= 0, "advice %s has no value", name);
  off = get16(in) % (s->len + 2);
  n = get16(in);
  if (get8(in) & 1) n = SIZE_MAX - n;  /* huge counts are clipped */
  rc = mb_advise(s->m, off, n, advice);
  if (trace) fprintf(stderr, "  advise %s at %zu+%zu: %d\n", name, off, n, rc);
  if (s->closed) { CHECK(rc == MB_E_CLOSED, "advise closed: %d", rc); return; }
  if (off >= s->len) {
    CHECK(rc == MB_E_RANGE, "advise at %zu of %zu: %d", off, s->len, rc);
    return;
  }
  CHECK(rc >= 0, "advise %s at %zu+%zu of %zu: %d (%s)", name, off, n, s->len,
        rc, mb_strerror(rc));
  end = n > s->len - off ? s->len : off + n;
  /* outside the range nothing moves; inside, discarding advice may give
  ** zeros (at once or, for "free", at any later time until written) */
  for (i = 0; i < s->len; i++) {
    unsigned char b = s->m->base[i];
    if (s->uk[i]) continue;
    if (i < off || i >= end || s->kind == BORROWED)
      CHECK(b == s->model[i], "advise %s at %zu+%zu of %zu changed byte %zu",
            name, off, n, s->len, i);
    else
      CHECK(b == s->model[i] || b == 0, "advise %s made byte %zu %d", name, i,
            b);
  }
  if (s->kind == BORROWED) return;
  /* even a refusal may come after part of the work (a range over a
  ** file page and a zero page left by the guard) */
  lazy = strcmp(name, "free") == 0;
  for (i = off; i < end; i++) {
    s->model[i] = s->m->base[i];
    if (lazy) s->uk[i] = 1;
  }
  /* the last page's bytes past the end may be discarded with it */
  if (end == s->len)
    for (i = s->len; i < roundup(s->len); i++) s->uk[i] = 1;
}

NOCOV static size_t naive(const unsigned char *h, size_t hn,
                    const unsigned char *nd, size_t nn, int last) {
  size_t i, r = MB_NPOS;
  if (nn > hn) return MB_NPOS;
  for (i = 0; i + nn <= hn; i++)
    if (memcmp(h + i, nd, nn) == 0) {
      r = i;
      if (!last) break;
    }
  return r;
}

static void search(const unsigned char *h, size_t hn, const unsigned char *nd,
                   size_t nn) {
  size_t a = mb_memfind(h, hn, nd, nn), b = mb_memrfind(h, hn, nd, nn);
  size_t ea = naive(h, hn, nd, nn, 0), eb = naive(h, hn, nd, nn, 1);
  CHECK(a == ea, "memfind in %zu bytes, needle %zu: %zu, naive %zu", hn, nn,
        a, ea);
  CHECK(b == eb, "memrfind in %zu bytes, needle %zu: %zu, naive %zu", hn, nn,
        b, eb);
}

/* Search a range of the map (in place and in a heap copy of exactly its
** size) for a needle taken from the map itself or from the input. */
static void op_find(Subject *s, In *in) {
  size_t off = get16(in), n = get16(in), nn = get8(in) % 40, at = get16(in);
  unsigned char nd[40], *copy;
  size_t i;
  int frommap = get8(in) & 1;
  for (i = 0; i < nn; i++) nd[i] = (unsigned char)get8(in);
  if (s->closed || s->len == 0) return;
  off %= s->len;
  if (n > s->len - off) n = s->len - off;
  if (frommap) {
    at %= s->len;
    if (nn > s->len - at) nn = s->len - at;
    memcpy(nd, s->m->base + at, nn);
    if (nn > 0 && get8(in) & 1) nd[nn - 1] ^= 1;  /* a near miss */
  }
  search(s->m->base + off, n, nd, nn);
  copy = malloc(n ? n : 1);
  memcpy(copy, s->m->base + off, n);
  search(copy, n, nd, nn);
  free(copy);
}

/* A haystack straight from the input, of any length. */
NOCOV static void op_rawfind(In *in) {
  size_t hn = get16(in), nn = get8(in) % 64, i;
  unsigned char *h, *nd;
  if (hn > in->n) hn = in->n;
  h = malloc(hn ? hn : 1);
  for (i = 0; i < hn; i++) h[i] = (unsigned char)get8(in);
  if (nn > 0 && hn > 0 && get8(in) & 1) {  /* a needle from the haystack */
    size_t at = get16(in) % hn;
    if (nn > hn - at) nn = hn - at;
    nd = malloc(nn);
    memcpy(nd, h + at, nn);
  } else {
    nd = malloc(nn ? nn : 1);
    for (i = 0; i < nn; i++) nd[i] = (unsigned char)get8(in);
  }
  search(h, hn, nd, nn);
  free(h);
  free(nd);
}

static uint64_t loadle(const unsigned char *p, int w) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < w; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void storele(Subject *s, size_t off, uint64_t v, int w) {
  int i;
  for (i = 0; i < w; i++) {
    s->model[off + i] = (unsigned char)(v >> (8 * i));
    s->uk[off + i] = 0;
  }
  if (s->truncated >= 0) stale(s);
}

static void op_atomic(Subject *s, In *in) {
  unsigned b = get8(in), what = get8(in) % 6;
  size_t off = get16(in) % (s->len + 16);
  int bits = (b & 0x80) ? (int)(b & 0x7f) : (b & 1) ? 64 : 32;
  int w = bits / 8, rc, want = 0, writes = what >= 1 && what <= 3, i;
  uint64_t v = get64(in), e = get64(in), old = 0, mask, cur;
  int swapped = -1, woken = -1, count = -1;
  if (off + 8 <= s->len && (get8(in) & 1)) e = loadle(s->model + off, 8);
  if (what >= 4) { bits = 32; w = 4; }  /* wait and wake: 32-bit words */
  if (s->closed) want = MB_E_CLOSED;
  else if (bits != 32 && bits != 64) want = MB_E_BITS;
  else if (s->len < (size_t)w || off > s->len - w) want = MB_E_RANGE;
  else if (((uintptr_t)s->m->base + off) % w) want = MB_E_MISALIGNED;
  else if (off + w > s->valid) want = MB_E_TRUNCATED;
  else if (writes && !canwrite(s)) want = MB_E_READONLY;
  mask = w == 8 ? ~(uint64_t)0 : 0xffffffffu;
  if (want == 0)  /* a word the model lost track of: take it as it is */
    for (i = 0; i < w; i++)
      if (s->uk[off + i]) {
        storele(s, off, loadle(s->m->base + off, w), w);
        break;
      }
  switch (what) {
    case 0: rc = mb_atomic_load(s->m, off, bits, &v); break;
    case 1: rc = mb_atomic_store(s->m, off, bits, v); break;
    case 2: rc = mb_atomic_add(s->m, off, bits, v, &old); break;
    case 3: rc = mb_cas(s->m, off, bits, e, v, &swapped, &cur); break;
    case 4: rc = mb_wait(s->m, off, (uint32_t)e, 0.0, &woken); break;
    default: rc = mb_wake(s->m, off, (int)(v & 0xff), &count); break;
  }
  CHECK(rc == want, "atomic op %u kind %d at %zu bits %d of %zu: %d (%s), "
        "expected %d", what, s->kind, off, bits, s->len, rc, mb_strerror(rc),
        want);
  if (rc != 0) return;
  cur = what == 3 ? cur : 0;
  switch (what) {
    case 0:
      CHECK(v == loadle(s->model + off, w), "atomic load %llx",
            (unsigned long long)v);
      break;
    case 1: storele(s, off, v & mask, w); break;
    case 2:
      CHECK(old == loadle(s->model + off, w), "fetch-add old value");
      storele(s, off, (old + v) & mask, w);
      break;
    case 3: {
      uint64_t now = loadle(s->model + off, w);
      CHECK(swapped == (now == (e & mask)), "cas swapped %d", swapped);
      CHECK(cur == (swapped ? (e & mask) : now), "cas current %llx",
            (unsigned long long)cur);
      if (swapped) storele(s, off, v & mask, w);
      break;
    }
    case 4:
      CHECK(woken == ((uint32_t)e != (uint32_t)loadle(s->model + off, 4)),
            "wait with timeout 0: woken %d", woken);
      break;
    default: CHECK(count == 0, "wake woke %d with nobody waiting", count);
  }
}

static void op_lock(Subject *s, In *in) {
  unsigned b = get8(in);
  uint64_t off = get16(in), n = get16(in);
  int got = -1, rc, rc2;
  if (b & 2) { off = get64(in); n = get64(in); }  /* anything at all */
  rc = mb_lock(s->m, b & 1, off, n, 0, &got);
  rc2 = mb_unlock(s->m, off, n);
  if (s->closed) {
    CHECK(rc == MB_E_CLOSED && rc2 == MB_E_CLOSED, "lock closed: %d %d", rc,
          rc2);
  } else if (s->kind != FILEMAP) {
    CHECK(rc == MB_E_NOFILE && rc2 == MB_E_NOFILE, "lock kind %d: %d %d",
          s->kind, rc, rc2);
  } else if (off > s->len || (n != 0 && n > s->len - off)) {
    CHECK(rc == MB_E_RANGE && rc2 == MB_E_RANGE, "lock %llx+%llx of %zu: %d %d",
          (unsigned long long)off, (unsigned long long)n, s->len, rc, rc2);
  } else if (s->fmode >= FCOPY) {
    /* the descriptor is read-only: a write lock is the kernel's EBADF */
    CHECK((rc == 0 && got == 1) || (rc == EBADF && (b & 1)),
          "lock on a read-only descriptor: %d got %d", rc, got);
    CHECK(rc2 == 0, "unlock: %d", rc2);
  } else {
    CHECK(rc == 0 && got == 1 && rc2 == 0, "lock %llu+%llu: %d got %d, %d",
          (unsigned long long)off, (unsigned long long)n, rc, got, rc2);
  }
}

static void op_size(Subject *s) {
  uint64_t size = 0;
  int rc = mb_filesize(s->m, &size);
  if (s->closed) { CHECK(rc == MB_E_CLOSED, "size closed: %d", rc); return; }
  CHECK(rc == 0, "size: %d", rc);
  if (s->kind == FILEMAP && s->truncated >= 0)
    CHECK(size == (uint64_t)s->truncated, "size %llu after truncation to %ld",
          (unsigned long long)size, s->truncated);
  else
    CHECK(size == s->len, "size %llu, len %zu", (unsigned long long)size,
          s->len);
}

static void op_close(Subject *s, In *in) {
  int twice = get8(in) & 1, rc = mb_close(s->m);
  CHECK(rc == 0, "close: %d", rc);
  if (twice) CHECK(mb_close(s->m) == 0, "second close");
  if (s->kind == BORROWED)
    CHECK(s->releases == 1, "released %d times", s->releases);
  s->closed = 1;
}

static void op_reopen(Subject *s, In *in) {
  size_t n = get16(in) % (NPAGES * PS + 1);
  if (!s->closed) return;
  mb_free(s->m);
  make(s, n);
}

/* Another writer shrinks the file: touching the vanished pages must not
** kill us; they read as zeros and the guard lowers `valid` to the file's
** new end (to the byte: the tail of the last page reads as zeros without
** a fault, but once a later page faulted the guard knows the end). */
NOCOV static void op_truncate(Subject *s, In *in) {
  size_t t = get16(in), i, sum = 0, end;
  int fd;
  /* once only until a resize: after that, bytes written to the zero
  ** pages would be what a second truncation uncovers */
  if (s->kind != FILEMAP || s->closed || s->len == 0 || s->truncated >= 0 ||
      s->fmode >= FCOPY)  /* private pages once written do not vanish */
    return;
  t %= s->len;
  fd = open(path, O_RDWR);
  CHECK(fd >= 0 && ftruncate(fd, (off_t)t) == 0, "truncating");
  close(fd);
  for (i = 0; i < s->len; i++) sum += ((volatile unsigned char *)s->m->base)[i];
  (void)sum;
  end = roundup(t);
  if (end < s->len && t < s->valid) s->valid = t;   /* a page faulted */
  for (i = t; i < s->len; i++) {
    CHECK(s->m->base[i] == 0, "byte %zu past the truncation at %zu is %d", i,
          t, s->m->base[i]);
    s->model[i] = 0;
    s->uk[i] = 0;
  }
  CHECK(mb_intact(s->m, 0, t), "bytes before the truncation are intact");
  CHECK(end >= s->len || !mb_intact(s->m, t, 1), "a vanished byte is intact");
  s->truncated = (long)t;
  stale(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  In in = {data, size};
  unsigned setup = get8(&in);
  int k, nops = 0;
  for (k = 0; k < NSUBJ; k++) {
    Subject *s = &S[k];
    memset(s, 0, sizeof *s);
    s->kind = k;
    s->shared = setup & 1;
    s->fmode = (setup >> 1) & 3;
    s->writable = !((setup >> 3) & 1);
    s->model = malloc(CAP);
    s->uk = malloc(CAP);
    make(s, get16(&in) % (NPAGES * PS + 1));
  }
  while (in.n > 0 && nops++ < MAXOPS) {
    unsigned b = get8(&in);
    Subject *s = &S[b % NSUBJ];
    if (trace)
      fprintf(stderr, "op %u on map %d (len %zu%s)\n", (b / NSUBJ) % 14,
              b % NSUBJ, s->len, s->closed ? ", closed" : "");
    switch ((b / NSUBJ) % 14) {
      case 0: case 1: op_write(s, &in); break;
      case 2: op_fill(s, &in); break;
      case 3: op_resize(s, &in); break;
      case 4: op_flush(s, &in); break;
      case 5: op_advise(s, &in); break;
      case 6: op_find(s, &in); break;
      case 7: op_rawfind(&in); break;
      case 8: case 9: op_atomic(s, &in); break;
      case 10: op_lock(s, &in); break;
      case 11: op_size(s); break;
      case 12: op_close(s, &in); break;
      default: if (s->closed) op_reopen(s, &in); else op_truncate(s, &in);
    }
    for (k = 0; k < NSUBJ; k++) compare(&S[k]);
  }
  for (k = 0; k < NSUBJ; k++) {
    Subject *s = &S[k];
    if (!s->closed) op_close(s, &in);
    mb_free(s->m);
    free(s->model);
    free(s->uk);
    free(s->heap);
  }
  return 0;
}
