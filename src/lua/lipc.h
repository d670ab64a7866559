/*
** lipc.h - private to lipc.c and lring.c: how a blocking method lets a
** signal that Lua handles interrupt it.
**
** lua5.4 and the host react to SIGINT (the host to SIGTERM too) the same
** way: the handler sets a hook with lua_sethook (call, return and count
** events), and the hook raises "interrupted!".  A hook only runs when the
** interpreter does something, so a method blocked in C would only be
** interrupted once it returns.  Blocking methods therefore:
**
**   - call the core in slices of at most LMB_SLICE seconds, with MB_INTR,
**     so the core returns EINTR as soon as a handler has run (its sleeps
**     are always timed, and a timed sleep returns EINTR after a handler,
**     SA_RESTART or not);
**   - after EINTR, after each slice, and before the first, call
**     lmb_intrpoint: if a hook is set, it calls a C function that does
**     nothing, through lua_call, so the call hook fires now and raises
**     inside the method.  A hook that does not raise (another signal, the
**     host's progress tick) returns, and the method waits on;
**   - take every core pointer again after it (the hook may run any Lua
**     code: close the map, free the ring).
**
** The core holds nothing when it returns EINTR (no lock, no lease, no
** sleeper bit), so an interrupted call leaves nothing behind.
**
** One window is left: a signal that arrives after the check and before
** the core's sleep begins (its spin, a lock's try) runs its handler then,
** and the sleep that follows does not see it; the slice's end does.  So an
** interruption takes at most LMB_SLICE, and usually microseconds.
*/
#ifndef LIPC_H
#define LIPC_H

#include "lmapbuf.h"

#define LMB_SLICE 0.1

void lmb_intrpoint(lua_State *L);

/* Seconds on the monotonic clock. */
double lmb_monotime(void);

/* The deadline of a wait of timeout seconds (< 0: none, -1), and the
** next slice of it: at most LMB_SLICE, 0 once it has passed. */
static inline double lmb_deadline(double timeout) {
  return timeout < 0 ? -1 : lmb_monotime() + timeout;
}
static inline double lmb_nextslice(double dl) {
  double left;
  if (dl < 0) return LMB_SLICE;
  left = dl - lmb_monotime();
  if (left < 0) return 0;
  return left < LMB_SLICE ? left : LMB_SLICE;
}

/* The ring's functions (lring.c): mapbuf._ring() returns a table of them. */
int lmb_ringlib(lua_State *L);

#endif
