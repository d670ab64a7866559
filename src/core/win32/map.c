/*
** map.c (Win32) - sections and views: a file map is a section of the
** file (CreateFileMapping) and a view of it (MapViewOfFile); anonymous
** shared memory is a section of the paging file; private anonymous memory
** is VirtualAlloc'd.  The section handle is closed as soon as the view is
** made: the view keeps the section alive, and a resize makes both anew
** (Windows cannot cut a file under a live view, nor grow a view).
*/
#include "os.h"
#include "internal.h"
#include "w32.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The page size, or the allocation granularity (64 KiB: where views may
** start), asked once; any thread may be first (each computes the same). */
static size_t sysvalue(int gran) {
  static _Atomic size_t ps, gs;
  size_t v = atomic_load_explicit(gran ? &gs : &ps, memory_order_relaxed);
  if (v == 0) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    atomic_store_explicit(&ps, si.dwPageSize, memory_order_relaxed);
    atomic_store_explicit(&gs, si.dwAllocationGranularity, memory_order_relaxed);
    v = gran ? si.dwAllocationGranularity : si.dwPageSize;
  }
  return v;
}

size_t mb_os_pagesize(void) { return sysvalue(0); }
size_t mb_os_granularity(void) { return sysvalue(1); }


/* The two kinds of mapping; Windows has none of the hints. */
static const mb_os_name mapflags[] = {
  {"MAP_SHARED", MAP_SHARED}, {"MAP_PRIVATE", MAP_PRIVATE},
};
#define NFLAGS (sizeof mapflags / sizeof mapflags[0])

const mb_os_name *mb_os_flagnames(size_t *n) {
  *n = NFLAGS;
  return mapflags;
}

int mb_os_mapflags(int *flags) {
  int kind = *flags & (MAP_SHARED | MAP_PRIVATE);
  if (kind != MAP_SHARED && kind != MAP_PRIVATE) return MB_E_FLAGS;
  return (*flags & ~(MAP_SHARED | MAP_PRIVATE)) != 0 ? MB_E_FLAGS : 0;
}


/* Page protection of the section and access of the view, from prot and
** flags (private: copy-on-write). */
static void protection(const mb_map *m, DWORD *page, DWORD *view) {
  int w = (m->prot & PROT_WRITE) != 0, x = (m->prot & PROT_EXEC) != 0;
  if (m->flags & MAP_PRIVATE) {
    *page = x ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
    *view = FILE_MAP_COPY;
  } else if (w) {
    *page = x ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
    *view = FILE_MAP_WRITE;
  } else {
    *page = x ? PAGE_EXECUTE_READ : PAGE_READONLY;
    *view = FILE_MAP_READ;
  }
  if (x) *view |= FILE_MAP_EXECUTE;
}

int mb_os_tagname(mb_map *m, int fd, const char *name) {
  size_t n = strlen(name) + 1;
  mb_w32section *s = malloc(sizeof *s + n);
  (void)fd;
  if (s == NULL) return ENOMEM;
  s->h = NULL;
  memcpy(s->name, name, n);
  m->section = s;
  return 0;
}

void mb_os_forget(mb_map *m) {
  mb_w32section *s = m->section;
  if (s == NULL) return;
  if (s->h != NULL) CloseHandle(s->h);
  free(s);
  m->section = NULL;
}

/* A view of len bytes at offset of section h.  The handle is closed after
** (the view keeps the section), but a named section's is kept in tag:
** the name would go with it. */
static int view(HANDLE h, mb_w32section *tag, DWORD access, uint64_t offset,
                size_t len, void **p) {
  void *q;
  if (h == NULL) return mb_w32err();
  q = MapViewOfFile(h, access, (DWORD)(offset >> 32), (DWORD)offset, len);
  if (q == NULL) {
    int e = mb_w32err();
    CloseHandle(h);
    return e;
  }
  if (tag != NULL) {
    if (tag->h != NULL) CloseHandle(tag->h);
    tag->h = h;
  } else {
    CloseHandle(h);
  }
  *p = q;
  return 0;
}

int mb_os_map(mb_map *m, size_t len, int fd, int populate, void **p) {
  DWORD page, access;
  mb_w32section *tag;
  uint64_t end = m->offset + len;
  HANDLE f = fd < 0 ? INVALID_HANDLE_VALUE : mb_w32handle(fd);
  (void)populate;   /* no MAP_POPULATE: pages come in at first touch */
  if (fd < 0 && (m->flags & MAP_PRIVATE)) {
    void *q = VirtualAlloc(NULL, len, MEM_RESERVE | MEM_COMMIT,
                           (m->prot & PROT_EXEC) ? PAGE_EXECUTE_READWRITE
                                                 : PAGE_READWRITE);
    if (q == NULL) return mb_w32err();
    *p = q;
    return 0;
  }
  if (fd >= 0 && f == INVALID_HANDLE_VALUE) return EBADF;
  protection(m, &page, &access);
  if (fd < 0) {   /* shared anonymous: the paging file's, writable */
    page = PAGE_READWRITE;
    access = FILE_MAP_WRITE;
  }
  /* with a tagname, an existing section of that name is opened instead
  ** (its file and size are its own), as Python does */
  tag = m->section;
  return view(CreateFileMappingA(f, NULL, page, (DWORD)(end >> 32), (DWORD)end,
                                 tag != NULL ? tag->name : NULL),
              tag, access, m->offset, len, p);
}

