/*
** map.c (POSIX) - mmap and its kin: map, unmap, move (mremap), msync,
** madvise, and the tables of the MAP_* flags and the advice mapbuf lets
** through.
*/
#include "os.h"
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Asked once; any thread may be first (relaxed: every thread that asks
** computes the same value). */
size_t mb_os_pagesize(void) {
  static _Atomic size_t ps;
  size_t v = atomic_load_explicit(&ps, memory_order_relaxed);
  if (v == 0) {
    v = (size_t)sysconf(_SC_PAGESIZE);
    atomic_store_explicit(&ps, v, memory_order_relaxed);
  }
  return v;
}

/* On Linux the offset of a mapping only has to be page-aligned. */
size_t mb_os_granularity(void) { return mb_os_pagesize(); }


/* The flags mb_mapfd takes: the two kinds of mapping, then hints whose
** consequences are only speed or accounting.  Anything else (MAP_FIXED,
** MAP_FIXED_NOREPLACE, MAP_HUGETLB, MAP_GROWSDOWN, MAP_SYNC,
** MAP_UNINITIALIZED, ...) is refused. */
static const mb_os_name mapflags[] = {
  {"MAP_SHARED", MAP_SHARED}, {"MAP_PRIVATE", MAP_PRIVATE},
#ifdef MAP_SHARED_VALIDATE
  {"MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE},
#endif
#ifdef MAP_NORESERVE
  {"MAP_NORESERVE", MAP_NORESERVE},
#endif
#ifdef MAP_POPULATE
  {"MAP_POPULATE", MAP_POPULATE},
#endif
#ifdef MAP_NONBLOCK
  {"MAP_NONBLOCK", MAP_NONBLOCK},
#endif
#ifdef MAP_STACK
  {"MAP_STACK", MAP_STACK},
#endif
#ifdef MAP_DENYWRITE
  {"MAP_DENYWRITE", MAP_DENYWRITE},
#endif
#ifdef MAP_EXECUTABLE
  {"MAP_EXECUTABLE", MAP_EXECUTABLE},
#endif
};
#define NFLAGS (sizeof mapflags / sizeof mapflags[0])

const mb_os_name *mb_os_flagnames(size_t *n) {
  *n = NFLAGS;
  return mapflags;
}

/* flags: exactly one kind (shared, private or shared-validate, which the
** kernel would treat as shared), and nothing outside the table. */
static int checkflags(int flags) {
  int known = 0, kind = flags & (MAP_SHARED | MAP_PRIVATE);
  size_t i;
#ifdef MAP_SHARED_VALIDATE
  kind = flags & MAP_SHARED_VALIDATE;
  if (kind != MAP_SHARED && kind != MAP_PRIVATE && kind != MAP_SHARED_VALIDATE)
    return MB_E_FLAGS;
#else
  if (kind != MAP_SHARED && kind != MAP_PRIVATE) return MB_E_FLAGS;
#endif
  for (i = 0; i < NFLAGS; i++) known |= mapflags[i].value;
  return (flags & ~known) != 0 ? MB_E_FLAGS : 0;
}

int mb_os_mapflags(int *flags) {
  int rc = checkflags(*flags);
  if (rc != 0) return rc;
#ifdef MAP_SHARED_VALIDATE
  /* validated here already: from now on it is a plain shared map (the
  ** rest of the core tells private from shared by MAP_PRIVATE's bit) */
  if ((*flags & MAP_SHARED_VALIDATE) == MAP_SHARED_VALIDATE)
    *flags = (*flags & ~MAP_SHARED_VALIDATE) | MAP_SHARED;
#endif
  return 0;
}


/* Maps of one file are shared already, whatever name they are given; an
** anonymous map has no name another process could find it by. */
int mb_os_tagname(mb_map *m, int fd, const char *name) {
  (void)m; (void)name;
  return fd < 0 ? MB_E_TAGNAME : 0;
}

void mb_os_forget(mb_map *m) { (void)m; }

int mb_os_map(mb_map *m, size_t len, int fd, int populate, void **p) {
  void *q = mmap(NULL, len, m->prot, m->flags | (populate ? MAP_POPULATE : 0),
                 fd, (off_t)m->offset);
  if (q == MAP_FAILED) return mb_oserr();
  *p = q;
  return 0;
}

int mb_os_unmap(mb_map *m) {
  return munmap(m->base, m->maplen) == 0 ? 0 : mb_oserr();
}

/* mremap refuses a range that advice (or mlock, or anything else that sets
** page flags) split into several mappings.  Do by hand what it would have
** done: drop the tail pages, or map anew and carry private bytes over. */
static int bypieces(mb_map *m, size_t n) {
  size_t ps = mb_os_pagesize();
  size_t keep = (n + ps - 1) & ~(ps - 1), had = (m->maplen + ps - 1) & ~(ps - 1);
  void *p;
  if (n <= m->maplen) {
    if (keep < had && munmap(m->base + keep, had - keep) != 0) return mb_oserr();
  } else {
    p = mmap(NULL, n, m->prot, m->flags, m->fd, (off_t)m->offset);
    if (p == MAP_FAILED) return mb_oserr();
    /* shared maps see the same file; private bytes live only in the old,
    ** which stays guarded while they are copied */
    if (m->flags & MAP_PRIVATE) {
      mb_guard_track(m);
      memcpy(p, m->base, m->len);
      mb_guard_forget(m);
    }
    munmap(m->base, m->maplen);
    m->base = p;
  }
  m->len = m->valid = m->maplen = n;
  return 0;
}

int mb_os_remap(mb_map *m, size_t n) {
  void *p = mremap(m->base, m->maplen, n, MREMAP_MAYMOVE);
  if (p != MAP_FAILED) {
    m->base = p;
    m->len = m->valid = m->maplen = n;
    return 0;
  }
  /* EFAULT: split; ENOMEM is what valgrind says for it (and a real
  ** shortage makes bypieces fail the same way) */
  if (errno == EFAULT || errno == ENOMEM) return bypieces(m, n);
  return mb_oserr();
}

int mb_os_sync(mb_map *m, void *p, size_t n, int flags) {
  (void)m;
  return msync(p, n, flags) == 0 ? 0 : mb_oserr();
}

int mb_os_advise(mb_map *m, void *p, size_t n, int advice) {
  (void)m;
  return madvise(p, n, advice) == 0 ? 0 : mb_oserr();
}


/* Advice that throws data away must not reach beyond the bytes asked for. */
int mb_os_destroys(int advice) {
  switch (advice) {
    case MADV_DONTNEED:
#ifdef MADV_FREE
    case MADV_FREE:
#endif
#ifdef MADV_REMOVE
    case MADV_REMOVE:
#endif
#ifdef MADV_DONTNEED_LOCKED
    case MADV_DONTNEED_LOCKED:
#endif
      return 1;
    default: return 0;
  }
}

static const mb_os_name advices[] = {
  {"normal", MADV_NORMAL}, {"random", MADV_RANDOM},
  {"sequential", MADV_SEQUENTIAL}, {"willneed", MADV_WILLNEED},
  {"dontneed", MADV_DONTNEED},
#ifdef MADV_FREE
  {"free", MADV_FREE},
#endif
#ifdef MADV_REMOVE
  {"remove", MADV_REMOVE},
#endif
#ifdef MADV_DONTFORK
  {"dontfork", MADV_DONTFORK}, {"dofork", MADV_DOFORK},
#endif
#ifdef MADV_MERGEABLE
  {"mergeable", MADV_MERGEABLE}, {"unmergeable", MADV_UNMERGEABLE},
#endif
#ifdef MADV_HUGEPAGE
  {"hugepage", MADV_HUGEPAGE}, {"nohugepage", MADV_NOHUGEPAGE},
#endif
#ifdef MADV_DONTDUMP
  {"dontdump", MADV_DONTDUMP}, {"dodump", MADV_DODUMP},
#endif
#ifdef MADV_WIPEONFORK
  {"wipeonfork", MADV_WIPEONFORK}, {"keeponfork", MADV_KEEPONFORK},
#endif
#ifdef MADV_COLD
  {"cold", MADV_COLD}, {"pageout", MADV_PAGEOUT},
#endif
#ifdef MADV_POPULATE_READ
  {"populate_read", MADV_POPULATE_READ},
  {"populate_write", MADV_POPULATE_WRITE},
#endif
#ifdef MADV_DONTNEED_LOCKED
  {"dontneed_locked", MADV_DONTNEED_LOCKED},
#endif
#ifdef MADV_COLLAPSE
  {"collapse", MADV_COLLAPSE},
#endif
};
#define NADVICES (sizeof advices / sizeof advices[0])

/* Only advice in the table reaches the kernel (MADV_HWPOISON, the guard
** regions of Linux 6.13 and whatever comes next stay out). */
const mb_os_name *mb_os_advices(size_t *n) {
  *n = NADVICES;
  return advices;
}
