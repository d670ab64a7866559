/*
** guard.c - the truncation guard's registry: the address ranges of the
** live file and shared memory maps, which the platform's fault handler
** (posix/guard.c) looks up.  When the file behind a live map shrinks, a
** touch of the vanished pages faults; the handler finds the map that
** holds the address, makes the vanished part harmless so the access
** finishes, and lowers the map's `valid` mark (mb_guard_caught).  The
** binding checks `valid` after each access and raises a "truncated"
** error, so the process goes on and nothing outside the map is touched.
**
** Why let the access finish rather than jump out of it: an access may be
** a memcpy inside lua_pushlstring or a pattern match deep in recursion;
** jumping out of those would leave the Lua state half-changed.  Letting
** the access finish and checking afterwards costs nothing on the hot
** path but one load.
*/
#include "mapbuf.h"
#include "internal.h"
#include "os.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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
static _Atomic unsigned long faults;


/* The map whose registered range holds address a, or NULL.  Safe in a
** signal handler: no lock, only atomic loads. */
mb_map *mb_guard_owner(uintptr_t a) {
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

/* The handler made the vanished part of m harmless: the file backs only
** keep bytes of it now. */
void mb_guard_caught(mb_map *m, size_t keep) {
  if (keep < m->valid) m->valid = keep;
  atomic_fetch_add(&faults, 1);
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
  pthread_once(&once, mb_os_guard_install);
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
