/*
** error.c (Win32) - Windows error codes as errno values, so callers see
** the same ENOENT, EACCES, ENOMEM as on POSIX (the binding's nil, message,
** errno; mb_strerror's text).
*/
#include "w32.h"

#include <errno.h>
#include <io.h>

int mb_w32err(void) {
  switch (GetLastError()) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME: case ERROR_BAD_NETPATH: return ENOENT;
    case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION:
    case ERROR_WRITE_PROTECT: return EACCES;
    case ERROR_INVALID_HANDLE: return EBADF;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT: return ENOMEM;
    case ERROR_FILE_EXISTS: case ERROR_ALREADY_EXISTS: return EEXIST;
    case ERROR_INVALID_PARAMETER: return EINVAL;
    case ERROR_LOCK_VIOLATION: case ERROR_IO_PENDING: return EAGAIN;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: return ENOSPC;
    case ERROR_USER_MAPPED_FILE: return EBUSY;
    case ERROR_NOT_SUPPORTED: case ERROR_CALL_NOT_IMPLEMENTED: return ENOSYS;
    default: return EIO;
  }
}

HANDLE mb_w32handle(int fd) {
  return fd < 0 ? INVALID_HANDLE_VALUE : (HANDLE)_get_osfhandle(fd);
}
