/* test_guard.c - a file truncated under a live map: no crash, `valid` drops,
** other maps go on, and faults elsewhere reach the handler that was there. */
#include "mapbuf.h"
#include "check.h"
#include "emulated.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char dir[] = "/tmp/mapbuf-guard.XXXXXX";
static char pa[300], pb[300];
static sigjmp_buf env;
static volatile int theirs;

static void their_handler(int sig) {
  theirs++;
  siglongjmp(env, sig);
}

static void makefile(const char *p, size_t n, int byte) {
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  char page[4096];
  memset(page, byte, sizeof page);
  for (size_t i = 0; i < n; i += sizeof page)
    if (write(fd, page, sizeof page) != (ssize_t)sizeof page) abort();
  close(fd);
}

/* Several threads at once, each mapping, truncating and touching its own
** file while the others churn the guard's registry. */
#define THREADS 4
#define ROUNDS 150
static void *worker(void *arg) {
  char p[320];
  long id = (long)arg, bad = 0;
  size_t ps = mb_pagesize();
  snprintf(p, sizeof p, "%s/t%ld", dir, id);
  for (int r = 0; r < ROUNDS; r++) {
    mb_map *m = NULL;
    volatile unsigned char v;
    makefile(p, 3 * ps, 'a' + (int)id);
    if (mb_open(&m, p, MB_MODE_READ, NULL) != 0) { bad++; continue; }
    if (truncate(p, (off_t)ps) != 0) bad++;
    v = m->base[2 * ps + (size_t)r];
    bad += v != 0 || m->valid != ps || m->base[ps - 1] != 'a' + id;
    mb_free(m);
  }
  return (void *)bad;
}

static void test_threads(void) {
  pthread_t t[THREADS];
  unsigned long before = mb_guard_faults();
  long i, bad = 0;
  for (i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (i = 0; i < THREADS; i++) {
    void *r;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  CHECK(bad == 0);
  CHECK(mb_guard_faults() - before == THREADS * ROUNDS);
}

int main(void) {
  mb_map *a = NULL, *b = NULL;
  struct sigaction sa;
  volatile unsigned char v;
  size_t ps = mb_pagesize();
  if (!check_sigbus_addr()) {
    printf("skip: SIGBUS carries no fault address here (qemu-user for s390x),"
           " and the guard needs it\n");
    return 77;
  }
  if (mkdtemp(dir) == NULL) return 2;
  snprintf(pa, sizeof pa, "%s/a", dir);
  snprintf(pb, sizeof pb, "%s/b", dir);
  makefile(pa, 4 * ps, 'a');
  makefile(pb, 4 * ps, 'b');

  /* a handler of the application's, installed before mapbuf's */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = their_handler;
  sigaction(SIGBUS, &sa, NULL);

  CHECK_RC(mb_open(&a, pa, MB_MODE_READ, NULL), 0);
  CHECK_RC(mb_open(&b, pb, MB_MODE_UPDATE, NULL), 0);
  CHECK(mb_intact(a, 0, a->len));
  CHECK_RC(truncate(pa, (off_t)ps), 0);   /* another party shrinks it */

  v = a->base[0];                         /* still there */
  CHECK(v == 'a');
  v = a->base[2 * ps + 7];                /* vanished: SIGBUS, caught */
  CHECK(v == 0);
  /* valid is the file's new end, not the page that faulted: the page
  ** between them vanished too, untouched as it is */
  CHECK(a->valid == ps && !mb_intact(a, ps, 1));
  CHECK(mb_intact(a, 0, ps) && !mb_intact(a, ps - 1, 2));
  CHECK(mb_guard_faults() == 1 && theirs == 0);
  v = a->base[ps + 1];                    /* already zeros: no new fault */
  CHECK(v == 0 && a->valid == ps && mb_guard_faults() == 1);
  CHECK(b->base[3 * ps] == 'b');          /* other maps are untouched */

  /* a fault outside mapbuf's maps goes to their handler */
  {
    int fd = open(pb, O_RDONLY);
    unsigned char *p = mmap(NULL, 4 * ps, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    CHECK(p != MAP_FAILED);
    mb_free(b);                           /* b's range is forgotten */
    CHECK_RC(truncate(pb, 0), 0);
    volatile int reached = 0;
    if (sigsetjmp(env, 1) == 0) {
      v = ((volatile unsigned char *)p)[5];
      reached = 1;
    }
    CHECK(theirs == 1 && !reached);
    munmap(p, 4 * ps);
  }

  /* a writable map that was truncated and then resized is whole again */
  makefile(pb, 4 * ps, 'c');
  CHECK_RC(mb_open(&b, pb, MB_MODE_UPDATE, NULL), 0);
  CHECK_RC(truncate(pb, (off_t)ps), 0);
  b->base[3 * ps] = 1;                    /* lost, but no crash */
  CHECK(b->valid == ps);                  /* where the file ends now */
  CHECK_RC(mb_resize(b, 2 * ps), 0);
  CHECK(b->valid == b->len && b->len == 2 * ps);
  CHECK(b->base[0] == 'c' && b->base[ps + 5] == 0);
  b->base[ps + 5] = 9;
  mb_free(b);
  mb_free(a);

  /* a file cut in the middle of a page: valid to the byte */
  makefile(pb, 4 * ps, 'd');
  CHECK_RC(mb_open(&b, pb, MB_MODE_READ, NULL), 0);
  CHECK_RC(truncate(pb, (off_t)(ps + 100)), 0);
  v = b->base[3 * ps];
  CHECK(v == 0 && b->valid == ps + 100);
  CHECK(mb_intact(b, 0, ps + 100) && !mb_intact(b, ps + 99, 2));
  CHECK(b->base[ps + 99] == 'd');
  mb_free(b);

  /* shared anonymous memory whose shmem object is cut through
  ** /proc/self/map_files: guarded too */
  {
    char path[128];
    int fd;
    CHECK_RC(mb_anon(&b, 4 * ps, 0), 0);
    memset(b->base, 'e', 4 * ps);
    snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx",
             (unsigned long)(uintptr_t)b->base,
             (unsigned long)(uintptr_t)(b->base + 4 * ps));
    fd = open(path, O_RDWR);
    if (fd >= 0) {
      CHECK_RC(ftruncate(fd, (off_t)ps), 0);
      close(fd);
      v = b->base[2 * ps];
      CHECK(v == 0 && !mb_intact(b, 2 * ps, 1));
      CHECK(b->base[ps - 1] == 'e');
    } else {
      printf("skip: %s: %s (map_files needs CAP_SYS_ADMIN)\n", path,
             strerror(errno));
    }
    mb_free(b);
  }
  test_threads();
  {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 2;
  }
  return check_done();
}
