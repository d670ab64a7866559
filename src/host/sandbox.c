/*
** sandbox.c - --sandbox: the chunk keeps string, table, math, utf8,
** coroutine, the safe base functions and its maps; it loses everything
** that reaches files or the process (io, os, require, package, debug,
** dofile, loadfile, module) and load (and loadstring, where there is one)
** accepts only text.
*/
#include "lua.h"
#include "lauxlib.h"

#include "host.h"

/* (module: 5.1's, kept by 5.2's compatibility and LuaJIT: module("io")
** makes the loaded io library the caller's environment) */
static const char *const removed[] = {
  "io", "os", "require", "package", "debug", "dofile", "loadfile", "module",
  NULL
};

/* load with the mode forced to "t": a binary chunk could do anything. */
#if LUA_VERSION_NUM == 501 && !LMB_LUAJIT
/* Lua 5.1's load and loadstring take no mode and load binary chunks too:
** here the chunk is read whole (from the string, or the reader function's
** pieces, as 5.1's load reads them) and loaded by luaL_loadbufferx, which
** refuses a binary one (lcompat.c); an environment is ignored, as 5.1's
** load ignores it. */
static int textload(lua_State *L) {
  size_t len;
  const char *s, *name;
  int status;
  if (lua_type(L, 1) == LUA_TSTRING) {
    s = lua_tolstring(L, 1, &len);
    name = luaL_optstring(L, 2, s);
  } else {
    luaL_Buffer b;
    luaL_checktype(L, 1, LUA_TFUNCTION);
    name = luaL_optstring(L, 2, "=(load)");
    lua_settop(L, 2);
    luaL_buffinit(L, &b);
    for (;;) {
      lua_pushvalue(L, 1);
      lua_call(L, 0, 1);
      if (lua_isnil(L, -1)) { lua_pop(L, 1); break; }
      if (!lua_isstring(L, -1))
        return luaL_error(L, "reader function must return a string");
      if (lua_objlen(L, -1) == 0) { lua_pop(L, 1); break; }
      luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    s = lua_tolstring(L, -1, &len);
  }
  status = luaL_loadbufferx(L, s, len, name, "t");
  if (status == LUA_OK) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}
#else
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
#endif

/* loadstring(s [, name]), where there is one (5.1, LuaJIT, and 5.2 built
** with its compatibility, where it is load itself): text only, as load. */
static int textloadstring(lua_State *L) {
  luaL_checkstring(L, 1);
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, LUA_MULTRET);
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
  lua_pushvalue(L, -1);
  lua_setglobal(L, "load");
  if (lua_getglobal(L, "loadstring") != LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushcclosure(L, textloadstring, 1);   /* upvalue: the text load */
    lua_setglobal(L, "loadstring");
  } else {
    lua_pop(L, 2);
  }
}
