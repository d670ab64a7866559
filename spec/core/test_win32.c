/* test_win32.c - the core's Win32 backend (built on Windows only, run
** under wine by ctest): files by path and descriptor, the 64 KiB
** granularity, access read/write/copy, resize by remapping, flush,
** advice, anonymous maps, named sections, LockFileEx locks, waits and
** process tokens. */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "check.h"
#include "internal.h"
#include "ipcint.h"
#include "mapbuf.h"
#include "osdefs.h"

static char name[MAX_PATH];

static uint64_t sizeof_file(const char *p) {
  WIN32_FILE_ATTRIBUTE_DATA a;
  if (!GetFileAttributesExA(p, GetFileExInfoStandard, &a)) return (uint64_t)-1;
  return (uint64_t)a.nFileSizeHigh << 32 | a.nFileSizeLow;
}

static void test_sizes(void) {
  CHECK(mb_granularity() == 65536);
  CHECK(mb_pagesize() == 4096);
}

static void test_modes(void) {
  mb_openopts o = MB_OPENOPTS_INIT;
  mb_map *m, *r;
  o.size = 200000;
  CHECK_RC(mb_open(&m, name, MB_MODE_CREATE, &o), 0);
  if (m == NULL) return;
  CHECK(m->len == 200000 && sizeof_file(name) == 200000);
  memcpy(m->base, "hello", 5);
  m->base[199999] = 'z';
  CHECK_RC(mb_flush(m, 0, m->len, MS_SYNC), 0);
  CHECK_RC(mb_flush(m, 3, 10, MS_ASYNC), 0);
  /* maps of one file are coherent: a second map sees the bytes at once */
  CHECK_RC(mb_open(&r, name, MB_MODE_READ, NULL), 0);
  CHECK(memcmp(r->base, "hello", 5) == 0 && r->base[199999] == 'z');
  CHECK(!mb_writable(r));
  m->base[1] = 'a';
  CHECK(r->base[1] == 'a');
  mb_free(r);
  /* copy: writes stay in the map */
  CHECK_RC(mb_open(&r, name, MB_MODE_COPY, NULL), 0);
  r->base[0] = 'J';
  CHECK(r->base[0] == 'J' && m->base[0] == 'h');
  CHECK_RC(mb_resize(r, 10), MB_E_NORESIZE);
  mb_free(r);
  mb_free(m);
  CHECK_RC(mb_open(&m, "no-such-dir\\nothing", MB_MODE_READ, NULL), ENOENT);
}

static void test_offsets(void) {
  mb_openopts o = MB_OPENOPTS_INIT;
  mb_map *m;
  o.offset = 4096;
  CHECK_RC(mb_open(&m, name, MB_MODE_READ, &o), MB_E_ALIGN);
  o.offset = 65536;
  CHECK_RC(mb_open(&m, name, MB_MODE_READ, &o), 0);
  if (m == NULL) return;
  CHECK(m->len == 200000 - 65536 && m->base[199999 - 65536] == 'z');
  mb_free(m);
  o.offset = 65536; o.length = 10;
  CHECK_RC(mb_open(&m, name, MB_MODE_UPDATE, &o), 0);
  CHECK(m != NULL && m->len == 10);
  mb_free(m);
}

static void test_resize(void) {
  mb_map *m;
  uint64_t sz = 0;
  CHECK_RC(mb_open(&m, name, MB_MODE_UPDATE, NULL), 0);
  if (m == NULL) return;
  CHECK_RC(mb_resize(m, 300000), 0);
  CHECK(m->len == 300000 && sizeof_file(name) == 300000);
  CHECK(memcmp(m->base, "hallo", 5) == 0 && m->base[199999] == 'z');
  m->base[299999] = 'y';
  CHECK_RC(mb_resize(m, 100000), 0);   /* the view goes before the file shrinks */
  CHECK(m->len == 100000 && sizeof_file(name) == 100000);
  CHECK(memcmp(m->base, "hallo", 5) == 0);
  CHECK_RC(mb_filesize(m, &sz), 0);
  CHECK(sz == 100000);
  CHECK_RC(mb_resize(m, 0), 0);
  CHECK(m->len == 0 && sizeof_file(name) == 0);
  CHECK_RC(mb_resize(m, 5), 0);
  CHECK(m->len == 5 && m->base[0] == 0);
  mb_free(m);
}

