/*
** module.c - require "mapbuf": the module functions open, map and anon,
** the constants, and the metatable every map object shares, with the one
** __index that serves both m[i] and method lookup.
*/
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "lbind.h"
#include "lualib.h"
#include "mapbuf_lua.h"


/* ---------------------------------------------------------------------
** m[i] and m[i] = v
** ------------------------------------------------------------------- */

/* Key at index 2 as a position, if it is an integer or an integral
** float; anything else is not a position. */
static int tokeypos(lua_State *L, lua_Integer *i) {
  int isnum;
  if (lua_isinteger(L, 2)) { *i = lua_tointeger(L, 2); return 1; }
  if (lua_type(L, 2) != LUA_TNUMBER) return 0;
  *i = lua_tointegerx(L, 2, &isnum);
  return isnum;
}

/* Offset of position i (1-based, negative from the end) in a span of len
** bytes, or -1 when it falls outside. */
static ptrdiff_t keyoffset(lua_Integer i, size_t len) {
  if (i > 0) return (lua_Unsigned)i <= len ? (ptrdiff_t)(i - 1) : -1;
  if (i < 0) {
    lua_Unsigned back = 0u - (lua_Unsigned)i;   /* no overflow at MININTEGER */
    return back <= len ? (ptrdiff_t)(len - back) : -1;
  }
  return -1;
}

/* The map at index 1 for a metamethod called with anything at all
** (getmetatable(m).__index(x, 1) must not crash): the metatable is the
** closure's upvalue 2, so one pointer compare decides. */
static LMap *selfmap(lua_State *L) {
  LMap *m = (LMap *)lua_touserdata(L, 1);
  if (m == NULL || !lua_getmetatable(L, 1)) return lmb_tomap(L, 1);
  if (!lua_rawequal(L, -1, lua_upvalueindex(2))) return lmb_tomap(L, 1);
  lua_pop(L, 1);
  return m;
}

/* Integer keys first (a bounds check and a load), then the methods. */
static int m_index(lua_State *L) {
  lua_Integer i;
  if (tokeypos(L, &i)) {
    size_t len;
    ptrdiff_t off;
    LMap *m = selfmap(L);
    const unsigned char *p = lmb_span(m, &len);
    if (p == NULL) p = lmb_check(L, 1, NULL, &len);   /* raises */
    if ((off = keyoffset(i, len)) < 0) lua_pushnil(L);
    else {
      lua_pushinteger(L, p[off]);
      lmb_touched(L, m, (size_t)off, 1);
    }
    return 1;
  }
  if (lua_type(L, 2) == LUA_TNUMBER) {   /* a fraction: no such byte */
    lua_pushnil(L);
    return 1;
  }
  lua_settop(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

static int m_newindex(lua_State *L) {
  lua_Integer i, v;
  size_t len;
  ptrdiff_t off;
  int isnum;
  unsigned char *p;
  LMap *m = selfmap(L);
  lmb_checkw(L, 1, NULL, &len);
  if (!tokeypos(L, &i))
    return luaL_error(L, "bad argument #2 to '__newindex' (%s)",
                      lua_type(L, 2) == LUA_TNUMBER
                        ? "number has no integer representation"
                        : lua_pushfstring(L, "position expected, got %s",
                                          luaL_typename(L, 2)));
  v = lua_tointegerx(L, 3, &isnum);
  if (!isnum || v < 0 || v > 255)
    return luaL_error(L, "bad argument #3 to '__newindex' (%s)",
                      isnum ? "value out of range (0..255)"
                            : "byte value expected");
  p = lmb_checkw(L, 1, NULL, &len);
  if ((off = keyoffset(i, len)) < 0)
    return luaL_error(L, "bad argument #2 to '__newindex' (out of range)");
  lmb_touched(L, m, (size_t)off, 1);
  p[off] = (unsigned char)v;
  lmb_touched(L, m, (size_t)off, 1);
  return 0;
}


/* ---------------------------------------------------------------------
** The metatable and new objects
** ------------------------------------------------------------------- */

/* Push the metatable, building it the first time (a host may push maps
** before anyone has required the module). */
static void pushmeta(lua_State *L) {
  if (luaL_newmetatable(L, LMB_MAP)) {
    luaL_setfuncs(L, lmb_map_metamethods, 0);
    lua_createtable(L, 0, 64);   /* the methods, from every method file */
    luaL_setfuncs(L, lmb_map_methods, 0);
    luaL_setfuncs(L, lmb_stream_methods, 0);
    luaL_setfuncs(L, lmb_search_methods, 0);
    luaL_setfuncs(L, lmb_pack_methods, 0);
    luaL_setfuncs(L, lmb_ipc_methods, 0);
    /* both closures get the methods (upvalue 1) and the metatable itself
    ** (upvalue 2, to recognise map objects with one compare) */
    lua_pushvalue(L, -1);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, m_newindex, 2);
    lua_setfield(L, -3, "__newindex");
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, m_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, LMB_MAP);
    lua_setfield(L, -2, "__name");
  }
}

mb_map lmb_deadcore = {.closed = 1, .fd = -1};

