/*
** file.c (Win32) - the file calls a map needs, on C runtime descriptors
** (what a Lua file handle's fileno gives) over Win32 handles.  Files are
** opened sharing read, write and delete with everyone, as POSIX files
** are: another process may map, lock or remove the file meanwhile.
*/
#include "os.h"
#include "internal.h"
#include "w32.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>

int mb_os_open(const char *path, int mode, int *fd) {
  DWORD access = GENERIC_READ, how = OPEN_EXISTING;
  HANDLE h;
  int cfl = _O_BINARY | _O_NOINHERIT;
  switch (mode) {
    case MB_MODE_READ: case MB_MODE_COPY: cfl |= _O_RDONLY; break;
    case MB_MODE_UPDATE: access |= GENERIC_WRITE; cfl |= _O_RDWR; break;
    case MB_MODE_CREATE:
      access |= GENERIC_WRITE; how = CREATE_ALWAYS; cfl |= _O_RDWR; break;
    default: return MB_E_MODE;
  }
  /* the system's code page, as the Windows Lua's io.open takes paths */
  h = CreateFileA(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE |
                  FILE_SHARE_DELETE, NULL, how, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) return mb_w32err();
  if ((*fd = _open_osfhandle((intptr_t)h, cfl)) < 0) {
    CloseHandle(h);
    return EMFILE;
  }
  return 0;
}

int mb_os_fsize(int fd, uint64_t *size, int *regular) {
  HANDLE h = mb_w32handle(fd);
  LARGE_INTEGER n;
  DWORD type = GetFileType(h);
  if (regular != NULL) *regular = type == FILE_TYPE_DISK;
  if (type != FILE_TYPE_DISK) { *size = 0; return 0; }
  if (!GetFileSizeEx(h, &n)) return mb_w32err();
  *size = (uint64_t)n.QuadPart;
  return 0;
}

int mb_os_setsize(int fd, uint64_t size) {
  HANDLE h = mb_w32handle(fd);
  FILE_END_OF_FILE_INFO eof;
  eof.EndOfFile.QuadPart = (LONGLONG)size;
  /* no file pointer moved: the descriptor's position stays the caller's */
  if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof eof))
    return mb_w32err();
  return 0;
}

int mb_os_dup(int fd, int *out) {
  HANDLE h = mb_w32handle(fd), d;
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0,
                       FALSE, DUPLICATE_SAME_ACCESS))
    return mb_w32err();
  if ((*out = _open_osfhandle((intptr_t)d, _O_BINARY | _O_NOINHERIT)) < 0) {
    CloseHandle(d);
    return EMFILE;
  }
  return 0;
}

int mb_os_close(int fd) { return _close(fd) == 0 ? 0 : mb_oserr(); }
