/*
** osdefs.h (POSIX) - the constants the public API is phrased in (PROT_*,
** MAP_*, MS_*, MADV_*) are the system's own here.  win32/osdefs.h gives
** the same names on Windows.  Not installed.
*/
#ifndef MAPBUF_OSDEFS_H
#define MAPBUF_OSDEFS_H

#include <sys/mman.h>

#endif
