/* test_ringwindow.c - a window of the ring's lease rescue, hit on purpose:
** a consumer rescuing a dead peer's lease must not take a message the live
** holder acknowledges while the rescuer looks.  The window lies between
** the rescuer's checks and its taking of the lease; the liveness probe of
** a second dead announcer sits inside it, so this program defines kill()
** (which the probe calls) to acknowledge the message there, once.  White
** box: two dead consumers announcing the lease by hand, as a consumer
** killed between its lease and its claim leaves it. */
#include "mapbuf.h"
#include "check.h"
#include "emulated.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static mb_ring *holder;
static pid_t hookpid;
static int fired, ackedthen;

/* Every kill of this program, the core's liveness probes included. */
int kill(pid_t pid, int sig) {
  if (pid == hookpid && !fired) {
    fired = 1;
    mb_ring_ack(holder, &ackedthen);
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

int main(void) {
  mb_map *m = NULL;
  mb_ring *pr = NULL, *rescuer = NULL;
  size_t sz = mb_ring_size(1024), n;
  mb_ringopts o;
  uint64_t *peer;
  mb_ringstats s;
  int ok;
  if (check_proc_faked()) {
    /* liveness reads /proc/PID/stat, which qemu-user does not fake the
    ** way it fakes /proc/self/stat: live peers would read as dead */
    printf("skip: the lease rescue window: qemu-user fakes /proc/self/stat\n");
    return check_done();
  }
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
  return check_done();
}