static int anonprivate(const mb_map *m) {
  return m->kind == MB_KIND_ANON && (m->flags & MAP_PRIVATE);
}

/* Private anonymous memory, and what the guard put in place of a view
** that faulted (win32/guard.c), are VirtualAlloc'd; the rest are views. */
int mb_os_unmap(mb_map *m) {
  int alloc = anonprivate(m) || m->valid < m->len;
  BOOL ok = alloc ? VirtualFree(m->base, 0, MEM_RELEASE)
                  : UnmapViewOfFile(m->base);
  mb_w32section *tag = m->section;
  int rc = ok ? 0 : mb_w32err();
  if (tag != NULL && tag->h != NULL) {   /* the name goes with its last handle */
    CloseHandle(tag->h);
    tag->h = NULL;
  }
  return rc;
}

/* Views do not grow or shrink: make the new one, carry over what lives
** only in the old (anonymous and copy-on-write bytes), drop the old.  A
** shared file view must go first: Windows cuts no file under a live
** view, so the file gets its new size between the two. */
int mb_os_remap(mb_map *m, size_t n) {
  int fd = m->kind == MB_KIND_ANON ? -1 : m->fd, rc;
  int carry = fd < 0 || (m->flags & MAP_PRIVATE);
  void *p;
  if (!carry) {
    if ((rc = mb_os_unmap(m)) != 0) return rc;
    m->base = NULL;
    m->len = m->valid = m->maplen = 0;
    if ((rc = mb_os_setsize(fd, m->offset + n)) != 0) return rc;
    if ((rc = mb_os_map(m, n, fd, 0, &p)) != 0) return rc;
  } else {
    if ((rc = mb_os_map(m, n, fd, 0, &p)) != 0) return rc;
    memcpy(p, m->base, n < m->len ? n : m->len);
    mb_os_unmap(m);
  }
  m->base = p;
  m->len = m->valid = m->maplen = n;
  return 0;
}

/* FlushViewOfFile only starts the writes; MS_SYNC also waits for the
** disk, through the file's handle (FlushFileBuffers). */
int mb_os_sync(mb_map *m, void *p, size_t n, int flags) {
  if (!FlushViewOfFile(p, n)) return mb_w32err();
  if ((flags & MS_SYNC) && m->fd >= 0 && !FlushFileBuffers(mb_w32handle(m->fd)))
    return mb_w32err();
  return 0;
}


/* What Windows can do of each advice:
**   normal      nothing to undo: accepted;
**   willneed    PrefetchVirtualMemory (reads the pages in ahead);
**   dontneed    private anonymous memory: decommitted and committed again,
**               so it reads as zeros after, as on Linux; other views: out
**               of the working set (VirtualUnlock), the bytes kept, as a
**               shared file map keeps them on Linux; copy-on-write file
**               views cannot drop their private copies: ENOSYS;
**   random, sequential   no per-range hint on Windows: ENOSYS.
** The names are all there, so a script's MADV_* lookups work alike. */
static const mb_os_name advices[] = {
  {"normal", MADV_NORMAL}, {"random", MADV_RANDOM},
  {"sequential", MADV_SEQUENTIAL}, {"willneed", MADV_WILLNEED},
  {"dontneed", MADV_DONTNEED},
};
#define NADVICES (sizeof advices / sizeof advices[0])

const mb_os_name *mb_os_advices(size_t *n) {
  *n = NADVICES;
  return advices;
}

int mb_os_destroys(int advice) { return advice == MADV_DONTNEED; }

static int prefetch(void *p, size_t n) {
  WIN32_MEMORY_RANGE_ENTRY r;
  r.VirtualAddress = p;
  r.NumberOfBytes = n;
  return PrefetchVirtualMemory(GetCurrentProcess(), 1, &r, 0) ? 0 : mb_w32err();
}

static int dontneed(mb_map *m, void *p, size_t n) {
  if (anonprivate(m)) {
    if (!VirtualFree(p, n, MEM_DECOMMIT) ||
        VirtualAlloc(p, n, MEM_COMMIT, PAGE_READWRITE) == NULL)
      return mb_w32err();
    return 0;
  }
  if (m->flags & MAP_PRIVATE) return ENOSYS;
  /* unlocking pages that are not locked takes them out of the working
  ** set, which is all it is asked for here: its error is the point */
  VirtualUnlock(p, n);
  return 0;
}

int mb_os_advise(mb_map *m, void *p, size_t n, int advice) {
  switch (advice) {
    case MADV_NORMAL: return 0;
    case MADV_WILLNEED: return prefetch(p, n);
    case MADV_DONTNEED: return dontneed(m, p, n);
    default: return ENOSYS;
  }
}
