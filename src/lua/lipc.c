/*
** lipc.c - the map object's IPC methods (atomics, wait/wake, locks) and
** the module's named shared memory functions.
*/
#include <limits.h>
#include <string.h>
#include <time.h>

#include "lbind.h"


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
  double timeout = -1;
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
  }
  off = wordoff(L, m, 2, 4);
  rc = mb_wait(lmb_core(m), off, (uint32_t)e, timeout, &woken);
  if (rc != 0) return result(L, rc, 2, 0);
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

static int l_lock(lua_State *L) {
  static const char *const modes[] = {"r", "w", NULL};
  LMap *m; size_t len; uint64_t off, n; int excl, block = 1, got, rc;
  lmb_checkself(L, &m, &len);
  excl = lmb_checkoption(L, 2, "w", modes);
  if (!lua_isnoneornil(L, 5)) block = lua_toboolean(L, 5);
  lockrange(L, m, 3, &off, &n);
  if (n == 0) return emptyrange(L, m);
  rc = mb_lock(lmb_core(m), excl, off, n, block, &got);
  if (rc != 0) return result(L, rc, 3, 0);
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
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
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
  {NULL, NULL}
};
