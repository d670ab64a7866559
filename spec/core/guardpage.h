/* guardpage.h - for the C tests: one readable page followed by one that
** cannot be touched, so a byte read past the end of a subject is a crash,
** not a silent zero.  POSIX mmap/mprotect, or Win32 VirtualAlloc with
** PAGE_NOACCESS.  guardpage_new gives the readable page (NULL on failure)
** and its size; guardpage_free takes it back. */
#ifndef GUARDPAGE_H
#define GUARDPAGE_H

#include <stddef.h>

#ifdef _WIN32
#include <windows.h>

static unsigned char *guardpage_new(size_t *pg) {
  SYSTEM_INFO si;
  unsigned char *m;
  DWORD old;
  GetSystemInfo(&si);
  *pg = si.dwPageSize;
  m = VirtualAlloc(NULL, *pg * 2, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  if (m == NULL) return NULL;
  if (!VirtualProtect(m + *pg, *pg, PAGE_NOACCESS, &old)) {
    VirtualFree(m, 0, MEM_RELEASE);
    return NULL;
  }
  return m;
}

static void guardpage_free(unsigned char *m, size_t pg) {
  (void)pg;
  VirtualFree(m, 0, MEM_RELEASE);
}
#else
#include <sys/mman.h>
#include <unistd.h>

static unsigned char *guardpage_new(size_t *pg) {
  unsigned char *m;
  *pg = (size_t)sysconf(_SC_PAGESIZE);
  m = mmap(NULL, *pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  if (mprotect(m + *pg, *pg, PROT_NONE) != 0) {
    munmap(m, *pg * 2);
    return NULL;
  }
  return m;
}

static void guardpage_free(unsigned char *m, size_t pg) { munmap(m, pg * 2); }
#endif

#endif
