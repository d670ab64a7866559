/*
** sandbox.c - --sandbox: the chunk keeps string, table, math, utf8,
** coroutine, the safe base functions and its maps; it loses everything
** that reaches files or the process (io, os, require, package, debug,
** dofile, loadfile) and load accepts only text.
*/
#include "lua.h"
#include "lauxlib.h"

#include "host.h"

static const char *const removed[] = {
  "io", "os", "require", "package", "debug", "dofile", "loadfile", NULL
};

/* load with the mode forced to "t": a binary chunk could do anything. */
static int textload(lua_State *L) {
  int n = lua_gettop(L);
  if (n < 3) lua_settop(L, n = 3);
  if (!lua_isnoneornil(L, 3) && lua_type(L, 3) != LUA_TSTRING)
    luaL_argerror(L, 3, lua_pushfstring(L, "string expected, got %s",
                                        luaL_typename(L, 3)));
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

void host_sandbox(lua_State *L) {
  const char *const *name;
  for (name = removed; *name; name++) {
    lua_pushnil(L);
    lua_setglobal(L, *name);
  }
  lua_getglobal(L, "load");
  lua_pushcclosure(L, textload, 1);
  lua_setglobal(L, "load");
}
