/*
** map.c - the life cycle of a mapping: open, map a descriptor, anonymous
** and borrowed memory, resize, flush, advise, close.
*/
#include "mapbuf.h"
#include "internal.h"
#include "os.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RW (PROT_READ | PROT_WRITE)


int mb_version(void) { return MAPBUF_VERSION_NUMBER; }
const char *mb_versionstring(void) { return MAPBUF_VERSION; }

size_t mb_pagesize(void) { return mb_os_pagesize(); }
size_t mb_granularity(void) { return mb_os_granularity(); }


int mb_parsemode(const char *mode) {
  /* a trailing "b", as io.open allows, changes nothing */
  size_t n = strlen(mode);
  if (n > 0 && mode[n - 1] == 'b') n--;
  if (n == 1 && mode[0] == 'r') return MB_MODE_READ;
  if (n == 2 && mode[0] == 'r' && mode[1] == '+') return MB_MODE_UPDATE;
  if (n == 2 && mode[0] == 'w' && mode[1] == '+') return MB_MODE_CREATE;
  if (n == 1 && mode[0] == 'c') return MB_MODE_COPY;
  return MB_E_MODE;
}


mb_map *mb_newmap(int kind) {
  mb_map *m = calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  m->fd = -1;
  m->kind = kind;
  m->trackfd = 1;
  m->refs = 1;
  return m;
}

/* Map len bytes of fd (or anonymous memory) as m->flags and m->prot say.
** A zero length maps nothing: base stays NULL. */
static int domap(mb_map *m, size_t len, int fd, int populate) {
  void *p;
  int rc;
  if (len == 0) {
    m->base = NULL;
    m->len = m->valid = m->maplen = 0;
    return 0;
  }
  if (len > (size_t)PTRDIFF_MAX) return ENOMEM;
  if ((rc = mb_os_map(m, len, fd, populate, &p)) != 0) return rc;
  m->base = p;
  m->len = m->valid = m->maplen = len;
  mb_guard_track(m);
  return 0;
}

/* A growable map's file runs ahead of its length until the map is closed;
** a process that exits without closing it (os.exit in Lua does not close
** the state) still leaves each file exactly as long as its map. */
static void cutback(mb_map *m) {
  if (m->grow && !m->closed && m->fd >= 0 && m->valid >= m->len) {
    int rc = mb_os_setsize(m->fd, m->offset + m->len);
    (void)rc;
  }
}

static void cutall(void) { mb_guard_each(cutback); }

static pthread_once_t exitonce = PTHREAD_ONCE_INIT;
static void cutatexit(void) { atexit(cutall); }

/* Give up on a half-made map. */
static int fail(mb_map *m, int rc) {
  if (m->fd >= 0) mb_os_close(m->fd);
  mb_os_forget(m);
  free(m);
  return rc;
}


/* Can n bytes be one mapping here?  Lengths are size_t and positions
** ptrdiff_t, so on a 32-bit target a file of 2 GiB or more is mapped only
** through a window (offset, length), never whole and never cut short. */
static int mappable(uint64_t n) { return n <= (uint64_t)PTRDIFF_MAX; }

