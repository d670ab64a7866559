/*
** shm.c (Win32) - named shared memory as named sections of the paging
** file ("Local\mapbuf" followed by the name).  What differs from POSIX:
** a section has the size it was made with (it cannot be extended, so
** asking an existing one for more is EINVAL, and it cannot be empty), it has no descriptor (no
** resize, no size(), no locks: MB_E_UNTRACKED), and its name lasts as
** long as some process has it open (each map holds the section's handle):
** there is nothing to unlink (ENOSYS).
*/
#include "os.h"
#include "internal.h"
#include "w32.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int objname(char *buf, size_t n, const char *name) {
  int k = snprintf(buf, n, "Local\\mapbuf%s", name);
  return k > 0 && (size_t)k < n ? 0 : ENAMETOOLONG;
}

/* The bytes a view of the whole section spans (whole pages). */
static size_t spans(void *p) {
  MEMORY_BASIC_INFORMATION mi;
  return VirtualQuery(p, &mi, sizeof mi) ? mi.RegionSize : 0;
}

static int section(HANDLE *s, const char *name, uint64_t size, int has_size,
                   int flags, int *existed) {
  *existed = 1;
  if (!has_size) {
    DWORD a = (flags & MB_SHM_RDONLY) ? FILE_MAP_READ : FILE_MAP_WRITE;
    if ((*s = OpenFileMappingA(a, FALSE, name)) == NULL) return mb_w32err();
    return 0;
  }
  *s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                          (DWORD)(size >> 32), (DWORD)size, name);
  if (*s == NULL) return mb_w32err();
  *existed = GetLastError() == ERROR_ALREADY_EXISTS;
  if (*existed && (flags & MB_SHM_EXCL)) {
    CloseHandle(*s);
    return EEXIST;
  }
  return 0;
}

int mb_shm(mb_map **out, const char *name, uint64_t size, int has_size,
           int flags) {
  char full[300];
  int readonly = (flags & MB_SHM_RDONLY) != 0, existed, rc;
  HANDLE s;
  void *p;
  mb_map *m = NULL;
  if (readonly && has_size) return MB_E_SIZEMODE;
  if (has_size && size > (uint64_t)PTRDIFF_MAX) return MB_E_TOOBIG;
  if (has_size && size == 0) return EINVAL;   /* a section is never empty */
  if ((rc = objname(full, sizeof full, name)) != 0) return rc;
  if ((rc = section(&s, full, size, has_size, flags, &existed)) != 0) return rc;
  p = MapViewOfFile(s, readonly ? FILE_MAP_READ : FILE_MAP_WRITE, 0, 0, 0);
  rc = p == NULL ? mb_w32err() : 0;
  if (rc == 0 && existed && has_size && spans(p) < size) rc = EINVAL;  /* no growing */
  if (rc == 0 && (m = mb_newmap(MB_KIND_SHM)) == NULL) rc = ENOMEM;
  if (rc != 0) {
    if (p != NULL) UnmapViewOfFile(p);
    CloseHandle(s);
    return rc;
  }
  if ((rc = mb_os_tagname(m, -1, "")) != 0) {
    mb_free(m);
    UnmapViewOfFile(p);
    CloseHandle(s);
    return rc;
  }
  ((mb_w32section *)m->section)->h = s;   /* the name lives while a handle does */
  m->access = readonly ? MB_ACCESS_READ : MB_ACCESS_WRITE;
  m->prot = readonly ? PROT_READ : PROT_READ | PROT_WRITE;
  m->flags = MAP_SHARED;
  m->base = p;
  m->len = m->valid = m->maplen = existed ? spans(p) : (size_t)size;
  mb_guard_track(m);
  *out = m;
  return 0;
}

int mb_shm_unlink(const char *name) {
  (void)name;
  return ENOSYS;
}