LMap *lmb_newobject(lua_State *L) {
  LMap *m = (LMap *)lua_newuserdatauv(L, sizeof(LMap), 1);
  memset(m, 0, sizeof *m);
  m->core = &lmb_deadcore;
  pushmeta(L);
  lua_setmetatable(L, -2);
  return m;
}

LMap *lmb_newmap(lua_State *L, mb_map *core) {
  LMap *m = lmb_newobject(L);
  m->core = core;
  return m;
}


/* ---------------------------------------------------------------------
** Module functions
** ------------------------------------------------------------------- */

/* Integer field k of the options table at index t, or def; raises with
** the name of the field when it is not a non-negative integer. */
static lua_Integer optfield(lua_State *L, int t, int arg, const char *k,
                            lua_Integer def) {
  lua_Integer v;
  int isnum;
  if (lua_getfield(L, t, k) == LUA_TNIL) { lua_pop(L, 1); return def; }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum)
    luaL_argerror(L, arg, lua_pushfstring(L, "field '%s' must be an integer", k));
  if (v < 0)
    luaL_argerror(L, arg, lua_pushfstring(L, "field '%s' must not be negative", k));
  lua_pop(L, 1);
  return v;
}

static int optbool(lua_State *L, int t, const char *k, int def) {
  int v;
  if (lua_getfield(L, t, k) == LUA_TNIL) v = def;
  else v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* The options table at arg, or none (0). */
static int opttable(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg)) return 0;
  luaL_checktype(L, arg, LUA_TTABLE);
  return arg;
}

/* mapbuf.open(path [, mode [, opts]]) */
static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *mode = luaL_optstring(L, 2, "r");
  int t = opttable(L, 3), md = mb_parsemode(mode), rc;
  mb_openopts o = {0, 0, 0, 0};
  LMap *m;
  mb_map *core = NULL;
  luaL_argcheck(L, md >= 0, 2, "invalid mode");
  if (md == MB_MODE_CREATE) {   /* truncating to nothing is never meant */
    if (t) lua_getfield(L, t, "size");
    if (!t || lua_isnil(L, -1)) return lmb_misuse(L, MB_E_NEEDSIZE);
    lua_pop(L, 1);
  }
  if (t) {
    o.size = (uint64_t)optfield(L, t, 3, "size", 0);
    o.offset = (uint64_t)optfield(L, t, 3, "offset", 0);
    o.length = (uint64_t)optfield(L, t, 3, "length", 0);
    o.populate = optbool(L, t, "populate", 0);
  }
  m = lmb_newobject(L);
  if ((rc = mb_open(&core, path, md, &o)) != 0) return lmb_result(L, rc, path);
  m->core = core;
  return 1;
}

/* The descriptor behind argument 1: a Lua file handle (flushed, so what
** it buffered is in the file before we map it) or an integer. */
static int checkfd(lua_State *L) {
  luaL_Stream *s = (luaL_Stream *)luaL_testudata(L, 1, LUA_FILEHANDLE);
  lua_Integer fd;
  if (s != NULL) {
    luaL_argcheck(L, s->closef != NULL, 1, "attempt to use a closed file");
    fflush(s->f);
    return fileno(s->f);
  }
  if (!lua_isnumber(L, 1))
    luaL_typeerror(L, 1, "file handle or descriptor");
  fd = lmb_checkint(L, 1);
  luaL_argcheck(L, fd >= -1 && fd <= 0x7fffffff, 1, "invalid file descriptor");
  return (int)fd;
}

/* access as a name or an ACCESS_* number */
static int checkaccess(lua_State *L, int t) {
  static const char *const names[] = {"default", "read", "write", "copy", NULL};
  int a;
  if (lua_getfield(L, t, "access") == LUA_TNIL) a = MB_ACCESS_DEFAULT;
  else if (lua_type(L, -1) == LUA_TSTRING) {
    const char *s = lua_tostring(L, -1);
    for (a = 0; names[a] != NULL && strcmp(names[a], s) != 0; a++) ;
    if (names[a] == NULL)
      luaL_argerror(L, 3, lua_pushfstring(L, "invalid access '%s'", s));
  } else {
    int isnum;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (!isnum || v < MB_ACCESS_DEFAULT || v > MB_ACCESS_COPY)
      luaL_argerror(L, 3, "invalid access");
    a = (int)v;
  }
  lua_pop(L, 1);
  return a;
}

/* An int-sized flag field, or -1 when not given. */
static int flagfield(lua_State *L, int t, const char *k) {
  lua_Integer v;
  int isnum;
  if (lua_getfield(L, t, k) == LUA_TNIL) { lua_pop(L, 1); return -1; }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum || v < 0 || v > 0x7fffffff)
    luaL_argerror(L, 3, lua_pushfstring(L, "invalid field '%s'", k));
  lua_pop(L, 1);
  return (int)v;
}