int mb_open(mb_map **out, const char *path, int mode, const mb_openopts *o) {
  static const mb_openopts none = MB_OPENOPTS_INIT;
  int rc;
  uint64_t fsize;
  size_t len;
  mb_map *m;
  if (o == NULL) o = &none;
  if (mode < MB_MODE_READ || mode > MB_MODE_COPY) return MB_E_MODE;
  if ((o->size > 0 || o->grow) && (mode == MB_MODE_READ || mode == MB_MODE_COPY))
    return MB_E_SIZEMODE;
  if (o->offset % mb_granularity() != 0) return MB_E_ALIGN;
  if (o->size > (uint64_t)INT64_MAX || o->offset > (uint64_t)INT64_MAX)
    return MB_E_TOOBIG;
  /* before the file is touched: a length this process could not map */
  if (!mappable(o->length) ||
      (o->length == 0 && o->size > o->offset && !mappable(o->size - o->offset)))
    return MB_E_TOOBIG;
  if ((m = mb_newmap(MB_KIND_FILE)) == NULL) return ENOMEM;
  if ((rc = mb_os_open(path, mode, &m->fd)) != 0) return fail(m, rc);
  if ((rc = mb_os_fsize(m->fd, &fsize, NULL)) != 0) return fail(m, rc);
  if (o->size > fsize) {  /* extend, never shrink */
    if ((rc = mb_os_setsize(m->fd, o->size)) != 0) return fail(m, rc);
    fsize = o->size;
  }
  if (o->offset > fsize) return fail(m, MB_E_OFFSET);
  if (o->length == 0 && !mappable(fsize - o->offset)) return fail(m, MB_E_TOOBIG);
  if (o->length == 0) len = (size_t)(fsize - o->offset);
  else if (o->length > fsize - o->offset) return fail(m, MB_E_LENGTH);
  else len = (size_t)o->length;
  m->offset = o->offset;
  if (mode == MB_MODE_READ) {
    m->access = MB_ACCESS_READ; m->prot = PROT_READ; m->flags = MAP_SHARED;
  } else if (mode == MB_MODE_COPY) {
    m->access = MB_ACCESS_COPY; m->prot = RW; m->flags = MAP_PRIVATE;
  } else {
    m->access = MB_ACCESS_WRITE; m->prot = RW; m->flags = MAP_SHARED;
  }
  if ((rc = domap(m, len, m->fd, o->populate)) != 0) return fail(m, rc);
  m->grow = o->grow != 0;
  if (m->grow) pthread_once(&exitonce, cutatexit);
  *out = m;
  return 0;
}


/* prot: readable always (PROT_NONE faults at the first touch, and
** write-only is not a thing every CPU can do), writable and executable
** at will, nothing else (PROT_GROWSDOWN and the like). */
static int checkprot(int prot) {
  if (!(prot & PROT_READ)) return MB_E_PROT;
  return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0 ? MB_E_PROT : 0;
}

/* Python's rules: access excludes flags and prot; otherwise prot decides
** whether the map may be written. */
static int pyaccess(const mb_mapopts *o, int *access, int *flags, int *prot) {
  int rc;
  /* zero (or -1) is "not given": a zeroed struct is the default */
  *access = o->access;
  *flags = o->flags <= 0 ? MAP_SHARED : o->flags;
  *prot = o->prot <= 0 ? RW : o->prot;
  if (*access < MB_ACCESS_DEFAULT || *access > MB_ACCESS_COPY)
    return MB_E_ACCESS;
  if (*access != MB_ACCESS_DEFAULT && (*flags != MAP_SHARED || *prot != RW))
    return MB_E_BOTH;
  if ((rc = mb_os_mapflags(flags)) != 0 || (rc = checkprot(*prot)) != 0)
    return rc;
  switch (*access) {
    case MB_ACCESS_READ: *flags = MAP_SHARED; *prot = PROT_READ; break;
    case MB_ACCESS_WRITE: *flags = MAP_SHARED; *prot = RW; break;
    case MB_ACCESS_COPY: *flags = MAP_PRIVATE; *prot = RW; break;
    default:
      if (!((*prot & PROT_READ) && (*prot & PROT_WRITE)))
        *access = (*prot & PROT_WRITE) ? MB_ACCESS_WRITE : MB_ACCESS_READ;
  }
  return 0;
}

/* Python checks a regular file's size before mapping it. */
static int pysize(int fd, uint64_t offset, uint64_t *length) {
  uint64_t fsize;
  int regular;
  if (mb_os_fsize(fd, &fsize, &regular) != 0 || !regular) return 0;
  if (*length == 0) {
    if (fsize == 0) return MB_E_EMPTY;
    if (offset >= fsize) return MB_E_OFFSET;
    *length = fsize - offset;
  } else if (offset > fsize || fsize - offset < *length) {
    return MB_E_LENGTH;
  }
  return 0;
}

