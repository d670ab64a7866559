/* internal.h - shared by the core's files only; not installed. */
#ifndef MAPBUF_INTERNAL_H
#define MAPBUF_INTERNAL_H

#include <errno.h>
#include <stdint.h>

#include "mapbuf.h"

/* guard.c: register a guarded map's range after it was mapped or moved;
** forget it before it is unmapped or moved. */
void mb_guard_track(mb_map *m);
void mb_guard_forget(mb_map *m);
/* For the platform's fault handler (async-signal-safe): the map holding
** address a, or NULL; and, once it made the fault harmless, how many
** bytes of m the file still backs. */
mb_map *mb_guard_owner(uintptr_t a);
void mb_guard_caught(mb_map *m, size_t keep);
/* Call fn on every map in the registry (at exit: nothing else runs). */
void mb_guard_each(void (*fn)(mb_map *m));

/* map.c: a new, empty map of this kind (one reference, no descriptor). */
mb_map *mb_newmap(int kind);

/* After touching bytes off .. off+n-1 of m: 0, or MB_E_TRUNCATED when the
** file was cut under them meanwhile (what was read may be zeros, what was
** written may be lost).  The one spelling of that check in the core. */
static inline int mb_touched(const mb_map *m, size_t off, size_t n) {
  return mb_intact(m, off, n) ? 0 : MB_E_TRUNCATED;
}

/* errno after a failed call, never 0: a call that failed without saying
** why must still read as a failure to the caller. */
static inline int mb_oserr(void) { return errno != 0 ? errno : EIO; }

#endif
