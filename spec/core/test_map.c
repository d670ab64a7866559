/* test_map.c - the core's life cycle: open, map, resize, flush, advise, close. */
#include "mapbuf.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/mapbuf-core.XXXXXX";

static const char *path(const char *name) {
  static char buf[256];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

static void writefile(const char *p, const char *s, size_t n) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, s, n) != (ssize_t)n) abort();
  close(fd);
}

static long long filesize(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void test_modes(void) {
  mb_map *m = NULL;
  mb_openopts o = MB_OPENOPTS_INIT;
  writefile(path("a"), "hello world", 11);

  CHECK_RC(mb_open(&m, path("a"), MB_MODE_READ, NULL), 0);
  CHECK(m->len == 11 && memcmp(m->base, "hello world", 11) == 0);
  CHECK(!mb_writable(m) && m->access == MB_ACCESS_READ);
  mb_free(m);

  CHECK_RC(mb_open(&m, path("a"), MB_MODE_UPDATE, NULL), 0);
  CHECK(mb_writable(m));
  m->base[0] = 'J';
  mb_free(m);
  CHECK_RC(mb_open(&m, path("a"), MB_MODE_COPY, NULL), 0);
  CHECK(m->base[0] == 'J');  /* r+ reached the file */
  m->base[0] = 'X';          /* copy-on-write never does */
  CHECK(mb_writable(m) && m->access == MB_ACCESS_COPY);
  mb_free(m);
  CHECK_RC(mb_open(&m, path("a"), MB_MODE_READ, NULL), 0);
  CHECK(m->base[0] == 'J');
  mb_free(m);

  o.size = 8192;
  CHECK_RC(mb_open(&m, path("new"), MB_MODE_CREATE, &o), 0);
  CHECK(m->len == 8192 && filesize(path("new")) == 8192 && m->base[100] == 0);
  mb_free(m);
  CHECK_RC(mb_open(&m, path("a"), MB_MODE_READ, &o), MB_E_SIZEMODE);
  CHECK_RC(mb_open(&m, path("missing"), MB_MODE_READ, NULL), ENOENT);
  CHECK_RC(mb_open(&m, path("a"), MB_E_MODE, NULL), MB_E_MODE);

  CHECK(mb_parsemode("r") == MB_MODE_READ && mb_parsemode("r+b") == MB_MODE_UPDATE);
  CHECK(mb_parsemode("w+") == MB_MODE_CREATE && mb_parsemode("c") == MB_MODE_COPY);
  CHECK(mb_parsemode("w") == MB_E_MODE && mb_parsemode("") == MB_E_MODE);
}

static void test_empty_and_ranges(void) {
  mb_map *m = NULL;
  mb_openopts o = MB_OPENOPTS_INIT;
  writefile(path("empty"), "", 0);
  CHECK_RC(mb_open(&m, path("empty"), MB_MODE_READ, NULL), 0);
  CHECK(m->len == 0 && m->base == NULL);
  mb_free(m);

  writefile(path("b"), "0123456789", 10);
  o.offset = 100;
  CHECK_RC(mb_open(&m, path("b"), MB_MODE_READ, &o), MB_E_ALIGN);
  o.offset = 8192;
  CHECK_RC(mb_open(&m, path("b"), MB_MODE_READ, &o), MB_E_OFFSET);
  o.offset = 0; o.length = 11;
  CHECK_RC(mb_open(&m, path("b"), MB_MODE_READ, &o), MB_E_LENGTH);
  o.length = 4;
  CHECK_RC(mb_open(&m, path("b"), MB_MODE_READ, &o), 0);
  CHECK(m->len == 4);
  mb_free(m);

  /* a map at an offset sees the file from there */
  o.length = 0; o.size = 8192 + 5; o.offset = 0;
  CHECK_RC(mb_open(&m, path("b"), MB_MODE_UPDATE, &o), 0);
  memcpy(m->base + 8192, "tail!", 5);
  mb_free(m);
  o.size = 0; o.offset = 8192;
  CHECK_RC(mb_open(&m, path("b"), MB_MODE_READ, &o), 0);
  CHECK(m->len == 5 && memcmp(m->base, "tail!", 5) == 0 && m->offset == 8192);
  mb_free(m);
}

static void test_mapfd(void) {
  mb_map *m = NULL;
  mb_mapopts o = MB_MAPOPTS_INIT;
  int fd;
  writefile(path("c"), "abcdef", 6);
  fd = open(path("c"), O_RDWR);

  CHECK_RC(mb_mapfd(&m, fd, 0, &o), 0);  /* 0: the whole file */
  CHECK(m->len == 6 && m->access == MB_ACCESS_DEFAULT && mb_writable(m));
  CHECK(m->fd >= 0 && m->fd != fd);      /* a dup of its own */
  mb_free(m);
  CHECK_RC(mb_mapfd(&m, fd, 7, &o), MB_E_LENGTH);

  o.access = MB_ACCESS_READ; o.prot = PROT_READ;
  CHECK_RC(mb_mapfd(&m, fd, 0, &o), MB_E_BOTH);
  o.prot = -1; o.flags = MAP_SHARED;  /* the default value is no conflict */
  CHECK_RC(mb_mapfd(&m, fd, 0, &o), 0);
  CHECK(!mb_writable(m));
  mb_free(m);
  o.access = 7; o.flags = -1;
  CHECK_RC(mb_mapfd(&m, fd, 0, &o), MB_E_ACCESS);

  o.access = MB_ACCESS_DEFAULT; o.prot = PROT_READ;
  CHECK_RC(mb_mapfd(&m, fd, 0, &o), 0);
  CHECK(m->access == MB_ACCESS_READ);
  mb_free(m);

  /* flags and prot: only what mapbuf handles */
  {
    static const int badflags[] = {
      MAP_SHARED | MAP_FIXED, MAP_PRIVATE | MAP_FIXED, MAP_NORESERVE,
#ifdef MAP_HUGETLB
      MAP_SHARED | MAP_HUGETLB,
#endif
#ifdef MAP_FIXED_NOREPLACE
      MAP_SHARED | MAP_FIXED_NOREPLACE,
#endif
#ifdef MAP_GROWSDOWN
      MAP_PRIVATE | MAP_GROWSDOWN,
#endif
      MAP_SHARED | 0x40000000
    };
    static const int badprot[] = {PROT_WRITE, PROT_EXEC, PROT_WRITE | PROT_EXEC,
                                  PROT_READ | 0x1000000};
    size_t i;
    int v;
    const char *name;
    for (i = 0; i < sizeof badflags / sizeof badflags[0]; i++) {
      o.prot = -1; o.flags = badflags[i];
      CHECK_RC(mb_mapfd(&m, fd, 0, &o), MB_E_FLAGS);
    }
    for (i = 0; i < sizeof badprot / sizeof badprot[0]; i++) {
      o.flags = -1; o.prot = badprot[i];
      CHECK_RC(mb_mapfd(&m, fd, 0, &o), MB_E_PROT);
    }
    o.prot = PROT_READ | PROT_EXEC; o.flags = MAP_PRIVATE | MAP_NORESERVE;
    CHECK_RC(mb_mapfd(&m, fd, 0, &o), 0);
    CHECK(m->access == MB_ACCESS_READ);
    mb_free(m);
#ifdef MAP_SHARED_VALIDATE
    o.prot = -1; o.flags = MAP_SHARED_VALIDATE;   /* a shared map after all */
    CHECK_RC(mb_mapfd(&m, fd, 0, &o), 0);
    CHECK((m->flags & MAP_PRIVATE) == 0 && (m->flags & MAP_SHARED));
    mb_free(m);
#endif
    o.flags = MAP_SHARED | MAP_ANONYMOUS;   /* with a descriptor: no */
    CHECK_RC(mb_mapfd(&m, fd, 0, &o), MB_E_FLAGS);
    CHECK_RC(mb_mapfd(&m, -1, 4096, &o), 0);   /* anonymous: may be said */
    mb_free(m);
    for (i = 0; (name = mb_mapflag((int)i, &v)) != NULL; i++) {
      o.flags = MAP_PRIVATE | v;
      if (v == MAP_SHARED || v == MAP_PRIVATE) o.flags = v;
#ifdef MAP_SHARED_VALIDATE
      if (v == MAP_SHARED_VALIDATE) o.flags = v;
#endif
      CHECK_RC(mb_mapfd(&m, -1, 4096, &o), 0);
      mb_free(m);
    }
    CHECK(i >= 3 && mb_mapflag(-1, &v) == NULL);
    o.flags = -1; o.prot = -1;
  }

  o.prot = -1; o.untracked = 1;
  CHECK_RC(mb_mapfd(&m, fd, 0, &o), 0);
  CHECK(m->fd == -1);
  uint64_t sz;
  CHECK_RC(mb_filesize(m, &sz), MB_E_UNTRACKED);
  CHECK_RC(mb_resize(m, 3), MB_E_UNTRACKED);
  mb_free(m);
  o.untracked = 0;

  CHECK_RC(ftruncate(fd, 0), 0);
  CHECK_RC(mb_mapfd(&m, fd, 0, &o), MB_E_EMPTY);
  close(fd);

  CHECK_RC(mb_mapfd(&m, -1, 0, &o), EINVAL);  /* as mmap, as Python */
  CHECK_RC(mb_mapfd(&m, -1, 100, &o), 0);
  CHECK(m->kind == MB_KIND_ANON && m->len == 100);
  mb_free(m);
}

static void test_resize(void) {
  mb_map *m = NULL;
  uint64_t sz = 0;
  size_t i;
  writefile(path("r"), "resize me", 9);
  CHECK_RC(mb_open(&m, path("r"), MB_MODE_UPDATE, NULL), 0);
  CHECK_RC(mb_resize(m, 100000), 0);
  CHECK(m->len == 100000 && filesize(path("r")) == 100000);
  CHECK(memcmp(m->base, "resize me", 9) == 0 && m->base[99999] == 0);
  m->base[99999] = 7;
  CHECK_RC(mb_resize(m, 3), 0);
  CHECK(filesize(path("r")) == 3 && m->len == 3);
  CHECK_RC(mb_resize(m, 0), 0);
  CHECK(m->len == 0 && m->base == NULL && filesize(path("r")) == 0);
  CHECK_RC(mb_resize(m, 5), 0);
  CHECK(m->len == 5 && m->base[0] == 0);
  CHECK_RC(mb_filesize(m, &sz), 0);
  CHECK(sz == 5);
  mb_free(m);

  CHECK_RC(mb_open(&m, path("r"), MB_MODE_READ, NULL), 0);
  CHECK_RC(mb_resize(m, 10), MB_E_NORESIZE);
  mb_free(m);
  CHECK_RC(mb_open(&m, path("r"), MB_MODE_COPY, NULL), 0);
  CHECK_RC(mb_resize(m, 10), MB_E_NORESIZE);
  mb_free(m);

  CHECK_RC(mb_anon(&m, 4096, 0), 0);
  CHECK_RC(mb_resize(m, 8192), MB_E_GROWSHARED);
  CHECK_RC(mb_resize(m, 100), 0);
  CHECK(m->len == 100);
  CHECK_RC(mb_filesize(m, &sz), 0);
  CHECK(sz == 100);
  mb_free(m);

  CHECK_RC(mb_anon(&m, 10, 1), 0);
  for (i = 0; i < 10; i++) m->base[i] = (unsigned char)i;
  CHECK_RC(mb_resize(m, 1 << 20), 0);  /* private memory may grow */
  CHECK(m->len == 1 << 20 && m->base[9] == 9 && m->base[(1 << 20) - 1] == 0);
  mb_free(m);
}

/* advice on part of a map splits it in the kernel; mremap then refuses,
** and resize must still work, keeping every byte */
static void test_resize_split(void) {
  mb_map *m = NULL;
  size_t i;
  CHECK_RC(mb_anon(&m, 4 * 4096, 1), 0);
  for (i = 0; i < m->len; i++) m->base[i] = (unsigned char)(i * 7);
  CHECK_RC(mb_advise(m, 4096, 4096, MADV_DONTFORK), 0);
  CHECK_RC(mb_resize(m, 10 * 4096), 0);
  CHECK(m->len == 10 * 4096 && m->base[4 * 4096 - 1] == (unsigned char)((4 * 4096 - 1) * 7));
  CHECK(m->base[5000] == (unsigned char)(5000 * 7) && m->base[9 * 4096] == 0);
  CHECK_RC(mb_advise(m, 4096, 4096, MADV_DONTFORK), 0);
  CHECK_RC(mb_resize(m, 4096 + 10), 0);
  CHECK(m->len == 4096 + 10 && m->base[4096 + 9] == (unsigned char)((4096 + 9) * 7));
  mb_free(m);

  writefile(path("split"), "x", 1);
  CHECK_RC(mb_open(&m, path("split"), MB_MODE_UPDATE, &(mb_openopts){.size = 4 * 4096}), 0);
  m->base[3 * 4096] = 'z';
  CHECK_RC(mb_advise(m, 4096, 4096, MADV_DONTFORK), 0);
  CHECK_RC(mb_resize(m, 8 * 4096), 0);
  CHECK(m->base[0] == 'x' && m->base[3 * 4096] == 'z' && filesize(path("split")) == 8 * 4096);
  mb_free(m);
}

#ifdef MADV_DONTNEED_LOCKED
/* Does this advice, given straight to the kernel, discard a private page? */
static int discards(int advice) {
  size_t ps = mb_pagesize();
  unsigned char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int gone;
  if (p == MAP_FAILED) return 0;
  p[0] = 1;
  gone = madvise(p, ps, advice) == 0 && p[0] == 0;
  munmap(p, ps);
  return gone;
}
#endif

static void test_flush_advise(void) {
  mb_map *m = NULL;
  mb_openopts o = {.size = 3 * 4096 + 10};
  CHECK_RC(mb_open(&m, path("f"), MB_MODE_CREATE, &o), 0);
  CHECK_RC(mb_flush(m, 0, m->len, MS_SYNC), 0);
  CHECK_RC(mb_flush(m, 4097, 3, MS_SYNC), 0);   /* any range, widened */
  CHECK_RC(mb_flush(m, m->len, 0, MS_SYNC), 0);
  CHECK_RC(mb_flush(m, 1, m->len, MS_SYNC), MB_E_RANGE);
  CHECK_RC(mb_flush(m, 0, 1, 12345), EINVAL);   /* the kernel judges flags */
  CHECK_RC(mb_advise(m, 5, 100, MADV_WILLNEED), 0);
  CHECK_RC(mb_advise(m, 5, (size_t)-1, MADV_SEQUENTIAL), 0);  /* clipped */
  CHECK_RC(mb_advise(m, m->len, 1, MADV_NORMAL), MB_E_RANGE);
  /* only advice mapbuf knows reaches the kernel */
  CHECK_RC(mb_advise(m, 0, 1, 424242), MB_E_ADVICE);
  CHECK_RC(mb_advise(m, 0, 1, 102), MB_E_ADVICE);   /* MADV_GUARD_INSTALL */
  CHECK_RC(mb_advise(m, 0, 1, 100), MB_E_ADVICE);   /* MADV_HWPOISON */
  CHECK_RC(mb_advise(m, 0, 1, -1), MB_E_ADVICE);
  mb_free(m);

#ifdef MADV_DONTNEED_LOCKED
  /* dontneed_locked discards data: it stays inside the range asked for */
  if (!discards(MADV_DONTNEED_LOCKED)) {
    printf("skip: madvise(MADV_DONTNEED_LOCKED) succeeds but keeps the bytes here"
           " (qemu-user passes it over)\n");
  } else {
  CHECK_RC(mb_anon(&m, 3 * 4096, 1), 0);
  memset(m->base, 0xCD, m->len);
  CHECK_RC(mb_advise(m, 100, 10, MADV_DONTNEED_LOCKED), 0);
  CHECK(m->base[0] == 0xCD && m->base[4095] == 0xCD && m->base[8191] == 0xCD);
  CHECK_RC(mb_advise(m, 4096, 4096, MADV_DONTNEED_LOCKED), 0);
  CHECK(m->base[4095] == 0xCD && m->base[4096] == 0 && m->base[8192] == 0xCD);
  mb_free(m);
  }
#endif

  /* dontneed on private memory zeroes only whole pages inside the range */
  CHECK_RC(mb_anon(&m, 3 * 4096, 1), 0);
  memset(m->base, 0xAB, m->len);
  CHECK_RC(mb_advise(m, 100, 4096 * 2, MADV_DONTNEED), 0);
  CHECK(m->base[100] == 0xAB && m->base[4095] == 0xAB);
  CHECK(m->base[4096] == 0 && m->base[8191] == 0 && m->base[8192] == 0xAB);
  mb_free(m);

  CHECK(mb_advice("dontneed") == MADV_DONTNEED && mb_advice("nope") == MB_E_ADVICE);
  CHECK(mb_advicename(0) != NULL && mb_advicename(1000) == NULL);
}

static int released;
static void release(void *ud, void *base, size_t len) {
  released += (ud == (void *)&released && base != NULL && len == 16);
}

static void test_wrap_close(void) {
  static unsigned char buf[16];
  mb_map *m = NULL;
  CHECK_RC(mb_wrap(&m, buf, sizeof buf, 0, release, &released), 0);
  CHECK(!mb_writable(m) && m->base == buf);
  CHECK_RC(mb_resize(m, 8), MB_E_BORROWED);
  CHECK_RC(mb_flush(m, 0, 16, MS_SYNC), 0);
  CHECK_RC(mb_close(m), 0);
  CHECK_RC(mb_close(m), 0);  /* twice is fine, and releases once */
  CHECK(released == 1 && m->closed && m->len == 0);
  CHECK_RC(mb_resize(m, 8), MB_E_CLOSED);
  CHECK_RC(mb_flush(m, 0, 0, MS_SYNC), MB_E_CLOSED);
  mb_free(m);
  CHECK(released == 1);
  CHECK_RC(mb_wrap(&m, NULL, 4, 1, NULL, NULL), MB_E_RANGE);
}

/* A growable map: appends extend it and the file, the capacity runs
** ahead (few remaps for many appends), bytes survive the moves, and the
** file is exactly len bytes once closed. */
static void test_grow(void) {
  mb_map *m = NULL, *f = NULL;
  mb_openopts o = {.grow = 1};
  struct stat st;
  size_t i, remaps = 0, last = 0;
  CHECK_RC(mb_open(&m, path("grow"), MB_MODE_CREATE, &o), 0);
  CHECK(m->len == 0 && m->grow);
  for (i = 1; i <= 300000; i++) {
    if (mb_grow(m, i) != 0) { CHECK(0); break; }
    m->base[i - 1] = (unsigned char)(i * 7);
    if (m->maplen != last) { remaps++; last = m->maplen; }
  }
  CHECK(m->len == 300000 && m->maplen >= m->len);
  CHECK(remaps <= 8);   /* 64 KiB, doubling: 64K .. 512K */
  for (i = 1; i <= 300000; i++)
    if (m->base[i - 1] != (unsigned char)(i * 7)) { CHECK(0); break; }
  CHECK(stat(path("grow"), &st) == 0 && (size_t)st.st_size == m->maplen);
  {
    uint64_t sz;
    CHECK_RC(mb_filesize(m, &sz), 0);   /* what the file will be */
    CHECK(sz == 300000);
  }
  CHECK_RC(mb_grow(m, 10), 0);           /* never shrinks */
  CHECK(m->len == 300000);
  CHECK_RC(mb_resize(m, 1000), 0);       /* resize sets the length */
  CHECK(m->len == 1000 && m->base[999] == (unsigned char)(1000 * 7));
  CHECK_RC(mb_resize(m, 2000000), 0);
  CHECK(m->len == 2000000 && m->base[1999999] == 0);
  CHECK_RC(mb_resize(m, 5000), 0);
  CHECK_RC(mb_close(m), 0);
  CHECK(stat(path("grow"), &st) == 0 && st.st_size == 5000);
  CHECK_RC(mb_grow(m, 6000), MB_E_CLOSED);
  mb_free(m);
  /* r+ grows an existing file, keeping its bytes */
  CHECK_RC(mb_open(&m, path("grow"), MB_MODE_UPDATE, &o), 0);
  CHECK(m->len == 5000 && m->base[0] == 7);
  CHECK_RC(mb_grow(m, 5001), 0);
  m->base[5000] = 1;
  mb_free(m);   /* mb_free closes: the file is cut back too */
  CHECK(stat(path("grow"), &st) == 0 && st.st_size == 5001);
  /* other maps do not grow; read-only and copy modes cannot */
  CHECK_RC(mb_open(&f, path("grow"), MB_MODE_UPDATE, NULL), 0);
  CHECK_RC(mb_grow(f, 6000), MB_E_NOGROW);
  mb_free(f);
  CHECK_RC(mb_open(&f, path("grow"), MB_MODE_READ, &o), MB_E_SIZEMODE);
  CHECK_RC(mb_open(&f, path("grow"), MB_MODE_COPY, &o), MB_E_SIZEMODE);
}

/*
** A sparse file of 5 GiB: past 2^32 (a 32-bit size_t would wrap to 1 GiB)
** and past 2^31 (a 32-bit off_t).  On a 64-bit target it maps whole; on a
** 32-bit one a whole map is MB_E_TOOBIG, never a map cut short, while a
** window beyond 4 GiB maps and reads the right bytes.  -s beyond the
** address space fails before the file is created or extended.
*/
static void test_large_file(void) {
  const uint64_t big = (uint64_t)5 << 30, at = (uint64_t)4 << 30;
  mb_map *m = NULL;
  mb_openopts o = MB_OPENOPTS_INIT;
  int fd = open(path("big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  int wide = sizeof(size_t) >= 8;
  CHECK(fd >= 0);
  if (fd < 0) return;
  if (ftruncate(fd, (off_t)big) != 0 ||
      pwrite(fd, "far", 3, (off_t)(at + 5)) != 3) {
    printf("skip: cannot make a sparse file of 5 GiB here\n");
    close(fd);
    unlink(path("big"));
    return;
  }
  close(fd);
  printf("large files: %d-bit target\n", wide ? 64 : 32);
  if (wide) {
    CHECK_RC(mb_open(&m, path("big"), MB_MODE_READ, NULL), 0);
    CHECK(m != NULL && (uint64_t)m->len == big);
    CHECK(m != NULL && memcmp((char *)m->base + at + 5, "far", 3) == 0);
    mb_free(m);
  } else {
    m = NULL;
    CHECK_RC(mb_open(&m, path("big"), MB_MODE_READ, NULL), MB_E_TOOBIG);
    CHECK(m == NULL);
    o.length = (uint64_t)1 << 32 | 4096;   /* 4 GiB + 4 KiB: not 4 KiB */
    CHECK_RC(mb_open(&m, path("big"), MB_MODE_READ, &o), MB_E_TOOBIG);
    o.length = 0;
    o.size = (uint64_t)3 << 30;            /* -s 3G on a new file */
    CHECK_RC(mb_open(&m, path("huge"), MB_MODE_CREATE, &o), MB_E_TOOBIG);
    CHECK(filesize(path("huge")) == -1);
    o.size = 0;
  }
  o.offset = at;             /* a window past 4 GiB maps on every target */
  o.length = 4096;
  CHECK_RC(mb_open(&m, path("big"), MB_MODE_READ, &o), 0);
  CHECK(m != NULL && m->len == 4096 && memcmp((char *)m->base + 5, "far", 3) == 0);
  mb_free(m);
  o.length = 0;              /* the rest from 4 GiB: 1 GiB, everywhere */
  CHECK_RC(mb_open(&m, path("big"), MB_MODE_READ, &o), 0);
  CHECK(m != NULL && (uint64_t)m->len == big - at);
  mb_free(m);
  unlink(path("big"));
}

static void test_strerror(void) {
  CHECK(strcmp(mb_strerror(MB_E_TOOBIG), "size is too large to map") == 0);
  CHECK(strcmp(mb_strerror(MB_E_CLOSED), "map is closed") == 0);
  CHECK(strcmp(mb_strerror(ENOENT), strerror(ENOENT)) == 0);
  CHECK(strcmp(mb_strerror(-9999), "unknown error") == 0);
}

int main(void) {
  if (mkdtemp(dir) == NULL) return 2;
  test_modes();
  test_empty_and_ranges();
  test_mapfd();
  test_resize();
  test_resize_split();
  test_flush_advise();
  test_wrap_close();
  test_grow();
  test_large_file();
  test_strerror();
  {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  }
  return check_done();
}
