/*
** w32.h - shared by the Win32 backend's files only: windows.h, the handle
** behind a C runtime descriptor, and GetLastError as an errno.
*/
#ifndef MAPBUF_W32_H
#define MAPBUF_W32_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

/* What m->section points at: a named section's handle, held while the
** map is mapped so the name stays (a name lives only while some handle
** does), and the name, to make the section again after a resize. */
typedef struct mb_w32section {
  HANDLE h;              /* NULL while unmapped */
  char name[];
} mb_w32section;

/* The errno closest to GetLastError() (never 0). */
int mb_w32err(void);
/* The file handle behind descriptor fd, or INVALID_HANDLE_VALUE. */
HANDLE mb_w32handle(int fd);

#endif
