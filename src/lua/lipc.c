/*
** lipc.c - the map object's IPC methods (atomics, wait/wake, locks), the
** module's named shared memory functions, mapbuf.fence, mapbuf.mutex and
** the door to the ring (lring.c).  Blocking calls wait in slices and can
** be interrupted: see lipc.h.
*/
#include <limits.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "lbind.h"
#include "lipc.h"


/* ---- interruptions (lipc.h) ---- */

static int nothing(lua_State *L) { (void)L; return 0; }

void lmb_intrpoint(lua_State *L) {
  if (lua_gethook(L) == NULL) return;
  lua_pushcfunction(L, nothing);
  lua_call(L, 0, 0);   /* the call hook runs here, and may raise */
}

double lmb_monotime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define deadline lmb_deadline
#define nextslice lmb_nextslice


/* Raise for a misuse code, naming the argument it is about where there
** is one, as luaL_argerror does. */
static int misuse(lua_State *L, int rc, int posarg, int bitsarg) {
  if ((rc == MB_E_RANGE || rc == MB_E_MISALIGNED) && posarg > 0)
    return lmb_argerror(L, posarg, mb_strerror(rc));
  if (rc == MB_E_BITS && bitsarg > 0)
    return lmb_argerror(L, bitsarg, mb_strerror(rc));
  return lmb_misuse(L, rc);
}

/* A core result: misuse raises, an OS failure becomes nil, msg, errno
** (returns 3), success returns 0. */
static int result(lua_State *L, int rc, int posarg, int bitsarg) {
  if (rc < 0) return misuse(L, rc, posarg, bitsarg);
  return rc == 0 ? 0 : lmb_result(L, rc, NULL);
}

static int optbits(lua_State *L, int arg) {
  lua_Integer b;
  if (lua_isnone(L, arg)) return 64;
  b = lmb_optint(L, arg, 64);
  lmb_argcheck(L, b == 32 || b == 64, arg, mb_strerror(MB_E_BITS));
  return (int)b;
}

/* The core offset of the w-byte word at the 1-based (or negative)
** position in argument arg.  The map's length is taken here, after every
** other argument was read (a conversion may have run a finalizer). */
static size_t wordoff(lua_State *L, LMap *m, int arg, size_t w) {
  size_t len;
  lua_Integer pos = lmb_checkint(L, arg);
  lmb_bytes(L, m, &len);
  if (pos < 0) pos += (lua_Integer)len + 1;  /* -1 is the last byte */
  lmb_argcheck(L, pos >= 1 && len >= w && (lmb_Unsigned)pos - 1 <= len - w,
               arg, mb_strerror(MB_E_RANGE));
  return lmb_base(m) + (size_t)(pos - 1);
}

/* A 64-bit word goes to Lua as the integer with the same bits. */
static void pushword(lua_State *L, uint64_t v, int bits) {
  if (bits == 32) lua_pushinteger(L, (lua_Integer)(uint32_t)v);
  else lua_pushinteger(L, (lua_Integer)(int64_t)v);
}


static int atomic_load(lua_State *L) {
  LMap *m; size_t len, off; uint64_t v; int bits, rc;
  lmb_checkself(L, &m, &len);
  bits = optbits(L, 3);
  off = wordoff(L, m, 2, (size_t)bits / 8);
  rc = mb_atomic_load(lmb_core(m), off, bits, &v);
  if (rc != 0) return misuse(L, rc, 2, 3);
  pushword(L, v, bits);
  return 1;
}

static int atomic_store(lua_State *L) {
  LMap *m; size_t len, off; int bits, rc;
  lua_Integer v;
  lmb_checkself(L, &m, &len);
  bits = optbits(L, 4);
  v = lmb_checkint(L, 3);
  off = wordoff(L, m, 2, (size_t)bits / 8);
  rc = mb_atomic_store(lmb_core(m), off, bits, (uint64_t)v);
  if (rc != 0) return misuse(L, rc, 2, 4);
  return 0;
}

static int atomic_add(lua_State *L) {
  LMap *m; size_t len, off; int bits, rc;
  uint64_t old;
  lua_Integer d;
  lmb_checkself(L, &m, &len);
  bits = optbits(L, 4);
  d = lmb_checkint(L, 3);
  off = wordoff(L, m, 2, (size_t)bits / 8);
  /* unsigned arithmetic wraps: a negative delta subtracts */
  rc = mb_atomic_add(lmb_core(m), off, bits, (uint64_t)d, &old);
  if (rc != 0) return misuse(L, rc, 2, 4);
  pushword(L, old, bits);
  return 1;
}

