/* test_ringwindow.c - windows of the ring's protocol, hit on purpose.
** Each lies between a liveness probe and what is done on its answer, so
** this program defines kill() (which the probe calls) to run a hook there,
** once, for one pid.  White box: dead peers are made by hand (an owner
** word holding a pid that is gone), as a peer killed at that point leaves
** them.
**
**   - a consumer rescuing a dead peer's lease must not take a message the
**     live holder acknowledges while the rescuer looks: the probe of a
**     second dead announcer of the lease sits inside that window;
**   - a producer clearing the sleeper bit of a dead consumer (its wake
**     woke nobody) must not clear the bit of a consumer that has taken
**     that peer since the probe and gone to sleep. */
#include "mapbuf.h"
#include "check.h"
#include "emulated.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void (*hook)(void);
static pid_t hookpid;
static int fired;

/* Every kill of this program, the core's liveness probes included. */
int kill(pid_t pid, int sig) {
  if (pid == hookpid && !fired) {
    fired = 1;
    hook();
  }
  return (int)syscall(SYS_kill, pid, sig);
}

/* The pid of a process that has come and gone. */
static pid_t deadpid(void) {
  pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, NULL, 0);
  return p;
}

static mb_ring *holder;
static int ackedthen;

static void ackthen(void) { mb_ring_ack(holder, &ackedthen); }

static void test_rescue(void) {
  mb_map *m = NULL;
  mb_ring *pr = NULL, *rescuer = NULL;
  size_t sz = mb_ring_size(1024), n;
  mb_ringopts o;
  uint64_t *peer;
  mb_ringstats s;
  int ok;
  memset(&o, 0, sizeof o);
  o.capacity = 1024;
  o.multi = 1;
  o.spin = -1;
  CHECK_RC(mb_anon(&m, sz, 0), 0);
  CHECK_RC(mb_ring_create(&pr, m, 0, sz, &o), 0);
  peer = (uint64_t *)(m->base + 4608);      /* the consumer peers: 8 words each */
  CHECK_RC(mb_ring_push(pr, "one", 3, 0, 0, &ok), 0);
  peer[0] = peer[8] = 1;                     /* keep peers 0 and 1 for the dead */
  CHECK_RC(mb_ring_attach(&holder, m, 0, sz, NULL), 0);
  CHECK_RC(mb_ring_role(holder, MB_RING_CONSUMER), 0);      /* peer 2 */
  CHECK_RC(mb_ring_attach(&rescuer, m, 0, sz, NULL), 0);
  CHECK_RC(mb_ring_role(rescuer, MB_RING_CONSUMER), 0);     /* peer 3 */
  CHECK_RC(mb_ring_peek(holder, 0, 0, &n), 0);
  CHECK(mb_ring_leased(holder) && n == 3);
  peer[0] = (uint64_t)deadpid();             /* dead announcers of lease 1 */
  peer[1] = 1;
  hook = ackthen;
  fired = 0;
  hookpid = deadpid();
  peer[8] = (uint64_t)hookpid;
  peer[9] = 1;
  CHECK_RC(mb_ring_peek(rescuer, 0, 0, &n), 0);
  CHECK(fired && ackedthen == 1);            /* the window was hit */
  CHECK(!mb_ring_leased(rescuer));           /* and nothing handed out twice */
  CHECK_RC(mb_ring_stats(rescuer, &s), 0);
  CHECK(s.pushed == 1 && s.acked == 1 && s.handed == 1);
  mb_ring_free(rescuer);
  mb_ring_free(holder);
  mb_ring_free(pr);
  mb_free(m);
}

/* The consumer that takes the dead sleeper's peer in the window, and goes
** to sleep (its bit, set by hand: it would set it before its futex wait). */
static mb_ring *newcomer;
static mb_map *sleepmap;

static void takeandsleep(void) {
  CHECK_RC(mb_ring_role(newcomer, MB_RING_CONSUMER), 0);
  __atomic_fetch_or((uint64_t *)(sleepmap->base + 192), 1, __ATOMIC_SEQ_CST);
}

static void test_sleeper(void) {
  mb_map *m = NULL;
  mb_ring *pr = NULL;
  size_t sz = mb_ring_size(1024);
  mb_ringopts o;
  uint64_t *csleep;
  int ok;
  memset(&o, 0, sizeof o);
  o.capacity = 1024;
  o.spin = -1;
  CHECK_RC(mb_anon(&m, sz, 0), 0);
  CHECK_RC(mb_ring_create(&pr, m, 0, sz, &o), 0);
  CHECK_RC(mb_ring_attach(&newcomer, m, 0, sz, NULL), 0);
  sleepmap = m;
  csleep = (uint64_t *)(m->base + 192);
  /* the consumer peer: a dead owner whose bit says it sleeps */
  hook = takeandsleep;
  fired = 0;
  hookpid = deadpid();
  *(uint64_t *)(m->base + 4608) = (uint64_t)hookpid;
  __atomic_store_n(csleep, 1, __ATOMIC_SEQ_CST);
  /* the push wakes nobody, so it looks for dead sleepers */
  CHECK_RC(mb_ring_push(pr, "x", 1, 0, 0, &ok), 0);
  CHECK(ok == 1 && fired);                        /* the window was hit */
  CHECK(__atomic_load_n(csleep, __ATOMIC_SEQ_CST) == 1);   /* bit kept */
  {
    int n = -1;
    CHECK_RC(mb_ring_alive(pr, MB_RING_CONSUMER, &n), 0);
    CHECK(n == 1);
  }
  mb_ring_free(newcomer);
  mb_ring_free(pr);
  mb_free(m);
}

int main(void) {
  if (check_proc_faked()) {
    /* liveness reads /proc/PID/stat, which qemu-user does not fake the
    ** way it fakes /proc/self/stat: live peers would read as dead */
    printf("skip: the ring's windows: qemu-user fakes /proc/self/stat\n");
    return check_done();
  }
  test_rescue();
  test_sleeper();
  return check_done();
}