int mb_mapfd(mb_map **out, int fd, uint64_t length, const mb_mapopts *o) {
  static const mb_mapopts none = MB_MAPOPTS_INIT;
  int access, flags, prot, rc;
  mb_map *m;
  mb_mapopts own;
  if (o == NULL) o = &none;
  if (fd < 0 && o->flags > 0) {   /* anonymous: MAP_ANONYMOUS may be said */
    own = *o;
    own.flags &= ~MAP_ANONYMOUS;
    o = &own;
  }
  if ((rc = pyaccess(o, &access, &flags, &prot)) != 0) return rc;
  if (o->offset % mb_granularity() != 0) return MB_E_ALIGN;
  if (o->offset > (uint64_t)INT64_MAX) return MB_E_TOOBIG;
  if (fd >= 0 && (rc = pysize(fd, o->offset, &length)) != 0) return rc;
  if (length == 0) return EINVAL;  /* mmap's own answer, as in Python */
  if (length > (uint64_t)PTRDIFF_MAX) return ENOMEM;
  if ((m = mb_newmap(fd < 0 ? MB_KIND_ANON : MB_KIND_FILE)) == NULL) return ENOMEM;
  if (fd < 0) {
    flags |= MAP_ANONYMOUS;
  } else if (!o->untracked) {
    if ((rc = mb_os_dup(fd, &m->fd)) != 0) return fail(m, rc);
  } else {
    m->trackfd = 0;
  }
  m->access = access;
  m->flags = flags;
  m->prot = prot;
  m->offset = fd < 0 ? 0 : o->offset;
  if (o->tagname != NULL && (rc = mb_os_tagname(m, fd, o->tagname)) != 0)
    return fail(m, rc);
  if ((rc = domap(m, (size_t)length, fd, o->populate)) != 0) return fail(m, rc);
  *out = m;
  return 0;
}


int mb_anon(mb_map **out, size_t size, int private_) {
  int rc;
  mb_map *m = mb_newmap(MB_KIND_ANON);
  if (m == NULL) return ENOMEM;
  m->access = MB_ACCESS_WRITE;
  m->prot = RW;
  m->flags = MAP_ANONYMOUS | (private_ ? MAP_PRIVATE : MAP_SHARED);
  if ((rc = domap(m, size, -1, 0)) != 0) return fail(m, rc);
  *out = m;
  return 0;
}


int mb_wrap(mb_map **out, void *p, size_t len, int writable,
            mb_release_fn release, void *ud) {
  mb_map *m;
  if (p == NULL && len > 0) return MB_E_RANGE;
  if (len > (size_t)PTRDIFF_MAX) return MB_E_TOOBIG;   /* Lua positions */
  if ((m = mb_newmap(MB_KIND_HOST)) == NULL) return ENOMEM;
  m->base = p;  /* kept even for len 0: release gets back what was lent */
  m->len = m->valid = m->maplen = len;
  m->access = writable ? MB_ACCESS_WRITE : MB_ACCESS_READ;
  m->prot = writable ? RW : PROT_READ;
  m->release = release;
  m->release_ud = ud;
  *out = m;
  return 0;
}


/* Why m may not change its length, or 0. */
static int noresize(const mb_map *m, size_t n) {
  if (m->closed) return MB_E_CLOSED;
  if (m->kind == MB_KIND_HOST) return MB_E_BORROWED;
  if (m->access == MB_ACCESS_READ || m->access == MB_ACCESS_COPY)
    return MB_E_NORESIZE;
  if (m->kind != MB_KIND_ANON && m->fd < 0) return MB_E_UNTRACKED;
  if (m->kind == MB_KIND_ANON && !(m->flags & MAP_PRIVATE) && n > m->len)
    return MB_E_GROWSHARED;  /* its shmem object cannot grow under it */
  if (n > (size_t)PTRDIFF_MAX || (uint64_t)n > (uint64_t)INT64_MAX - m->offset)
    return MB_E_TOOBIG;
  return 0;
}