static int cas(lua_State *L) {
  LMap *m; size_t len, off; int bits, rc, swapped;
  uint64_t cur;
  lua_Integer e, d;
  lmb_checkself(L, &m, &len);
  bits = optbits(L, 5);
  e = lmb_checkint(L, 3);
  d = lmb_checkint(L, 4);
  off = wordoff(L, m, 2, (size_t)bits / 8);
  rc = mb_cas(lmb_core(m), off, bits, (uint64_t)e, (uint64_t)d, &swapped, &cur);
  if (rc != 0) return misuse(L, rc, 2, 5);
  lua_pushboolean(L, swapped);
  if (swapped) return 1;
  pushword(L, cur, bits);
  return 2;
}


static int l_wait(lua_State *L) {
  LMap *m; size_t len, off; int rc, woken;
  lua_Integer e;
  double timeout = -1, dl;
  lmb_checkself(L, &m, &len);
  e = lmb_checkint(L, 3);
  /* the word holds 0 .. 2^32-1: a value outside can never be what it
  ** holds, and cutting it to 32 bits would make it one */
  lmb_argcheck(L, e >= 0 && e <= (lua_Integer)UINT32_MAX, 3,
               "value out of range (0..2^32-1)");
  if (!lua_isnoneornil(L, 4)) {
    timeout = (double)lmb_checknumber(L, 4);
    lmb_argcheck(L, timeout == timeout && timeout >= 0, 4,
                 "timeout must be a non-negative number");
    if (timeout >= 1e9) timeout = -1;   /* math.huge: forever */
  }
  off = wordoff(L, m, 2, 4);
  dl = deadline(timeout);
  for (;;) {
    double s = nextslice(dl);
    lmb_intrpoint(L);
    off = wordoff(L, m, 2, 4);   /* the map may have changed meanwhile */
    rc = mb_waitx(lmb_core(m), off, (uint32_t)e, s, MB_INTR, &woken);
    if (rc == EINTR) continue;   /* the hook runs at the top, or we wait on */
    if (rc != 0) return result(L, rc, 2, 0);
    if (woken || s == 0 || (dl >= 0 && nextslice(dl) == 0)) break;
  }
  lua_pushboolean(L, woken);
  return 1;
}

static int l_wake(lua_State *L) {
  LMap *m; size_t len, off; int rc, count;
  lua_Integer n;
  lmb_checkself(L, &m, &len);
  n = lmb_optint(L, 3, INT_MAX);
  lmb_argcheck(L, n >= 0, 3, "count must be non-negative");
  if (n > INT_MAX) n = INT_MAX;
  off = wordoff(L, m, 2, 4);
  rc = mb_wake(lmb_core(m), off, (int)n, &count);
  if (rc != 0) return result(L, rc, 2, 0);
  lua_pushinteger(L, count);
  return 1;
}


/* The byte range of arguments i and n (1-based start, count; default the
** whole map or view) as a core offset and count; the map's length is
** taken after both were read. */
static void lockrange(lua_State *L, LMap *m, int iarg, uint64_t *off,
                      uint64_t *n) {
  size_t len;
  lua_Integer i = lmb_optint(L, iarg, 1), c;
  int hasc = !lua_isnoneornil(L, iarg + 1);
  c = hasc ? lmb_checkint(L, iarg + 1) : 0;
  lmb_bytes(L, m, &len);
  if (i < 0) i += (lua_Integer)len + 1;
  lmb_argcheck(L, i >= 1 && (lmb_Unsigned)i - 1 <= len, iarg,
               mb_strerror(MB_E_RANGE));
  if (!hasc) c = (lua_Integer)(len - (size_t)(i - 1));
  lmb_argcheck(L, c >= 0 && (lmb_Unsigned)c <= len - (size_t)(i - 1),
               iarg + 1, mb_strerror(MB_E_RANGE));
  *off = lmb_base(m) + (uint64_t)(i - 1);
  *n = (uint64_t)c;
}

