/*
** guard.c (Win32) - the truncation guard's fault handler.  Windows cuts
** no file under a live view, but a view of a file on a network or
** removable volume faults with EXCEPTION_IN_PAGE_ERROR when the read
** behind it fails.  A vectored handler finds the map (mb_guard_owner),
** puts zeroed private memory where its view was, so the access finishes,
** and marks the whole map as no longer backed (mb_guard_caught with 0):
** a view cannot be unmapped in part, so no byte of it is vouched for.
*/
#include "os.h"
#include "internal.h"
#include "w32.h"

static LONG CALLBACK onfault(EXCEPTION_POINTERS *x) {
  EXCEPTION_RECORD *r = x->ExceptionRecord;
  uintptr_t a;
  mb_map *m;
  size_t ps = mb_os_pagesize(), len;
  if (r->ExceptionCode != EXCEPTION_IN_PAGE_ERROR || r->NumberParameters < 2)
    return EXCEPTION_CONTINUE_SEARCH;
  a = (uintptr_t)r->ExceptionInformation[1];
  if ((m = mb_guard_owner(a)) == NULL || m->base == NULL)
    return EXCEPTION_CONTINUE_SEARCH;
  len = (m->maplen + ps - 1) & ~(ps - 1);
  /* views start at the allocation granularity, so the range can be
  ** reserved again at once (nothing else in the process maps there in
  ** between unless another thread maps at that very moment: then the
  ** fault goes on to the next handler) */
  if (!UnmapViewOfFile(m->base) ||
      VirtualAlloc(m->base, len, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL)
    return EXCEPTION_CONTINUE_SEARCH;
  mb_guard_caught(m, 0);
  return EXCEPTION_CONTINUE_EXECUTION;
}

void mb_os_guard_install(void) { AddVectoredExceptionHandler(1, onfault); }