/* mapbuf.map(file, length [, opts]): Python's mmap.mmap */
static int l_map(lua_State *L) {
  int fd = checkfd(L), t, rc;
  lua_Integer length = lmb_checkint(L, 2);
  mb_mapopts o = {MB_ACCESS_DEFAULT, -1, -1, 0, 1, 0};
  LMap *m;
  mb_map *core = NULL;
  luaL_argcheck(L, length >= 0, 2, "length must not be negative");
  if ((t = opttable(L, 3)) != 0) {
    o.access = checkaccess(L, t);
    o.flags = flagfield(L, t, "flags");
    o.prot = flagfield(L, t, "prot");
    o.offset = (uint64_t)optfield(L, t, 3, "offset", 0);
    o.trackfd = optbool(L, t, "trackfd", 1);
    o.populate = optbool(L, t, "populate", 0);
  }
  m = lmb_newobject(L);
  if ((rc = mb_mapfd(&core, fd, (uint64_t)length, &o)) != 0)
    return lmb_result(L, rc, NULL);
  m->core = core;
  return 1;
}

/* mapbuf.anon(size [, opts]) */
static int l_anon(lua_State *L) {
  lua_Integer size = lmb_checkint(L, 1);
  int t = opttable(L, 2), priv = 0, rc;
  LMap *m;
  mb_map *core = NULL;
  luaL_argcheck(L, size >= 0, 1, "size must not be negative");
  if (t) priv = optbool(L, t, "private", 0);
  m = lmb_newobject(L);
  if ((uint64_t)size > (uint64_t)PTRDIFF_MAX) return lmb_result(L, ENOMEM, NULL);
  if ((rc = mb_anon(&core, (size_t)size, priv)) != 0)
    return lmb_result(L, rc, NULL);
  m->core = core;
  return 1;
}

static const luaL_Reg funcs[] = {
  {"open", l_open},
  {"map", l_map},
  {"anon", l_anon},
  {NULL, NULL}
};


/* ---------------------------------------------------------------------
** Constants
** ------------------------------------------------------------------- */

#define K(name) {#name, name}
static const struct { const char *name; lua_Integer value; } consts[] = {
  {"ACCESS_DEFAULT", MB_ACCESS_DEFAULT}, {"ACCESS_READ", MB_ACCESS_READ},
  {"ACCESS_WRITE", MB_ACCESS_WRITE}, {"ACCESS_COPY", MB_ACCESS_COPY},
  K(PROT_READ), K(PROT_WRITE), K(PROT_EXEC), K(PROT_NONE),
  K(MAP_SHARED), K(MAP_PRIVATE),
#ifdef MAP_ANONYMOUS
  K(MAP_ANONYMOUS), {"MAP_ANON", MAP_ANONYMOUS},
#endif
#ifdef MAP_SHARED_VALIDATE
  K(MAP_SHARED_VALIDATE),
#endif
#ifdef MAP_DENYWRITE
  K(MAP_DENYWRITE),
#endif
#ifdef MAP_EXECUTABLE
  K(MAP_EXECUTABLE),
#endif
#ifdef MAP_NORESERVE
  K(MAP_NORESERVE),
#endif
#ifdef MAP_POPULATE
  K(MAP_POPULATE),
#endif
#ifdef MAP_STACK
  K(MAP_STACK),
#endif
#ifdef MAP_LOCKED
  K(MAP_LOCKED),
#endif
#ifdef MAP_HUGETLB
  K(MAP_HUGETLB),
#endif
#ifdef MAP_NONBLOCK
  K(MAP_NONBLOCK),
#endif
#ifdef MADV_HWPOISON
  K(MADV_HWPOISON),
#endif
#ifdef MADV_SOFT_OFFLINE
  K(MADV_SOFT_OFFLINE),
#endif
  K(MS_SYNC), K(MS_ASYNC), K(MS_INVALIDATE),
};
#undef K

static void setconsts(lua_State *L) {
  const char *name;
  size_t i;
  int k;
  for (i = 0; i < sizeof consts / sizeof consts[0]; i++) {
    lua_pushinteger(L, consts[i].value);
    lua_setfield(L, -2, consts[i].name);
  }
  /* MADV_*: every advice the core knows by name, so names and constants
  ** always agree */
  for (k = 0; (name = mb_advicename(k)) != NULL; k++) {
    char buf[64] = "MADV_";
    size_t n = 5;
    for (; *name && n < sizeof buf - 1; name++)
      buf[n++] = (char)toupper((unsigned char)*name);
    buf[n] = '\0';
    lua_pushinteger(L, mb_advice(mb_advicename(k)));
    lua_setfield(L, -2, buf);
  }
  lua_pushinteger(L, (lua_Integer)mb_pagesize());
  lua_setfield(L, -2, "PAGESIZE");
  lua_pushinteger(L, (lua_Integer)mb_granularity());
  lua_setfield(L, -2, "ALLOCATIONGRANULARITY");
  lua_pushliteral(L, "mapbuf " MAPBUF_VERSION);
  lua_setfield(L, -2, "_VERSION");
}


int luaopen_mapbuf(lua_State *L) {
  pushmeta(L);
  lua_pop(L, 1);
  luaL_newlibtable(L, funcs);
  luaL_setfuncs(L, funcs, 0);
  luaL_setfuncs(L, lmb_ipc_funcs, 0);
  setconsts(L);
  return 1;
}