/* An empty range: nothing to lock (to the kernel, a length of 0 would
** mean "to the end of the file"), but still only where locks can be. */
static int emptyrange(lua_State *L, LMap *m) {
  int k = lmb_core(m)->kind;
  if (k == MB_KIND_ANON || k == MB_KIND_HOST) return lmb_misuse(L, MB_E_NOFILE);
  lua_pushboolean(L, 1);
  return 1;
}

/* m:lock's wait: none, nil or true wait forever (-1); false tries once
** (0); a number waits that many seconds (negative or NaN: once; huge:
** forever); any other value counts as true, as it did before numbers. */
static double lockwait(lua_State *L, int arg) {
  if (lua_type(L, arg) == LUA_TNUMBER) {
    double t = (double)lua_tonumber(L, arg);
    if (!(t > 0)) return 0;
    return t >= 1e9 ? -1 : t;
  }
  if (lua_isnoneornil(L, arg)) return -1;
  return lua_toboolean(L, arg) ? -1 : 0;
}

static int l_lock(lua_State *L) {
  static const char *const modes[] = {"r", "w", NULL};
  LMap *m; size_t len; uint64_t off, n; int excl, got, rc;
  double wait, dl;
  lmb_checkself(L, &m, &len);
  excl = lmb_checkoption(L, 2, "w", modes);
  wait = lockwait(L, 5);
  lockrange(L, m, 3, &off, &n);
  if (n == 0) return emptyrange(L, m);
  dl = deadline(wait);
  for (;;) {
    double s = wait == 0 ? 0 : nextslice(dl);
    lmb_intrpoint(L);
    lockrange(L, m, 3, &off, &n);   /* the map may have changed meanwhile */
    if (n == 0) return emptyrange(L, m);
    /* interrupted before it was granted: nothing is held */
    rc = mb_lockx(lmb_core(m), excl, off, n, s, MB_INTR, &got);
    if (rc == EINTR) continue;
    if (rc != 0) return result(L, rc, 3, 0);
    if (got || s == 0 || (dl >= 0 && nextslice(dl) == 0)) break;
  }
  lua_pushboolean(L, got);
  return 1;
}

static int l_unlock(lua_State *L) {
  LMap *m; size_t len; uint64_t off, n; int rc;
  lmb_checkself(L, &m, &len);
  lockrange(L, m, 2, &off, &n);
  if (n == 0) return emptyrange(L, m);
  rc = mb_unlock(lmb_core(m), off, n);
  if (rc != 0) return result(L, rc, 2, 0);
  lua_pushboolean(L, 1);
  return 1;
}


const luaL_Reg lmb_ipc_methods[] = {
  {"atomic_load", atomic_load},
  {"atomic_store", atomic_store},
  {"atomic_add", atomic_add},
  {"cas", cas},
  {"wait", l_wait},
  {"wake", l_wake},
  {"lock", l_lock},
  {"unlock", l_unlock},
  {NULL, NULL}
};


/* mapbuf.shm(name [, size [, opts]]) */
/* A name for shm_open: a C string, so no embedded zeros. */
static const char *checkname(lua_State *L, int arg) {
  size_t len;
  const char *name = lmb_checklstring(L, arg, &len);
  lmb_argcheck(L, strlen(name) == len, arg, "name contains zeros");
  return name;
}

static int l_shm(lua_State *L) {
  static const char *const keys[] = {"exclusive", "readonly", NULL};
  const char *name = checkname(L, 1);
  int has_size = !lua_isnoneornil(L, 2), flags = 0, rc;
  lua_Integer size = 0;
  LMap *m;
  mb_map *core;
  if (has_size) {
    size = lmb_checkint(L, 2);
    lmb_argcheck(L, size >= 0, 2, "size must be non-negative");
  }
  if (lmb_opttable(L, 3, keys)) {
    if (lua_getfield(L, 3, "exclusive") != LUA_TNIL && lua_toboolean(L, -1))
      flags |= MB_SHM_EXCL;
    if (lua_getfield(L, 3, "readonly") != LUA_TNIL && lua_toboolean(L, -1))
      flags |= MB_SHM_RDONLY;
    lua_pop(L, 2);
    lmb_argcheck(L, !((flags & MB_SHM_RDONLY) && has_size), 3,
                  "'readonly' cannot be given with a size");
    lmb_argcheck(L, !((flags & MB_SHM_EXCL) && !has_size), 3,
                  "'exclusive' needs a size");
  }
  m = lmb_newmap(L, NULL);   /* first: if this raises, nothing is owed */
  rc = mb_shm(&core, name, (uint64_t)size, has_size, flags);
  if (rc != 0) return lmb_result(L, rc, name);
  lmb_setcore(m, core);
  return 1;
}

