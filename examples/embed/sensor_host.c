/*
** sensor_host.c - a host that owns a sensor frame and lets a user's Lua
** script work on it in place, through the mapbuf glue (mapbuf_lua.h).
**
**   sensor-host [-r] script.lua [arg ...]
**
** The script gets the frame as a map object (local frame = ...) and its
** arguments in `arg`, as the `mapbuf` executable gives them; `-r` hands the
** frame over read-only.  Afterwards the host takes the frame back (closing
** the map, which runs the release callback) and prints what changed.
** Exit status: 0, 1 when the script failed, 2 on bad usage.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "mapbuf_lua.h"

#include "frame.h"

/* The host builds against Lua 5.2 .. 5.4 as written; for Lua 5.1 and
** LuaJIT (whose lauxlib.h defines luaL_newlib, and has luaL_traceback)
** the few 5.2 calls it uses are said here. */
#if LUA_VERSION_NUM < 502
#ifndef LUA_OK
#define LUA_OK 0
#endif
#define lua_absindex(L, i) \
  ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#ifndef luaL_newlib
/* plain 5.1: the traceback of debug.traceback */
static void luaL_traceback(lua_State *L, lua_State *L1, const char *msg, int level) {
  (void)L1;
  lua_getglobal(L, "debug");
  lua_getfield(L, -1, "traceback");
  lua_pushstring(L, msg);
  lua_pushinteger(L, level + 1);
  lua_call(L, 2, 1);
  lua_remove(L, -2);
}
#endif
/* luaL_requiref(L, name, f, 0) with the result left on the stack: f
** called with the name, its result recorded in package.loaded */
static void luaL_requiref(lua_State *L, const char *name, lua_CFunction f, int glb) {
  (void)glb;
  lua_pushcfunction(L, f);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaded");
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, name);
  lua_pop(L, 2);
}
#endif

/* What the host knows about the memory it lent: the release callback runs
** exactly once, when the map is closed or collected; from then on Lua can
** no longer reach the frame and the host may reuse or free it. */
struct loan {
  int released;
};

static void on_release(void *ud, void *p, size_t len) {
  struct loan *loan = (struct loan *)ud;
  (void)p; (void)len;
  loan->released++;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = lua_pushfstring(L, "(error object is a %s value)",
                                         luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Call m:close() on the map at idx: the host revokes its loan. */
static void closemap(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, "close");
  lua_pushvalue(L, idx);
  lua_call(L, 1, 0);
}

int main(int argc, char **argv) {
  struct frame frame, before;
  struct loan loan = {0};
  int writable = 1, first = 1, i, ok, mapref;
  lua_State *L;

  if (argc > 1 && strcmp(argv[1], "-r") == 0) writable = 0, first = 2;
  if (first >= argc) {
    fprintf(stderr, "usage: %s [-r] script.lua [arg ...]\n", argv[0]);
    return 2;
  }
  frame_fill(&frame, 42);
  before = frame;

  L = luaL_newstate();
  if (L == NULL) return fprintf(stderr, "sensor-host: out of memory\n"), 1;
  luaL_openlibs(L);
  /* registered as loaded, so the script's require "mapbuf" gets this
  ** very module instead of loading mapbuf.so a second time */
  luaL_requiref(L, "mapbuf", luaopen_mapbuf, 0);
  lua_pop(L, 1);

  lua_createtable(L, argc - first, 1);   /* arg, as lua.c builds it */
  for (i = first; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - first);
  }
  lua_setglobal(L, "arg");

  lua_pushcfunction(L, traceback);
  ok = luaL_loadfile(L, argv[first]) == LUA_OK;
  if (ok) {
    if (mapbuf_pushmemory(L, &frame, sizeof frame, writable, on_release,
                          &loan) != 0) {
      fprintf(stderr, "sensor-host: cannot lend the frame\n");
      lua_close(L);
      return 1;
    }
    lua_pushvalue(L, -1);
    mapref = luaL_ref(L, LUA_REGISTRYINDEX);   /* to take it back after */
    ok = lua_pcall(L, 1, 0, -3) == LUA_OK;
  }
  if (!ok) {
    fprintf(stderr, "sensor-host: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }

  /* Take the frame back.  The script may have closed it or stored it in a
  ** global; either way, closing it here ends the loan before the host
  ** looks at (or would reuse) the memory. */
  lua_rawgeti(L, LUA_REGISTRYINDEX, mapref);
  if (mapbuf_testmap(L, -1, NULL, NULL) == NULL)
    printf("the script closed the frame\n");
  closemap(L, -1);
  luaL_unref(L, LUA_REGISTRYINDEX, mapref);
  printf("released %d time%s\n", loan.released, loan.released == 1 ? "" : "s");

  frame_print(stdout, &frame);
  printf("changed:\n");
  if (frame_diff(stdout, &before, &frame) == 0) printf("  no change\n");
  lua_close(L);
  return loan.released == 1 ? 0 : 1;
}
