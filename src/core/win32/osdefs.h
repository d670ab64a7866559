/*
** osdefs.h (Win32) - the constants the public API is phrased in.  Windows
** has no sys/mman.h; these are mapbuf's own numbers for the same names
** (the values Linux uses, so a script that prints them reads the same),
** and the backend turns them into PAGE_* / FILE_MAP_* itself.  Not
** installed.
*/
#ifndef MAPBUF_OSDEFS_H
#define MAPBUF_OSDEFS_H

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

/* advice: what Windows can do with each is in win32/map.c */
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4

/* glibc's memmem, which search.c uses, is not in Windows' C runtime:
** win32/string.c has it */
#include <stddef.h>
void *memmem(const void *h, size_t hn, const void *n, size_t nn);

#endif