/* mapbuf.shm_unlink(name) */
static int l_shm_unlink(lua_State *L) {
  const char *name = checkname(L, 1);
  int rc = mb_shm_unlink(name);
  if (rc != 0) return lmb_result(L, rc, name);
  lua_pushboolean(L, 1);
  return 1;
}

/* mapbuf.monotime(): seconds on a monotonic clock, with nanosecond
** resolution; what timeouts, heartbeats and latency benches need and
** os.time / os.clock cannot give. */
static int monotime(lua_State *L) {
  lua_pushnumber(L, (lua_Number)lmb_monotime());
  return 1;
}

/* mapbuf.fence(): a full memory barrier. */
static int fence(lua_State *L) {
  (void)L;
  mb_fence();
  return 0;
}


/* ---- mapbuf.mutex(m, pos): a robust mutex in the 8 bytes at pos ----
** The object keeps the map object (its uservalue) and the 1-based
** position in it; the core offset is worked out again at every call, so a
** closed map or a view left out of range raises as every method does. */

typedef struct LMutex {
  uint64_t tag;            /* MUTEXTAG */
  const struct LMutex *self;
  lua_Integer pos;         /* 1-based, in the map object */
} LMutex;

#define MUTEXTAG 0x6d62757478ULL   /* "mbutx" */
#define LMB_MUTEX "mapbuf.mutex"
static const char mutexkey = 0;

static int mxerror(lua_State *L, const char *fname, int rc) {
  return lmb_misusein(L, LMB_MUTEX, fname, rc);
}

/* Argument 1 of a mutex method; *off gets the core offset of its word
** now (the map checked: open, the view in range, the word inside). */
static LMutex *checkmx(lua_State *L, const char *fname, size_t *off,
                       LMap **pm) {
  LMutex *x = (LMutex *)lua_touserdata(L, 1);
  LMap *m;
  size_t len;
  if (x == NULL || lua_rawlen(L, 1) != sizeof(LMutex) || x->tag != MUTEXTAG ||
      x->self != x)
    luaL_error(L, "calling '%s' on bad self (mapbuf.mutex expected)", fname);
  lua_getiuservalue(L, 1, 1);
  m = lmb_test(L, -1);
  lua_pop(L, 1);   /* the uservalue keeps it alive */
  if (m == NULL) mxerror(L, fname, MB_E_CLOSED);
  lmb_bytes(L, m, &len);
  if (len < 8 || (lmb_Unsigned)x->pos - 1 > len - 8)
    mxerror(L, fname, MB_E_RANGE);
  *off = lmb_base(m) + (size_t)(x->pos - 1);
  *pm = m;
  return x;
}

/* lock([timeout]): true; true, "ownerdead"; or false (timed out) */
static int mxlockwith(lua_State *L, const char *fname, double timeout) {
  size_t off;
  LMap *m;
  int rc, got = 0, dead = 0;
  double dl = deadline(timeout);
  for (;;) {
    double s = timeout == 0 ? 0 : nextslice(dl);
    lmb_intrpoint(L);
    checkmx(L, fname, &off, &m);
    rc = mb_mutex_lock(lmb_core(m), off, s, MB_INTR, &got, &dead);
    if (rc == EINTR) continue;     /* not taken: the hook may raise */
    if (rc != 0) return mxerror(L, fname, rc);
    if (got || s == 0 || (dl >= 0 && nextslice(dl) == 0)) break;
  }
  lua_pushboolean(L, got);
  if (!got || !dead) return 1;
  lua_pushliteral(L, "ownerdead");
  return 2;
}

static int mx_lock(lua_State *L) {
  double timeout = -1;
  size_t off;
  LMap *m;
  checkmx(L, "lock", &off, &m);
  if (!lua_isnoneornil(L, 2)) {
    timeout = (double)luaL_checknumber(L, 2);
    if (!(timeout >= 0))
      luaL_error(L, "bad argument #1 to 'lock' (timeout must be a non-negative number)");
    if (timeout >= 1e9) timeout = -1;
  }
  return mxlockwith(L, "lock", timeout);
}

