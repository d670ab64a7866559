/*
** live.c (POSIX) - is that process still alive?  Two ways to tell, for
** the robust mutex and the ring's peers:
**
**   - a token: pid and start time.  Works for any memory (anonymous memory
**     shared by fork too), within one pid namespace.  The start time makes
**     a pid that the kernel hands out again read as the dead process's
**     successor, not as the process itself; a zombie (killed, not yet
**     reaped by its parent) is dead.
**   - an OFD lock on one byte, held through an open file description of
**     the holder's own.  The kernel drops it when the holder dies however
**     it dies, across pid namespaces too.  Needs a file (or shared memory
**     object) behind the map.  The prober asks with F_OFD_GETLK, which
**     reports locks of other open file descriptions only, so it must never
**     probe through the description that holds the lock (a second
**     mb_reopen gives each holder its own).
*/
#include "os.h"
#include "internal.h"
#include "ipcint.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIDMASK 0x3FFFFFFFu

/* From the text of /proc/PID/stat: the state letter and the start time
** (field 22, clock ticks after boot).  0, or -1 if it does not parse. */
static int parsestat(const char *s, char *state, unsigned long long *start) {
  const char *p = strrchr(s, ')');   /* the name may hold ')' and spaces */
  int field;
  if (p == NULL || p[1] != ' ') return -1;
  p += 2;
  *state = *p;
  for (field = 3; field < 22; field++) {   /* p is at field `field` */
    p = strchr(p, ' ');
    if (p == NULL) return -1;
    p++;
  }
  if (sscanf(p, "%llu", start) != 1) return -1;
  return 0;
}

/* 1 read, 0 no such process, -1 cannot tell (no /proc, no permission). */
static int readstat(pid_t pid, char *state, unsigned long long *start) {
  char path[64], buf[1024];
  ssize_t n;
  int fd;
  if (pid == 0) snprintf(path, sizeof path, "/proc/self/stat");
  else snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? 0 : -1;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return n < 0 && errno == ESRCH ? 0 : -1;
  buf[n] = '\0';
  return parsestat(buf, state, start) == 0 ? 1 : -1;
}

/* Fork generations: bumped in the child at every fork, so what is cached
** per process (our token, a ring object's peers) can tell it is stale
** without a getpid() system call on every use. */
volatile unsigned mb_forkgen_now = 1;

/* The lock descriptions of mb_lockfd: a fork child inherits them, and a
** description the child keeps would keep its locks after the parent dies
** (the parent's peers would look alive for as long as the child lives).
** The child closes its copies at once, which drops nothing of the
** parent's: the parent still holds the descriptions. */
static pthread_mutex_t lockfds_mu = PTHREAD_MUTEX_INITIALIZER;
static int *lockfds;
static size_t nlockfds, maxlockfds;

static void forkprepare(void) { pthread_mutex_lock(&lockfds_mu); }
static void forkparent(void) { pthread_mutex_unlock(&lockfds_mu); }
static void forkchild(void) {
  size_t i;
  mb_forkgen_now++;
  for (i = 0; i < nlockfds; i++) close(lockfds[i]);
  nlockfds = 0;
  pthread_mutex_unlock(&lockfds_mu);
}
static void atforkonce(void) {
  pthread_atfork(forkprepare, forkparent, forkchild);
}
static pthread_once_t forkonce = PTHREAD_ONCE_INIT;

unsigned mb_forkgen(void) {
  pthread_once(&forkonce, atforkonce);
  return mb_forkgen_now;
}

uint64_t mb_token_self(void) {
  static unsigned gen;     /* 0: never computed */
  static uint64_t token;
  unsigned g = mb_forkgen();
  if (gen != g) {
    char st;
    unsigned long long start = 0;
    pid_t pid = getpid();
    uint64_t t = (uint64_t)((uint32_t)pid & PIDMASK);
    if (readstat(0, &st, &start) == 1) t |= (uint64_t)(uint32_t)start << 32;
    token = t;
    gen = g;
  }
  return token;
}

int mb_token_alive(uint64_t token) {
  pid_t pid = mb_token_pid(token);
  uint32_t tag = (uint32_t)(token >> 32);
  char st;
  unsigned long long start;
  int r;
  if (pid <= 0) return 0;
  if (kill(pid, 0) != 0 && errno == ESRCH) return 0;
  r = readstat(pid, &st, &start);
  if (r == 0) return 0;
  if (r < 0) return 1;               /* it exists; that is all we know */
  if (st == 'Z' || st == 'X') return 0;
  /* a token made without /proc has no start time to compare */
  if (tag != 0 && (uint32_t)start != tag) return 0;
  return 1;
}

int mb_reopen(int fd, int writable) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
}

int mb_lockfd_open(int fd) {
  int d;
  mb_forkgen();                    /* the fork handlers are in place */
  if ((d = mb_reopen(fd, 1)) < 0) return -1;
  pthread_mutex_lock(&lockfds_mu);
  if (nlockfds == maxlockfds) {
    size_t m = maxlockfds ? 2 * maxlockfds : 16;
    int *p = realloc(lockfds, m * sizeof *p);
    if (p == NULL) {
      pthread_mutex_unlock(&lockfds_mu);
      close(d);
      errno = ENOMEM;
      return -1;
    }
    lockfds = p;
    maxlockfds = m;
  }
  lockfds[nlockfds++] = d;
  pthread_mutex_unlock(&lockfds_mu);
  return d;
}

void mb_lockfd_close(int d, unsigned gen) {
  size_t i;
  if (d < 0 || gen != mb_forkgen_now) return;   /* a fork closed it */
  pthread_mutex_lock(&lockfds_mu);
  for (i = 0; i < nlockfds; i++)
    if (lockfds[i] == d) { lockfds[i] = lockfds[--nlockfds]; break; }
  pthread_mutex_unlock(&lockfds_mu);
  close(d);
}

static void onebyte(struct flock *fl, short type, uint64_t at) {
  memset(fl, 0, sizeof *fl);
  fl->l_type = type;
  fl->l_whence = SEEK_SET;
  fl->l_start = (off_t)at;
  fl->l_len = 1;
}

int mb_lockbyte(int fd, uint64_t at, int *got) {
  struct flock fl;
  onebyte(&fl, F_WRLCK, at);
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) { *got = 1; return 0; }
  if (errno == EAGAIN || errno == EACCES) { *got = 0; return 0; }
  return mb_oserr();
}

int mb_unlockbyte(int fd, uint64_t at) {
  struct flock fl;
  onebyte(&fl, F_UNLCK, at);
  return fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : mb_oserr();
}

int mb_probebyte(int fd, uint64_t at, int *held) {
  struct flock fl;
  onebyte(&fl, F_WRLCK, at);
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return mb_oserr();
  *held = fl.l_type != F_UNLCK;
  return 0;
}
