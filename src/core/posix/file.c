/*
** file.c (POSIX) - the few file calls a map needs: open, size, set the
** size, duplicate, close.
*/
#include "os.h"
#include "internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int mb_os_open(const char *path, int mode, int *fd) {
  int oflags;
  switch (mode) {
    case MB_MODE_READ: case MB_MODE_COPY: oflags = O_RDONLY; break;
    case MB_MODE_UPDATE: oflags = O_RDWR; break;
    case MB_MODE_CREATE: oflags = O_RDWR | O_CREAT | O_TRUNC; break;
    default: return MB_E_MODE;
  }
  if ((*fd = open(path, oflags | O_CLOEXEC, 0666)) < 0) return mb_oserr();
  return 0;
}

int mb_os_fsize(int fd, uint64_t *size, int *regular) {
  struct stat st;
  if (fstat(fd, &st) != 0) return mb_oserr();
  *size = (uint64_t)st.st_size;
  if (regular != NULL) *regular = S_ISREG(st.st_mode) != 0;
  return 0;
}

int mb_os_setsize(int fd, uint64_t size) {
  return ftruncate(fd, (off_t)size) == 0 ? 0 : mb_oserr();
}

int mb_os_dup(int fd, int *out) {
  return (*out = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0 ? 0 : mb_oserr();
}

int mb_os_close(int fd) { return close(fd) == 0 ? 0 : mb_oserr(); }