/* Move the mapping to n bytes, in place or elsewhere (mremap may move). */
static int remap(mb_map *m, size_t n) {
  int rc;
  if (m->maplen == 0) return domap(m, n, m->fd, 0);
  /* after a caught truncation the map is several mappings, and the zero
  ** pages hold nothing of the file: start afresh */
  if (n == 0 || m->valid < m->len) {
    mb_guard_forget(m);
    if ((rc = mb_os_unmap(m)) != 0) {
      mb_guard_track(m);
      return rc;
    }
    m->base = NULL;
    m->len = m->valid = m->maplen = 0;
    /* the file takes its new size while nothing maps it: Windows cuts no
    ** file under a view (mb_resize would set the same size after) */
    if (m->fd >= 0 && (rc = mb_os_setsize(m->fd, m->offset + n)) != 0) return rc;
    return domap(m, n, m->fd, 0);
  }
  /* unregistered while it moves: a fault elsewhere in the old range
  ** must not be taken for this map's */
  mb_guard_forget(m);
  rc = mb_os_remap(m, n);
  mb_guard_track(m);  /* the range moved or changed length */
  return rc;
}

/* Map at least need bytes of a growable map, capacity ahead of it. */
static int growcap(mb_map *m, size_t need) {
  size_t ps = mb_pagesize(), cap = m->maplen, len = m->len;
  uint64_t had;
  int rc;
  if (need <= cap) return 0;
  cap = cap > (size_t)PTRDIFF_MAX / 2 ? need : 2 * cap;
  if (cap < need) cap = need;
  if (cap < ((size_t)64 << 10)) cap = (size_t)64 << 10;
  if (cap > (size_t)PTRDIFF_MAX - ps) return MB_E_TOOBIG;
  cap = (cap + ps - 1) & ~(ps - 1);
  if ((uint64_t)cap > (uint64_t)INT64_MAX - m->offset) return MB_E_TOOBIG;
  if ((rc = mb_os_fsize(m->fd, &had, NULL)) != 0) return rc;
  if ((rc = mb_os_setsize(m->fd, m->offset + cap)) != 0) return rc;
  if ((rc = remap(m, cap)) != 0) {
    int keep = mb_os_setsize(m->fd, had);   /* as it was */
    (void)keep;
    return rc;
  }
  m->len = m->valid = len;   /* remap made them the capacity */
  return 0;
}

int mb_grow(mb_map *m, size_t need) {
  int rc;
  if (m->closed) return MB_E_CLOSED;
  if (!m->grow) return MB_E_NOGROW;
  if (need <= m->len) return 0;
  if (m->valid < m->len) return MB_E_TRUNCATED;
  if (need > (size_t)PTRDIFF_MAX) return MB_E_TOOBIG;
  if ((rc = growcap(m, need)) != 0) return rc;
  m->len = m->valid = need;
  return 0;
}

int mb_resize(mb_map *m, size_t n) {
  uint64_t had = 0;
  size_t was;
  int keep = 0, rc = noresize(m, n);
  if (rc != 0) return rc;
  if (m->grow) {   /* the file follows len when the map is closed */
    if (m->valid < m->len) return MB_E_TRUNCATED;
    if (n < m->len) {
      /* what is cut off is gone, as from a file: cut the file to n and
      ** let it run ahead again, as holes (zeros) */
      if ((rc = mb_os_setsize(m->fd, m->offset + n)) != 0 ||
          (rc = mb_os_setsize(m->fd, m->offset + m->maplen)) != 0)
        return rc;
    } else if ((rc = growcap(m, n)) != 0) {
      return rc;
    }
    m->len = m->valid = n;
    return 0;
  }
  if (m->fd >= 0) {
    if ((rc = mb_os_fsize(m->fd, &had, NULL)) != 0) return rc;
    /* the file grows before its map and shrinks after it: Windows cuts no
    ** file under a live view (POSIX does not mind either order) */
    if (m->offset + n > had && (rc = mb_os_setsize(m->fd, m->offset + n)) != 0)
      return rc;
  }
  was = m->len;
  if ((rc = remap(m, n)) != 0) {
    /* put the file back as it was, so a failed resize loses nothing */
    if (m->fd >= 0) keep = mb_os_setsize(m->fd, had);
    (void)keep;
    return rc;
  }
  if (m->fd >= 0 && m->offset + n < had &&
      (rc = mb_os_setsize(m->fd, m->offset + n)) != 0) {
    keep = remap(m, was);   /* the file still holds those bytes */
    (void)keep;
  }
  return rc;
}