static void test_mapfd(void) {
  mb_mapopts o = MB_MAPOPTS_INIT;
  mb_map *m;
  int fd = _open(name, _O_RDWR | _O_BINARY);
  CHECK(fd >= 0);
  if (fd < 0) return;
  CHECK_RC(mb_mapfd(&m, fd, 0, &o), 0);
  if (m != NULL) {
    CHECK(m->len == 5);
    m->base[0] = 'Q';
    mb_free(m);
  }
  o.flags = MAP_PRIVATE;
  CHECK_RC(mb_mapfd(&m, fd, 5, &o), 0);
  if (m != NULL) {
    CHECK(m->base[0] == 'Q');
    m->base[0] = 'P';
    mb_free(m);
  }
  CHECK_RC(mb_mapfd(&m, fd, 5, &o), 0);
  if (m != NULL) { CHECK(m->base[0] == 'Q'); mb_free(m); }
  o.flags = MAP_SHARED | 0x100;   /* no hints on Windows */
  CHECK_RC(mb_mapfd(&m, fd, 5, &o), MB_E_FLAGS);
  o.flags = 0; o.access = MB_ACCESS_READ;
  CHECK_RC(mb_mapfd(&m, fd, 6, &o), MB_E_LENGTH);
  _close(fd);
}

static void test_anon_advice(void) {
  mb_map *m;
  size_t i;
  int zero = 1;
  CHECK_RC(mb_anon(&m, 100000, 1), 0);
  if (m == NULL) return;
  memset(m->base, 7, m->len);
  CHECK_RC(mb_resize(m, 200000), 0);  /* private: copied over */
  CHECK(m->base[99999] == 7 && m->base[100000] == 0);
  CHECK_RC(mb_advise(m, 0, m->len, MADV_WILLNEED), 0);
  CHECK_RC(mb_advise(m, 0, m->len, MADV_NORMAL), 0);
  CHECK_RC(mb_advise(m, 0, m->len, MADV_RANDOM), ENOSYS);
  CHECK_RC(mb_advise(m, 0, m->len, MADV_DONTNEED), 0);  /* reads as zeros */
  for (i = 0; i < 99999; i++) zero &= m->base[i] == 0;
  CHECK(zero);
  mb_free(m);
  CHECK_RC(mb_anon(&m, 100000, 0), 0);
  if (m == NULL) return;
  m->base[5] = 1;
  CHECK_RC(mb_resize(m, 200000), MB_E_GROWSHARED);
  CHECK_RC(mb_resize(m, 50000), 0);
  CHECK(m->base[5] == 1 && m->len == 50000);
  mb_free(m);
  CHECK_RC(mb_open(&m, name, MB_MODE_UPDATE, NULL), 0);
  if (m == NULL) return;
  CHECK_RC(mb_advise(m, 0, 5, MADV_DONTNEED), 0);   /* shared: bytes kept */
  CHECK(m->base[0] == 'Q');
  mb_free(m);
}

static void test_shm(void) {
  char sname[64];
  mb_map *a, *b;
  snprintf(sname, sizeof sname, "/mapbuf-test-%lu", GetCurrentProcessId());
  CHECK_RC(mb_shm(&a, sname, 3, 0, 0), ENOENT);
  CHECK_RC(mb_shm(&a, sname, 100000, 1, MB_SHM_EXCL), 0);
  if (a == NULL) return;
  CHECK(a->len == 100000 && a->kind == MB_KIND_SHM);
  strcpy((char *)a->base, "shared");
  CHECK_RC(mb_shm(&b, sname, 0, 0, 0), 0);
  if (b != NULL) {
    CHECK(strcmp((char *)b->base, "shared") == 0 && b->len >= 100000);
    mb_free(b);
  }
  CHECK_RC(mb_shm(&b, sname, 10, 1, MB_SHM_EXCL), EEXIST);
  CHECK_RC(mb_shm(&b, sname, 1 << 20, 1, 0), EINVAL);  /* sections do not grow */
  CHECK_RC(mb_shm(&b, "/mapbuf-test-empty", 0, 1, 0), EINVAL);  /* nor are empty */
  CHECK_RC(mb_shm(&b, sname, 0, 0, MB_SHM_RDONLY), 0);
  if (b != NULL) { CHECK(!mb_writable(b)); mb_free(b); }
  CHECK_RC(mb_shm_unlink(sname), ENOSYS);
  mb_free(a);
  CHECK_RC(mb_shm(&a, sname, 0, 0, 0), ENOENT);  /* gone with its last map */
}

static void test_locks(void) {
  mb_map *a, *b;
  int got = -1;
  CHECK_RC(mb_open(&a, name, MB_MODE_UPDATE, NULL), 0);
  CHECK_RC(mb_open(&b, name, MB_MODE_UPDATE, NULL), 0);
  if (a == NULL || b == NULL) return;
  CHECK_RC(mb_lock(a, 1, 0, 2, 0, &got), 0);
  CHECK(got == 1);
  CHECK_RC(mb_lock(b, 1, 0, 2, 0, &got), 0);
  CHECK(got == 0);
  CHECK_RC(mb_lockx(b, 0, 1, 1, 0.05, 0, &got), 0);   /* times out */
  CHECK(got == 0);
  CHECK_RC(mb_lock(b, 1, 3, 1, 0, &got), 0);          /* another range */
  CHECK(got == 1);
  CHECK_RC(mb_unlock(b, 3, 1), 0);
  CHECK_RC(mb_unlock(a, 0, 2), 0);
  CHECK_RC(mb_lock(b, 1, 0, 2, 1, &got), 0);
  CHECK(got == 1);
  CHECK_RC(mb_unlock(b, 0, 2), 0);
  mb_free(a);
  mb_free(b);
}

