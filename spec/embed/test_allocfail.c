/*
** test_allocfail.c - the binding under a host that caps memory: every
** operation that allocates is run in a lua_State whose allocator fails at
** the Nth allocation, for every N until it succeeds.  After each failure
** the state must be usable and either as it was or fully set up (never a
** half-built metatable that later maps would get), and every buffer lent
** with mapbuf_pushmemory must be released exactly once.  Run under
** valgrind and ASan by ctest, so a leak or a stray access fails too.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "mapbuf_lua.h"
#include "lcompat.h"
#include "check.h"

/* ---- an allocator with a budget ---- */

static long budget = -1;   /* allocations left; -1: no limit */

static void *alloc(void *ud, void *p, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  if (p == NULL || nsize > osize) {   /* a new block, or a bigger one */
    if (budget == 0) return NULL;
    if (budget > 0) budget--;
  }
  return realloc(p, nsize);
}

/* ---- lent buffers, counted ---- */

#define NBUF 4096
static unsigned char buffers[NBUF][16];
static int lent[NBUF], released[NBUF], nbuf;

static void release(void *ud, void *p, size_t len) {
  int i = (int)(intptr_t)ud;
  (void)len;
  CHECK_MSG(i >= 0 && i < nbuf && p == buffers[i], "release of what was not lent");
  released[i]++;
}

static int lend(lua_State *L, int writable) {
  int i = nbuf++;
  int rc = mapbuf_pushmemory(L, buffers[i], sizeof buffers[i], writable,
                             release, (void *)(intptr_t)i);
  if (rc == 0) lent[i] = 1;
  return rc;
}

/* ---- the checks after each attempt ---- */

/* With no limit: a new map in this state works in every way (so the
** metatable is whole, or was not registered and is built now). */
static int usable(lua_State *L) {
  static const char check[] =
    "local m = ...\n"
    "assert(#m == 16, #m) assert(m[1] == 0, m[1]) assert(m:sub(1, 2) == '\\0\\0')\n"
    "m[1] = 7; assert(m[1] == 7)\n"
    "assert(m:view(2, 3):sub(1) == '\\0\\0')\n"
    "assert(getmetatable(m).__gc == nil and getmetatable(m).__index)\n"
    "assert(not pcall(getmetatable(m).__len, io.stdout))\n"
    "assert(m:array('<i2')[1] == 7)\n"
    "m:close(); assert(m:closed())\n";
  int ok;
  budget = -1;
  if (luaL_loadstring(L, check) != LUA_OK) return 0;
  if (lend(L, 1) != 0) return 0;
  ok = lua_pcall(L, 1, 0, 0) == LUA_OK;
  if (!ok) fprintf(stderr, "unusable: %s\n", lua_tostring(L, -1));
  lua_settop(L, 0);
  return ok;
}

static lua_State *newstate(void) {
  lua_State *L;
  budget = -1;
  L = lua_newstate(alloc, NULL);
  luaL_openlibs(L);
  return L;
}

static void closestate(lua_State *L) {
  budget = -1;
  lua_close(L);
}

/* every buffer lent so far released exactly once (states are closed) */
static void allreleased(const char *what) {
  int i, bad = 0;
  for (i = 0; i < nbuf; i++)
    if (lent[i] && released[i] != 1) bad++;
  CHECK_MSG(bad == 0, "%s: %d buffers not released exactly once", what, bad);
  memset(lent, 0, sizeof lent);
  memset(released, 0, sizeof released);
  memset(buffers, 0, sizeof buffers);
  nbuf = 0;
}

/* ---- scenarios: each a C function run under lua_pcall ---- */

static int s_pushmemory(lua_State *L) {   /* the first push into a state */
  if (lend(L, 1) != 0) return luaL_error(L, "pushmemory refused");
  return 1;
}

static int s_pushmap(lua_State *L) {
  mb_map *m;
  if (mb_anon(&m, 64, 1) != 0) return luaL_error(L, "mb_anon");
  mapbuf_pushmap(L, m);   /* owns m even when it raises */
  return 1;
}

static int s_trypushmap(lua_State *L) {
  mb_map *m;
  if (mb_anon(&m, 64, 1) != 0) return luaL_error(L, "mb_anon");
  if (mapbuf_trypushmap(L, m) != 0) {
    mb_free(m);   /* still ours: nothing was pushed */
    return luaL_error(L, "not enough memory");
  }
  return 1;
}

static int s_open(lua_State *L) {
  luaL_requiref(L, "mapbuf", luaopen_mapbuf, 1);
  return 1;
}

