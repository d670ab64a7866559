/* internal.h - shared by the core's files only; not installed. */
#ifndef MAPBUF_INTERNAL_H
#define MAPBUF_INTERNAL_H

#include "mapbuf.h"

/* guard.c: register a file or shared memory map's range after it was
** mapped or moved; forget it before it is unmapped or moved. */
void mb_guard_track(mb_map *m);
void mb_guard_forget(mb_map *m);

#endif
