/*
** bench/floor.c - the least stock Lua 5.4 lets any C userdata cost per
** call, whatever its C code does: a module "floor" whose objects hold a
** buffer and do only the job itself, with no argument checks at all.
** bench/icount builds it and counts it beside mapbuf's own paths, so the
** part of each figure that belongs to the Lua VM (the metamethod call, the
** method lookup, the C call frame, making strings) is measured, not guessed.
** Not part of mapbuf; not safe to call with wrong arguments.
*/
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

typedef struct Buf { unsigned char *p; size_t len, pos; } Buf;

/* u[i]: the byte, nothing checked but the bounds; other keys are the
** methods (upvalue 1) */
static int f_index(lua_State *L) {
  Buf *b = (Buf *)lua_touserdata(L, 1);
  int isnum;
  lua_Integer i = lua_tointegerx(L, 2, &isnum);
  if (!isnum) {
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
  }
  if ((lua_Unsigned)i - 1 < b->len) lua_pushinteger(L, b->p[i - 1]);
  else lua_pushnil(L);
  return 1;
}

/* u:unpack(fmt, p): the 4 bytes at p and the next position */
static int f_unpack(lua_State *L) {
  Buf *b = (Buf *)lua_touserdata(L, 1);
  lua_Integer i = lua_tointegerx(L, 3, NULL);
  unsigned int w;
  memcpy(&w, b->p + i - 1, 4);
  lua_pushinteger(L, w);
  lua_pushinteger(L, i + 4);
  return 2;
}

/* u:sub(i, j): one string from the bytes */
static int f_sub(lua_State *L) {
  Buf *b = (Buf *)lua_touserdata(L, 1);
  lua_Integer i = lua_tointegerx(L, 2, NULL), j = lua_tointegerx(L, 3, NULL);
  lua_pushlstring(L, (const char *)b->p + i - 1, (size_t)(j - i + 1));
  return 1;
}

/* u:readline(): memchr and one string per line; "" at the end */
static int f_readline(lua_State *L) {
  Buf *b = (Buf *)lua_touserdata(L, 1);
  const unsigned char *s = b->p + b->pos, *nl;
  size_t rem = b->len - b->pos, k;
  nl = memchr(s, '\n', rem);
  k = nl ? (size_t)(nl - s) + 1 : rem;
  b->pos += k;
  lua_pushlstring(L, (const char *)s, k);
  return 1;
}

static int f_lines_iter(lua_State *L) {
  Buf *b = (Buf *)lua_touserdata(L, lua_upvalueindex(1));
  const unsigned char *s = b->p + b->pos, *nl;
  size_t rem = b->len - b->pos, k;
  if (rem == 0) return 0;
  nl = memchr(s, '\n', rem);
  k = nl ? (size_t)(nl - s) : rem;
  b->pos += nl ? k + 1 : k;
  lua_pushlstring(L, (const char *)s, k);
  return 1;
}

static int f_lines(lua_State *L) {
  lua_settop(L, 1);
  lua_pushcclosure(L, f_lines_iter, 1);
  return 1;
}

static int f_rewind(lua_State *L) {
  ((Buf *)lua_touserdata(L, 1))->pos = 0;
  return 0;
}

static int f_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)((Buf *)lua_touserdata(L, 1))->len);
  return 1;
}

static int f_gc(lua_State *L) {
  free(((Buf *)lua_touserdata(L, 1))->p);
  return 0;
}

static const luaL_Reg methods[] = {
  {"unpack", f_unpack}, {"sub", f_sub}, {"readline", f_readline},
  {"lines", f_lines}, {"rewind", f_rewind}, {NULL, NULL}
};

/* floor.new(s): an object holding a copy of the bytes of s */
static int f_new(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  Buf *b = (Buf *)lua_newuserdatauv(L, sizeof(Buf), 0);
  b->p = malloc(n ? n : 1);
  memcpy(b->p, s, n);
  b->len = n;
  b->pos = 0;
  if (luaL_newmetatable(L, "bench.floor")) {
    luaL_newlib(L, methods);
    lua_pushcclosure(L, f_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, f_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, f_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return 1;
}

int luaopen_floor(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, f_new);
  lua_setfield(L, -2, "new");
  return 1;
}