int mb_flush(mb_map *m, size_t off, size_t n, int flags) {
  size_t a;
  if (m->closed) return MB_E_CLOSED;
  if (off > m->len || n > m->len - off) return MB_E_RANGE;
  /* nothing of a read-only, copy or borrowed map can reach a file */
  if (n == 0 || m->access == MB_ACCESS_READ || m->access == MB_ACCESS_COPY ||
      m->kind == MB_KIND_HOST)
    return 0;
  a = off & ~(mb_pagesize() - 1);  /* base is page-aligned */
  return mb_os_sync(m, m->base + a, off + n - a, flags);
}


/* The tables are the platform's (os.h): only what is in them passes. */
static int known(int advice) {
  size_t i, n;
  const mb_os_name *t = mb_os_advices(&n);
  for (i = 0; i < n; i++)
    if (t[i].value == advice) return 1;
  return 0;
}

int mb_advice(const char *name) {
  size_t i, n;
  const mb_os_name *t = mb_os_advices(&n);
  for (i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0) return t[i].value;
  return MB_E_ADVICE;
}

/* i-th entry of a table, or NULL past its end. */
static const mb_os_name *nth(const mb_os_name *t, size_t n, int i) {
  return i < 0 || (size_t)i >= n ? NULL : &t[i];
}

const char *mb_advicename(int i) {
  size_t n;
  const mb_os_name *t = mb_os_advices(&n), *e = nth(t, n, i);
  return e != NULL ? e->name : NULL;
}

const char *mb_mapflag(int i, int *value) {
  size_t n;
  const mb_os_name *t = mb_os_flagnames(&n), *e = nth(t, n, i);
  if (e == NULL) return NULL;
  *value = e->value;
  return e->name;
}

int mb_advise(mb_map *m, size_t off, size_t n, int advice) {
  size_t ps = mb_pagesize(), a, e;
  if (m->closed) return MB_E_CLOSED;
  if (!known(advice)) return MB_E_ADVICE;
  if (off >= m->len) return MB_E_RANGE;
  if (n > m->len - off) n = m->len - off;
  if (m->kind == MB_KIND_HOST) return 0;  /* not our memory to advise on */
  e = off + n;
  if (mb_os_destroys(advice)) {  /* shrink to the whole pages inside the range */
    a = (off + ps - 1) & ~(ps - 1);
    /* the map's last page is all ours: bytes past len are not the file's */
    e = e == m->len ? (e + ps - 1) & ~(ps - 1) : e & ~(ps - 1);
    if (a >= e) return 0;
  } else {  /* widen to the pages that hold the range */
    a = off & ~(ps - 1);
    e = (e + ps - 1) & ~(ps - 1);
  }
  return mb_os_advise(m, m->base + a, e - a, advice);
}


int mb_filesize(mb_map *m, uint64_t *size) {
  if (m->closed) return MB_E_CLOSED;
  if (m->kind == MB_KIND_ANON || m->kind == MB_KIND_HOST) {
    *size = m->len;
    return 0;
  }
  if (m->fd < 0) return MB_E_UNTRACKED;
  if (m->grow) {   /* what the file will be: it runs ahead until closed */
    *size = m->offset + m->len;
    return 0;
  }
  return mb_os_fsize(m->fd, size, NULL);
}