static int mx_trylock(lua_State *L) {
  size_t off;
  LMap *m;
  checkmx(L, "trylock", &off, &m);
  return mxlockwith(L, "trylock", 0);
}

static int mx_unlock(lua_State *L) {
  size_t off;
  LMap *m;
  int rc;
  checkmx(L, "unlock", &off, &m);
  if ((rc = mb_mutex_unlock(lmb_core(m), off)) != 0)
    return mxerror(L, "unlock", rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int mx_consistent(lua_State *L) {
  size_t off;
  LMap *m;
  int rc;
  checkmx(L, "consistent", &off, &m);
  if ((rc = mb_mutex_consistent(lmb_core(m), off)) != 0)
    return mxerror(L, "consistent", rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int mx_state(lua_State *L) {
  size_t off;
  LMap *m;
  mb_mutexstate st;
  int rc;
  checkmx(L, "state", &off, &m);
  if ((rc = mb_mutex_state(lmb_core(m), off, &st)) != 0)
    return mxerror(L, "state", rc);
  lua_createtable(L, 0, 5);
  if (st.pid != 0) {
    lua_pushinteger(L, st.pid);
    lua_setfield(L, -2, "pid");
  }
  lua_pushboolean(L, st.pid != 0);
  lua_setfield(L, -2, "locked");
  lua_pushboolean(L, st.alive);
  lua_setfield(L, -2, "alive");
  lua_pushboolean(L, st.mine);
  lua_setfield(L, -2, "mine");
  lua_pushboolean(L, st.inconsistent);
  lua_setfield(L, -2, "inconsistent");
  lua_pushboolean(L, st.waiters);
  lua_setfield(L, -2, "waiters");
  return 1;
}

static int mx_tostring(lua_State *L) {
  LMutex *x = (LMutex *)lua_touserdata(L, 1);
  if (x == NULL || lua_rawlen(L, 1) != sizeof(LMutex) || x->tag != MUTEXTAG)
    return luaL_error(L, "calling '__tostring' on bad self (mapbuf.mutex expected)");
  lua_pushfstring(L, "mapbuf.mutex(pos=" LMB_I ")", LMB_IARG(x->pos));
  return 1;
}

static const luaL_Reg mutex_methods[] = {
  {"lock", mx_lock}, {"trylock", mx_trylock}, {"unlock", mx_unlock},
  {"consistent", mx_consistent}, {"state", mx_state}, {NULL, NULL}
};

static const luaL_Reg mutex_metas[] = {{"__tostring", mx_tostring}, {NULL, NULL}};

/* mapbuf.mutex(m, pos) */
static int l_mutex(lua_State *L) {
  LMap *m = lmb_tomap(L, 1);
  lua_Integer pos = lmb_checkint(L, 2);
  size_t len;
  unsigned char *p;
  LMutex *x;
  lua_settop(L, 2);
  x = (LMutex *)lua_newuserdatauv(L, sizeof(LMutex), 1);
  x->tag = MUTEXTAG;
  x->self = x;
  x->pos = pos;
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  lmb_pushclass(L, &mutexkey, LMB_MUTEX, mutex_methods, mutex_metas);
  lua_setmetatable(L, -2);
  /* the word: inside the map, 8-aligned (taken after the allocations) */
  p = lmb_bytes(L, m, &len);
  if (pos < 0) pos += (lua_Integer)len + 1;
  lmb_argcheck(L, pos >= 1 && len >= 8 && (lmb_Unsigned)pos - 1 <= len - 8, 2,
               mb_strerror(MB_E_RANGE));
  lmb_argcheck(L, ((uintptr_t)(p + pos - 1)) % 8 == 0, 2,
               mb_strerror(MB_E_MISALIGNED));
  x->pos = pos;
  return 1;
}

const luaL_Reg lmb_ipc_funcs[] = {
  {"shm", l_shm},
  {"shm_unlink", l_shm_unlink},
  {NULL, NULL}
};

/* Module functions that reach nothing outside the maps a script has: the
** maps-only opener offers these too. */
const luaL_Reg lmb_safe_funcs[] = {
  {"monotime", monotime},
  {"fence", fence},
  {"mutex", l_mutex},
  {"_ring", lmb_ringlib},
  {NULL, NULL}
};
