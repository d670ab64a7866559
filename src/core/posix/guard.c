/*
** guard.c (POSIX) - the truncation guard's fault handler: touching pages
** of a map that a shrunk file no longer backs raises SIGBUS.  The handler
** finds the map (mb_guard_owner), maps zero pages over the vanished part
** so the access finishes harmlessly, and tells the registry how much of
** the map the file still backs (mb_guard_caught).  Faults anywhere else
** go to the handler that was there before.
*/
#include "os.h"
#include "internal.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static struct sigaction previous;


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
  uintptr_t a = (uintptr_t)si->si_addr, ps = mb_os_pagesize();
  uintptr_t page = a & ~(ps - 1), base, end, from;
  size_t keep;
  mb_map *m = mb_guard_owner(a);
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
  mb_guard_caught(m, keep);
}

void mb_os_guard_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &previous);
}
