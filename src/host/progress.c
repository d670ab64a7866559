/*
** progress.c - -P/--progress: a bar on stderr, when stderr is a terminal,
** of bytes done out of the total, the rate and the time left.  It follows
** the stream cursor of the first map, until the chunk reports its own
** figures with progress(done, total).  A timer (host_timer: SIGALRM, or a
** Windows timer thread) asks for a redraw through the hook in run.c, so
** the chunk pays nothing between redraws.
*/
#include <float.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"

#include "host.h"

#define TICK_US 200000   /* redraw every 0.2 s */
#define BARW 24

static struct {
  int enabled;           /* -P and stderr is a terminal */
  int running, drawn;
  int own;               /* the chunk called progress() */
  double done, total;    /* its figures */
  double t0;
  int mapref;            /* the first map, or LUA_NOREF */
} P = {0, 0, 0, 0, 0, 0, 0, LUA_NOREF};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1536 -> "1.5 KiB" */
static void human(char *buf, size_t n, double v) {
  static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (v >= 1024 && u < 4) { v /= 1024; u++; }
  if (u == 0) snprintf(buf, n, "%.0f B", v);
  else snprintf(buf, n, "%.1f %s", v, unit[u]);
}

static void draw(double done, double total) {
  char bar[BARW + 1], d[32], t[32], r[32], eta[32];
  double el = now() - P.t0, frac, rate;
  int fill;
  if (total <= 0) return;
  if (done < 0) done = 0;
  if (done > total) done = total;
  frac = done / total;
  rate = el > 0 ? done / el : 0;
  fill = (int)(frac * BARW);
  memset(bar, '#', (size_t)fill);
  memset(bar + fill, '-', (size_t)(BARW - fill));
  bar[BARW] = '\0';
  human(d, sizeof d, done);
  human(t, sizeof t, total);
  human(r, sizeof r, rate);
  if (rate > 0 && (total - done) / rate < 1e7) {   /* under 4 months */
    long s = (long)((total - done) / rate + 0.5);
    snprintf(eta, sizeof eta, "%ld:%02ld", s / 60, s % 60);
  } else {
    snprintf(eta, sizeof eta, "--:--");
  }
  fprintf(stderr, "\r[%s] %3d%%  %s / %s  %s/s  ETA %s\033[K", bar,
          (int)(frac * 100), d, t, r, eta);
  fflush(stderr);
  P.drawn = 1;
}

/* m:tell(), #m; run protected: the map may have been closed. */
static int readcursor(lua_State *L) {
  lua_getfield(L, 1, "tell");
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  lua_len(L, 1);
  return 2;
}

/* The first map's cursor and length; 0 when they cannot be read now. */
static int cursor(lua_State *L, double *done, double *total) {
  int ok = 0;
  if (P.mapref == LUA_NOREF) return 0;
  lua_pushcfunction(L, readcursor);
  lua_rawgeti(L, LUA_REGISTRYINDEX, P.mapref);
  if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
    lua_pop(L, 1);
    return 0;
  }
  if (lua_isinteger(L, -2) && lua_isinteger(L, -1)) {
    *done = (double)lua_tointeger(L, -2);
    *total = (double)lua_tointeger(L, -1);
    ok = 1;
  }
  lua_pop(L, 2);
  return ok;
}

static void tick(lua_State *L) {
  double done, total;
  if (!P.running) return;
  if (P.own) draw(P.done, P.total);
  else if (cursor(L, &done, &total)) draw(done, total);
}

/* progress(done [, total]): the chunk's own figures (a no-op without -P). */
static int lprogress(lua_State *L) {
  double done = luaL_checknumber(L, 1);
  double total = luaL_optnumber(L, 2, P.own ? P.total : 0);
  /* finite: the bar, the rate and the time left are drawn from them */
  luaL_argcheck(L, done >= 0 && done <= DBL_MAX, 1, "must be a finite number >= 0");
  luaL_argcheck(L, total >= 0 && total <= DBL_MAX, 2, "must be a finite number >= 0");
  P.own = 1;
  P.done = done;
  P.total = total;
  return 0;
}

void host_progress_open(lua_State *L, int enabled) {
  P.enabled = enabled && isatty(STDERR_FILENO);
  lua_pushcfunction(L, lprogress);
  lua_setglobal(L, "progress");
}

void host_progress_follow(lua_State *L, int idx) {
  lua_pushvalue(L, idx);
  P.mapref = luaL_ref(L, LUA_REGISTRYINDEX);
}

static void ontimer(void) { host_request(HOST_PEND_TICK); }

void host_progress_start(lua_State *L) {
  (void)L;
  if (!P.enabled) return;
  P.t0 = now();
  P.running = 1;
  host_ontick(tick);
  host_timer(TICK_US, ontimer);
}

/* Stop the timer; a bar that was shown ends on its last figures. */
void host_progress_finish(lua_State *L) {
  if (!P.running) return;
  host_timer(0, NULL);
  if (P.drawn) {
    tick(L);
    fputc('\n', stderr);
    fflush(stderr);
  }
  P.running = P.drawn = 0;
}
