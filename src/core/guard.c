/*
** guard.c - the truncation guard: when the file behind a live map shrinks,
** touching the vanished pages raises SIGBUS.  The handler finds the map
** that holds the address, maps zero pages over the vanished part so the
** access finishes harmlessly, and lowers the map's `valid` mark.  The
** binding checks `valid` after each access and raises a "truncated" error,
** so the process goes on and nothing outside the map is touched.
**
** Why zero pages rather than siglongjmp: an access may be a memcpy inside
** lua_pushlstring or a pattern match deep in recursion; jumping out of
** those would leave the Lua state half-changed.  Letting the access finish
** and checking afterwards costs nothing on the hot path but one load.
**
** Faults anywhere else go to the handler that was there before.
*/
#include "mapbuf.h"
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* The registry of guarded ranges.  Writers hold `lock`; the handler reads
** without it, so a slot is published only once complete, and a table that
** grew is never freed (the handler may still be reading it). */
typedef struct slot {
  _Atomic uintptr_t lo, hi;
  mb_map *_Atomic map;
} slot;

typedef struct table {
  size_t cap;
  _Atomic size_t n;      /* slots in use or once used */
  slot s[];
} table;

static table *_Atomic tab;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct sigaction previous;
static _Atomic unsigned long faults;


static void chain(int sig, siginfo_t *si, void *uc) {
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(sig, si, uc);
  } else if (previous.sa_handler == SIG_DFL) {
    /* let the access fault again, this time with the default action */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
  } else if (previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
  }
}

static mb_map *owner(uintptr_t a) {
  table *t = atomic_load(&tab);
  size_t i, n;
  if (t == NULL) return NULL;
  n = atomic_load(&t->n);
  for (i = 0; i < n; i++) {
    mb_map *m = atomic_load(&t->s[i].map);
    if (m != NULL && a >= atomic_load(&t->s[i].lo) && a < atomic_load(&t->s[i].hi))
      return m;
  }
  return NULL;
}

/* How many bytes of m the file still backs, as far as the handler can
** tell: the file's size now (fstat is async-signal-safe), or, for a map
** without a descriptor, what lies before the page that faulted. */
static size_t backed(const mb_map *m, size_t fault) {
  struct stat st;
  uint64_t size;
  if (m->fd < 0 || fstat(m->fd, &st) != 0) return fault;
  size = (uint64_t)st.st_size;
  if (size <= m->offset) return 0;
  size -= m->offset;
  return size < (uint64_t)fault ? (size_t)size : fault;
}

static void onbus(int sig, siginfo_t *si, void *uc) {
  uintptr_t a = (uintptr_t)si->si_addr, ps = mb_pagesize();
  uintptr_t page = a & ~(ps - 1), base, end, from;
  size_t keep;
  mb_map *m = owner(a);
  if (m == NULL || m->base == NULL) { chain(sig, si, uc); return; }
  base = (uintptr_t)m->base;
  end = (base + m->maplen + ps - 1) & ~(ps - 1);
  /* A truncation removes a tail: the file's new end is where the map stops
  ** being backed, so every byte past it is suspect, not only this page
  ** (valid is what the binding checks after each access). */
  keep = backed(m, (size_t)(page - base));
  from = (base + keep + ps - 1) & ~(ps - 1);
  if (from > page) from = page;
  /* Zero pages, private, so nothing reaches any file, from the first
  ** vanished page to the end: the access finishes, later ones do not
  ** fault again. */
  if (mmap((void *)from, end - from, m->prot, MAP_FIXED | MAP_PRIVATE |
           MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
    chain(sig, si, uc);
    return;
  }
  if (keep < m->valid) m->valid = keep;
  atomic_fetch_add(&faults, 1);
}

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &previous);
}


/* The slot holding m (NULL: a free slot), or NULL.  Holding lock. */
static slot *find(mb_map *m) {
  table *t = atomic_load(&tab);
  size_t i, n = t ? atomic_load(&t->n) : 0;
  for (i = 0; i < n; i++)
    if (atomic_load(&t->s[i].map) == m) return &t->s[i];
  return NULL;
}

/* A free slot, growing the table if need be.  Holding lock. */
static slot *alloc(void) {
  table *t = atomic_load(&tab);
  size_t i, n = t ? atomic_load(&t->n) : 0;
  slot *s = find(NULL);
  if (s != NULL) return s;
  if (t == NULL || n == t->cap) {
    size_t cap = t ? 2 * t->cap : 64;
    table *g = calloc(1, sizeof *g + cap * sizeof(slot));
    if (g == NULL) return NULL;  /* unguarded, but still a working map */
    g->cap = cap;
    for (i = 0; i < n; i++) {
      atomic_store(&g->s[i].lo, atomic_load(&t->s[i].lo));
      atomic_store(&g->s[i].hi, atomic_load(&t->s[i].hi));
      atomic_store(&g->s[i].map, atomic_load(&t->s[i].map));
    }
    atomic_store(&g->n, n);
    atomic_store(&tab, g);  /* the old table stays: see above */
    t = g;
  }
  atomic_store(&t->n, n + 1);
  return &t->s[n];
}

/* Files and shared memory can shrink under a map; so can the shmem object
** behind shared anonymous memory (through /proc/self/map_files).  Private
** anonymous memory and borrowed memory cannot. */
static int guarded(const mb_map *m) {
  return m->kind == MB_KIND_FILE || m->kind == MB_KIND_SHM ||
         (m->kind == MB_KIND_ANON && !(m->flags & MAP_PRIVATE));
}

/* Register m's current range: call after every mmap or mremap of a file or
** shared memory map. */
void mb_guard_track(mb_map *m) {
  slot *s;
  if (!guarded(m)) return;
  pthread_once(&once, install);
  pthread_mutex_lock(&lock);
  if ((s = find(m)) == NULL && m->maplen > 0) s = alloc();
  if (s != NULL) {
    atomic_store(&s->map, NULL);  /* unpublished while the range changes */
    if (m->maplen > 0 && m->base != NULL) {
      atomic_store(&s->lo, (uintptr_t)m->base);
      atomic_store(&s->hi, (uintptr_t)m->base + m->maplen);
      atomic_store(&s->map, m);
    }
  }
  pthread_mutex_unlock(&lock);
}

/* Unregister m: call before unmapping it or moving it. */
void mb_guard_forget(mb_map *m) {
  slot *s;
  if (!guarded(m)) return;
  pthread_mutex_lock(&lock);
  if ((s = find(m)) != NULL) atomic_store(&s->map, NULL);
  pthread_mutex_unlock(&lock);
}

unsigned long mb_guard_faults(void) { return atomic_load(&faults); }

void mb_guard_each(void (*fn)(mb_map *m)) {
  table *t = atomic_load(&tab);
  size_t i, n = t ? atomic_load(&t->n) : 0;
  for (i = 0; i < n; i++) {
    mb_map *m = atomic_load(&t->s[i].map);
    if (m != NULL) fn(m);
  }
}