int mb_close(mb_map *m) {
  int rc = 0, e;
  if (m->closed) return 0;
  m->closed = 1;
  if (m->kind == MB_KIND_HOST) {
    if (m->release) m->release(m->release_ud, m->base, m->len);
  } else if (m->base != NULL) {
    mb_guard_forget(m);
    rc = mb_os_unmap(m);
  }
  /* a growable map's file ran ahead of it: exactly len bytes now */
  if (m->grow && m->fd >= 0 && m->valid >= m->len &&
      (e = mb_os_setsize(m->fd, m->offset + m->len)) != 0 && rc == 0)
    rc = e;
  if (m->fd >= 0 && (e = mb_os_close(m->fd)) != 0 && rc == 0) rc = e;
  mb_os_forget(m);
  m->fd = -1;
  m->base = NULL;
  m->len = m->valid = m->maplen = 0;
  return rc;
}

void mb_free(mb_map *m) {
  if (m == NULL) return;
  mb_close(m);
  free(m);
}

void mb_retain(mb_map *m) { m->refs++; }

void mb_release(mb_map *m) {
  if (m != NULL && --m->refs == 0) mb_free(m);
}


const char *mb_strerror(int code) {
  switch (code) {
    case 0: return "success";
    case MB_E_CLOSED: return "map is closed";
    case MB_E_RANGE: return "out of range";
    case MB_E_READONLY: return "map is read-only";
    case MB_E_EMPTY: return "cannot map an empty file";
    case MB_E_LENGTH: return "length is greater than file size";
    case MB_E_OFFSET: return "offset is greater than file size";
    case MB_E_ALIGN:
      return "offset is not a multiple of ALLOCATIONGRANULARITY";
    case MB_E_BOTH: return "cannot specify both access and flags, prot";
    case MB_E_ACCESS: return "invalid access";
    case MB_E_NORESIZE:
      return "cannot resize a read-only or copy-on-write map";
    case MB_E_GROWSHARED: return "cannot grow a shared anonymous map";
    case MB_E_UNTRACKED: return "file descriptor is not tracked";
    case MB_E_BORROWED: return "cannot resize borrowed memory";
    case MB_E_TRUNCATED: return "file was truncated under the map";
    case MB_E_MISALIGNED: return "misaligned position";
    case MB_E_NEEDSIZE: return "mode \"w+\" needs a size";
    case MB_E_MODE: return "invalid mode";
    case MB_E_SIZEMODE: return "size needs mode \"r+\" or \"w+\"";
    case MB_E_NOFILE: return "no file or shared memory behind the map";
    case MB_E_BITS: return "bits must be 32 or 64";
    case MB_E_TOOBIG: return "size is too large to map";
    case MB_E_ADVICE: return "invalid advice";
    case MB_E_FLAGS: return "unsupported flags";
    case MB_E_PROT: return "unsupported prot";
    case MB_E_PATTERN: return "malformed pattern";
    case MB_E_ELEM: return "invalid element type";
    case MB_E_OVERFLOW: return "integer overflow";
    case MB_E_UOVERFLOW: return "unsigned overflow";
    case MB_E_NOGROW: return "map is not growable";
    case MB_E_NOTINT: return "number has no integer representation";
    case MB_E_NOTOWNER: return "mutex is not held by this process";
    case MB_E_DEADLOCK: return "mutex is already held by this process";
    case MB_E_NORING: return "not a ring";
    case MB_E_RINGVERSION: return "unsupported ring version";
    case MB_E_CORRUPT: return "corrupted ring";
    case MB_E_LIVERING: return "the map holds a live ring";
    case MB_E_RINGFIT: return "ring capacity does not fit the map";
    case MB_E_TOOLONG: return "message longer than the ring";
    case MB_E_PRODUCER: return "the ring already has a live producer";
    case MB_E_CONSUMER: return "the ring already has a live consumer";
    case MB_E_NOSLOT: return "all 64 peers of that role are live";
    case MB_E_RINGCAP: return "the ring has another capacity";
    case MB_E_RINGMODE: return "the ring has another mode";
    case MB_E_FORKED: return "ring object belongs to the parent process";
    case MB_E_FORMATTING: return "another process is formatting the ring";
    case MB_E_TAGNAME: return "tagname needs a file outside Windows";
    default: return code > 0 ? strerror(code) : "unknown error";
  }
}
