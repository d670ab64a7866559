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

/* Offset of position i (1-based, negative from the end) in a span of len
** bytes, or -1 when it falls outside. */
static inline ptrdiff_t keyoffset(lua_Integer i, size_t len) {
  if ((lua_Unsigned)i - 1 < len) return (ptrdiff_t)(i - 1);   /* 1..len */
  if (i < 0) {
    lua_Unsigned back = 0u - (lua_Unsigned)i;   /* no overflow at MININTEGER */
    return back <= len ? (ptrdiff_t)(len - back) : -1;
  }
  return -1;
}

/*
** Two sets of metamethods.  The metatable itself holds the trusting ones:
** the VM calls its __index, __newindex and __len only with an object that
** has this metatable, which only our map objects have (nothing outside C
** and the debug library can reach the metatable: its __metatable field
** hides it), so argument 1 is taken as a map without a test.  That test
** (lua_getmetatable + lua_rawequal) costs about as much time as the rest
** of m[i] together.  What getmetatable(m) returns is the "face": the same
** fields, but its __index, __newindex and __len check argument 1, since
** Lua code can call them with anything (getmetatable(m).__index(io.stdout,
** 1) must raise, not crash).
*/
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

static ALWAYS_INLINE const LMap *self(lua_State *L, int trusted) {
  return trusted ? (const LMap *)lua_touserdata(L, 1) : lmb_self(L);
}

/* m[i] once m is known to be a map and i a position. */
static int pushbyte(lua_State *L, const LMap *m, lua_Integer i) {
  size_t len;
  const unsigned char *p = lmb_bytes(L, m, &len);
  ptrdiff_t off = keyoffset(i, len);
  if (off < 0) lua_pushnil(L);   /* out of range: nil, so ipairs(m) works */
  else {
    lua_pushinteger(L, p[off]);
    lmb_touched(L, m, (size_t)off, 1);
  }
  return 1;
}

/*
** Integer keys first: m[i] is the hot path of every byte loop, so it
** costs a type test, a bounds check and a load.  Then integral floats,
** fractions (no such byte: nil, whatever the map), and every other key is
** a method name (upvalue 1 is the methods table).
*/
static ALWAYS_INLINE int getbyte(lua_State *L, int trusted) {
  lua_Integer i;
  int isint;
  if (lua_isinteger(L, 2)) {
    const LMap *m = self(L, trusted);
    i = lua_tointeger(L, 2);
    if (!m->isview) {   /* a root, 1 <= i <= #m, no truncation seen */
      const mb_map *c = m->core;   /* (a closed core has len 0) */
      if ((lua_Unsigned)i - 1 < c->len && c->valid >= c->len) {
        lua_pushinteger(L, c->base[i - 1]);
        /* a fault in the load was caught: it read 0, do not pass it on */
        if (c->valid < c->len) lmb_touched(L, m, (size_t)(i - 1), 1);
        return 1;
      }
    }
    return pushbyte(L, m, i);   /* views, negatives, nil, errors */
  }
  if (lua_type(L, 2) == LUA_TNUMBER) {
    i = lua_tointegerx(L, 2, &isint);
    if (!isint) {
      lua_pushnil(L);
      return 1;
    }
    return pushbyte(L, self(L, trusted), i);
  }
  if (!trusted) lua_settop(L, 2);   /* the VM passes exactly m and key */
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

/* m[i] = v; the errors name '__newindex'. */
static ALWAYS_INLINE int setbyte(lua_State *L, int trusted) {
  lua_Integer i, v;
  size_t len;
  ptrdiff_t off;
  int isnum;
  const LMap *m = self(L, trusted);
  unsigned char *p = lmb_bytesw(L, m, &len);   /* closed, read-only: first */
  if (lua_isinteger(L, 2)) i = lua_tointeger(L, 2);
  else if (lua_type(L, 2) == LUA_TNUMBER) {
    i = lua_tointegerx(L, 2, &isnum);
    if (!isnum)
      return luaL_error(L, "bad argument #2 to '__newindex' "
                           "(number has no integer representation)");
  }
  else
    return luaL_error(L, "bad argument #2 to '__newindex' "
                         "(position expected, got %s)", luaL_typename(L, 2));
  /* numbers and numeral strings; no conversion here allocates, so p stays */
  v = lua_tointegerx(L, 3, &isnum);
  if (!isnum || v < 0 || v > 255)
    return luaL_error(L, "bad argument #3 to '__newindex' (%s)",
                      isnum ? "value out of range (0..255)"
                            : "byte value expected");
  if ((off = keyoffset(i, len)) < 0)
    return luaL_error(L, "bad argument #2 to '__newindex' (out of range)");
  lmb_touched(L, m, (size_t)off, 1);
  p[off] = (unsigned char)v;
  lmb_touched(L, m, (size_t)off, 1);
  return 0;
}

/* #m */
static ALWAYS_INLINE int length(lua_State *L, int trusted) {
  size_t n;
  lmb_bytes(L, self(L, trusted), &n);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int m_index(lua_State *L) { return getbyte(L, 1); }
static int m_newindex(lua_State *L) { return setbyte(L, 1); }
static int m_len(lua_State *L) { return length(L, 1); }
static int face_index(lua_State *L) { return getbyte(L, 0); }
static int face_newindex(lua_State *L) { return setbyte(L, 0); }
static int face_len(lua_State *L) { return length(L, 0); }

static const luaL_Reg trusting[] = {
  {"__index", m_index}, {"__newindex", m_newindex}, {"__len", m_len},
  {NULL, NULL}
};

static const luaL_Reg checking[] = {
  {"__index", face_index}, {"__newindex", face_newindex},
  {"__len", face_len}, {NULL, NULL}
};


/* ---------------------------------------------------------------------
** The metatable and new objects
** ------------------------------------------------------------------- */

/* Push the metatable, building it the first time (a host may push maps
** before anyone has required the module). */
static void pushmeta(lua_State *L) {
  static const luaL_Reg *const files[] = {
    lmb_map_methods, lmb_stream_methods, lmb_search_methods,
    lmb_pack_methods, lmb_ipc_methods
  };
  size_t k;
  if (luaL_newmetatable(L, LMB_MAP)) {
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lmb_mtkey);   /* for lmb_tomap */
    lua_createtable(L, 0, 64);   /* the methods, from every method file */
    /* every function gets the methods (upvalue 1) and the metatable itself
    ** (upvalue 2: lmb_self recognises map objects with one compare) */
    for (k = 0; k < sizeof files / sizeof files[0]; k++) {
      lua_pushvalue(L, -1);
      lua_pushvalue(L, -3);
      luaL_setfuncs(L, files[k], 2);   /* pops the two upvalues */
    }
    lua_createtable(L, 0, 8);       /* mt, methods, face */
    /* both tables: __tostring, __gc, __close (they check their argument),
    ** and __index, __newindex, __len, trusting in mt, checking in face */
    for (k = 0; k < 2; k++) {
      lua_pushvalue(L, k == 0 ? -3 : -1);
      lua_pushvalue(L, -3);
      lua_pushvalue(L, -5);         /* ..., table, methods, mt */
      luaL_setfuncs(L, lmb_map_metamethods, 2);
      lua_pushvalue(L, -3);
      lua_pushvalue(L, -5);
      luaL_setfuncs(L, k == 0 ? trusting : checking, 2);
      lua_pushliteral(L, LMB_MAP);
      lua_setfield(L, -2, "__name");
      lua_pop(L, 1);
    }
    lua_setfield(L, -3, "__metatable");   /* getmetatable(m) is the face */
    lua_pop(L, 1);
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
