/*
** ipcint.h - shared by the core's IPC files only (ipc.c, mutex.c, ring.c
** and the backend's ipc.c, live.c); not installed.  Clocks, futex calls
** that always carry a timeout, and the process liveness tests the robust
** mutex and the ring are built on: the platform implements them all
** (posix/ipc.c, posix/live.c), as os.h says.
*/
#ifndef MAPBUF_IPCINT_H
#define MAPBUF_IPCINT_H

#include <stdint.h>
#include <sys/types.h>

#include "mapbuf.h"

/* Seconds on CLOCK_MONOTONIC (system-wide: comparable between processes). */
double mb_now(void);
/* The same clock in nanoseconds. */
uint64_t mb_now_ns(void);
/* CLOCK_MONOTONIC_COARSE in seconds: a few ns to read, but it moves in
** ticks of some milliseconds (4 here).  For ages and rate limits. */
double mb_now_coarse(void);

/* Waits longer than this are as good as forever (and keep tv_sec sane). */
#define MB_FOREVER 1e9

/*
** Sleep while the 32-bit word at p holds v, at most timeout seconds
** (0 <= timeout; the kernel always gets a timeout, because a futex wait
** without one is restarted by the kernel after a signal handler installed
** with SA_RESTART, and then the signal could not cut it short).
** 0: woken, or the word did not hold v; ETIMEDOUT; EINTR: a signal
** handler ran; MB_E_TRUNCATED: the page went with a truncated file.
*/
int mb_futex_wait(uint32_t *p, uint32_t v, double timeout);
/* Wake up to n sleepers on p; *count gets how many woke.  0 or a code. */
int mb_futex_wake(uint32_t *p, int n, int *count);

/* Sleep for s seconds (nanosleep: a signal handler always cuts it short,
** SA_RESTART or not).  0, or EINTR. */
int mb_nap(double s);

/* A pause instruction for spin loops. */
static inline void mb_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* ---- liveness (posix/live.c, win32/live.c) ----
** A token names a process for as long as it lives: its pid in the low 30
** bits (Linux pids stay below 2^22; bit 31 is the ring's lock flag) and
** the low 32 bits of its start time (clock ticks since boot, from
** /proc/PID/stat) above, so that a pid the kernel hands out again does not
** pass for the dead process that had it.  Never 0. */
uint64_t mb_token_self(void);
/* Bumped in the child at each fork (pthread_atfork, registered by the
** first call of mb_forkgen): a value cached with the generation it was
** made in is stale when the two differ.  mb_forkgen_now reads it without
** the registration (for hot paths of objects made after one). */
unsigned mb_forkgen(void);
extern volatile unsigned mb_forkgen_now;
/* 1 if the process the token names is alive (a zombie is dead), else 0.
** Without /proc only the pid is checked. */
int mb_token_alive(uint64_t token);
static inline pid_t mb_token_pid(uint64_t t) { return (pid_t)(t & 0x3FFFFFFF); }

/* A new open file description of the file behind fd (not a dup, which
** would share one): OFD locks taken through it are this caller's alone.
** The descriptor (close-on-exec), or -1 with errno set. */
int mb_reopen(int fd, int writable);
/* mb_reopen(fd, 1) for a holder of OFD locks that a fork child must not
** keep: the child closes its copy at fork.  mb_lockfd_close closes it
** (nothing, in a child, for a description made before the fork: gen is
** mb_forkgen() when it was opened).  -1 with errno set on failure. */
int mb_lockfd_open(int fd);
void mb_lockfd_close(int d, unsigned gen);
/* One byte at file offset at: take an exclusive OFD lock without waiting
** (*got 0: busy), drop it, or ask whether another open file description
** holds a lock on it (*held).  0 or an errno. */
int mb_lockbyte(int fd, uint64_t at, int *got);
int mb_unlockbyte(int fd, uint64_t at);
int mb_probebyte(int fd, uint64_t at, int *held);

#endif
