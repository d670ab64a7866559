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

/* The errno closest to GetLastError() (never 0). */
int mb_w32err(void);
/* The file handle behind descriptor fd, or INVALID_HANDLE_VALUE. */
HANDLE mb_w32handle(int fd);

#endif