static mb_map *shared;
static void *waker(void *ud) {
  (void)ud;
  Sleep(50);
  __atomic_store_n((uint32_t *)shared->base, 1, __ATOMIC_SEQ_CST);
  mb_wake(shared, 0, 1, &(int){0});
  return NULL;
}

static void test_wait(void) {
  int woken = -1;
  double t;
  pthread_t th;
  CHECK_RC(mb_anon(&shared, 4096, 0), 0);
  if (shared == NULL) return;
  t = mb_now();
  CHECK_RC(mb_wait(shared, 0, 0, 0.1, &woken), 0);
  CHECK(woken == 0 && mb_now() - t >= 0.09);
  CHECK_RC(mb_wait(shared, 0, 5, 1, &woken), 0);   /* differs: at once */
  CHECK(woken == 1);
  CHECK(pthread_create(&th, NULL, waker, NULL) == 0);
  t = mb_now();
  CHECK_RC(mb_wait(shared, 0, 0, 5, &woken), 0);
  CHECK(woken == 1 && mb_now() - t < 2);
  pthread_join(th, NULL);
  mb_free(shared);
}

static void test_tokens(void) {
  uint64_t me = mb_token_self();
  CHECK(mb_token_pid(me) == (pid_t)GetCurrentProcessId());
  CHECK(mb_token_alive(me));
  CHECK(!mb_token_alive(me ^ ((uint64_t)1 << 40)));   /* another start time */
  CHECK(!mb_token_alive(0));
}

static void test_grow(void) {
  mb_openopts o = MB_OPENOPTS_INIT;
  mb_map *m;
  o.grow = 1;
  CHECK_RC(mb_open(&m, name, MB_MODE_CREATE, &o), 0);
  if (m == NULL) return;
  CHECK_RC(mb_grow(m, 10), 0);
  CHECK_RC(mb_grow(m, 100000), 0);
  m->base[99999] = 'e';
  CHECK(sizeof_file(name) >= 100000);
  CHECK_RC(mb_close(m), 0);
  CHECK(sizeof_file(name) == 100000);
  mb_free(m);
}

/* The truncation guard's handler, with the fault raised by hand: wine
** gives no way to make a view's read fail, so EXCEPTION_IN_PAGE_ERROR is
** raised as the kernel would raise it (address in the second word). */
static void test_inpage(void) {
  mb_openopts o = MB_OPENOPTS_INIT;
  mb_map *m;
  ULONG_PTR info[3];
  unsigned long before = mb_guard_faults();
  o.size = 70000;
  CHECK_RC(mb_open(&m, name, MB_MODE_CREATE, &o), 0);
  if (m == NULL) return;
  memset(m->base, 'x', m->len);
  CHECK(mb_intact(m, 0, m->len));
  info[0] = 0;                          /* a read */
  info[1] = (ULONG_PTR)(m->base + 5000);
  info[2] = (ULONG_PTR)0xC000009CL;     /* STATUS_DEVICE_DATA_ERROR */
  RaiseException(EXCEPTION_IN_PAGE_ERROR, 0, 3, info);
  /* back here: the handler took it, the map is no longer vouched for,
  ** and its memory is zeroed private memory, not the file */
  CHECK(mb_guard_faults() == before + 1);
  CHECK(!mb_intact(m, 0, 1) && m->valid == 0);
  CHECK(m->base[0] == 0 && m->base[69999] == 0);
  m->base[1] = 1;                       /* harmless now, and lost */
  CHECK(sizeof_file(name) == 70000);    /* the file itself was not touched */
  /* a resize starts afresh: the zeroed memory goes, the file is mapped */
  CHECK_RC(mb_resize(m, 100), 0);
  CHECK(mb_intact(m, 0, 100) && m->base[0] == 'x' && m->base[1] == 'x');
  CHECK(sizeof_file(name) == 100);
  CHECK_RC(mb_close(m), 0);
  mb_free(m);
}

int main(void) {
  snprintf(name, sizeof name, "win32-test-%lu.bin", GetCurrentProcessId());
  test_sizes();
  test_modes();
  test_offsets();
  test_resize();
  test_mapfd();
  test_anon_advice();
  test_shm();
  test_locks();
  test_wait();
  test_tokens();
  test_grow();
  test_inpage();
  DeleteFileA(name);
  return check_done();
}