static int s_openmaps(lua_State *L) {
  luaL_requiref(L, "mapbuf_maps", luaopen_mapbuf_maps, 0);
  return 1;
}

/* A chunk of Lua run with the module as "mapbuf" and a lent map as "m". */
static const char *const chunks[] = {
  "return mapbuf.anon(64)",
  "return mapbuf.map(-1, 4096, {access = 'write'})",
  "return mapbuf.open(PATH)",
  "return mapbuf.open(PATH .. '.out', 'w+', {grow = true}):write(('x'):rep(100))",
  "return mapbuf.shm(SHM, 64, {})",
  "return m:sub(1, 10), m:view(2), m:array('<i2'), tostring(m)",
  "return m:gmatch('%z')(), m:find('(%z)'), m:match('()')",
  "m:seek('set', 0) return m:read('a'), m:lines()(), m:unpack('c3 z', 1)",
  "return m:view(1, 4):view(2):array('B'):sum()",
  "local t = {} for i = 1, 20 do t[i] = m:view(i % 16 + 1) end return #t",
};

static char path[256], shmname[64];

static int s_chunk(lua_State *L) {
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L);
}

/* Run scenario f (a chunk already on the stack for s_chunk) with the
** allocator failing at the Nth allocation, N = 0, 1, ...: returns the N
** at which it first succeeded. */
static long sweep(const char *what, lua_CFunction f, int chunk, int setup) {
  long n;
  for (n = 0; n < 100000; n++) {
    lua_State *L = newstate();
    int st;
    if (setup) {
      luaL_requiref(L, "mapbuf", luaopen_mapbuf, 1);
      lua_pop(L, 1);
      lua_pushstring(L, path);
      lua_setglobal(L, "PATH");
      lua_pushstring(L, shmname);
      lua_setglobal(L, "SHM");
      if (lend(L, 1) != 0) { CHECK_MSG(0, "%s: setup", what); closestate(L); return -1; }
      lua_setglobal(L, "m");
    }
    lua_pushcfunction(L, f);
    if (chunk >= 0 && luaL_loadstring(L, chunks[chunk]) != LUA_OK) {
      CHECK_MSG(0, "%s: %s", what, lua_tostring(L, -1));
      closestate(L);
      return -1;
    }
    budget = n;
    st = lua_pcall(L, chunk >= 0 ? 1 : 0, LUA_MULTRET, 0);
    budget = -1;
    if (st != LUA_OK) {
      const char *msg = lua_tostring(L, -1);
      /* a memory error, or what the scenario raised for one */
      CHECK_MSG(st == LUA_ERRMEM || (msg && strstr(msg, "not enough memory")),
                "%s at %ld: %s", what, n, msg ? msg : "?");
    }
    lua_settop(L, 0);
    CHECK_MSG(usable(L), "%s: the state is not usable after failing at %ld", what, n);
    closestate(L);
    shm_unlink(shmname);
    if (st == LUA_OK) return n;
  }
  CHECK_MSG(0, "%s never succeeded", what);
  return -1;
}

int main(void) {
  static const struct { const char *name; lua_CFunction f; } first[] = {
    {"first mapbuf_pushmemory", s_pushmemory},
    {"first mapbuf_pushmap", s_pushmap},
    {"first mapbuf_trypushmap", s_trypushmap},
    {"luaopen_mapbuf", s_open},
    {"luaopen_mapbuf_maps", s_openmaps},
  };
  size_t k;
  long total = 0;
  FILE *f;
  snprintf(path, sizeof path, "/tmp/mapbuf-allocfail-%d", (int)getpid());
  snprintf(shmname, sizeof shmname, "/mapbuf-allocfail-%d", (int)getpid());
  f = fopen(path, "wb");
  fputs("abc\ndef\n", f);
  fclose(f);
  for (k = 0; k < sizeof first / sizeof first[0]; k++) {
    long n = sweep(first[k].name, first[k].f, -1, 0);
    printf("%-28s succeeds from allocation %ld on\n", first[k].name, n);
    total += n + 1;
    allreleased(first[k].name);
  }
  for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
    long n = sweep(chunks[k], s_chunk, (int)k, 1);
    printf("chunk %zu succeeds from allocation %ld on\n", k + 1, n);
    total += n + 1;
    allreleased(chunks[k]);
  }
  printf("%ld failing and succeeding runs\n", total);
  remove(path);
  {
    char out[300];
    snprintf(out, sizeof out, "%s.out", path);
    remove(out);
  }
  return check_done();
}
