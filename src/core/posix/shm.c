/*
** shm.c (POSIX) - named shared memory: shm_open objects, mapped with
** mb_mapfd's rules, kept by a descriptor of the map's own (for resize and
** locks).
*/
#include "os.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A zero-length map of the object: mb_mapfd, as Python, refuses empty
** files, but an empty shared memory object is a fine thing to attach to
** (and to resize later). */
static int emptymap(mb_map **out, int fd, int readonly) {
  mb_map *m = mb_newmap(MB_KIND_SHM);
  if (m == NULL) return ENOMEM;
  if ((m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
    int e = mb_oserr();
    free(m);
    return e;
  }
  m->access = readonly ? MB_ACCESS_READ : MB_ACCESS_WRITE;
  m->prot = readonly ? PROT_READ : PROT_READ | PROT_WRITE;
  m->flags = MAP_SHARED;
  *out = m;
  return 0;
}

int mb_shm(mb_map **out, const char *name, uint64_t size, int has_size,
           int flags) {
  int readonly = (flags & MB_SHM_RDONLY) != 0;
  int created = 0, fd = -1, rc;
  struct stat st;
  mb_map *m = NULL;
  if (readonly && has_size) return MB_E_SIZEMODE;
  if (has_size && size > (uint64_t)INT64_MAX) return MB_E_TOOBIG;
  if (has_size) {
    /* O_EXCL first, so we know whether the object is ours to remove if
    ** anything below fails */
    for (;;) {
      fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) { created = 1; break; }
      if (errno != EEXIST || (flags & MB_SHM_EXCL)) return mb_oserr();
      fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
      if (fd >= 0) break;
      if (errno != ENOENT) return mb_oserr();
      /* removed between the two calls: try to create it again */
    }
  } else {
    fd = shm_open(name, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
    if (fd < 0) return mb_oserr();
  }
  if (fstat(fd, &st) != 0) { rc = mb_oserr(); goto fail; }
  if (has_size && size > (uint64_t)st.st_size) {  /* extend, never shrink */
    if (ftruncate(fd, (off_t)size) != 0) { rc = mb_oserr(); goto fail; }
    st.st_size = (off_t)size;
  }
  if (st.st_size == 0) {
    rc = emptymap(&m, fd, readonly);
  } else {
    mb_mapopts o = MB_MAPOPTS_INIT;
    o.access = readonly ? MB_ACCESS_READ : MB_ACCESS_WRITE;
    rc = mb_mapfd(&m, fd, (uint64_t)st.st_size, &o);
  }
  if (rc != 0) goto fail;
  m->kind = MB_KIND_SHM;
  close(fd);  /* the map keeps its own duplicate, for resize and lock */
  *out = m;
  return 0;
fail:
  close(fd);
  if (created) shm_unlink(name);
  return rc;
}

int mb_shm_unlink(const char *name) {
  if (shm_unlink(name) != 0) return mb_oserr();
  return 0;
}
