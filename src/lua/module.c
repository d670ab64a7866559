/*
** module.c - require "mapbuf": the module functions open, map and anon,
** the constants, and the metatable every map object shares, with the one
** __index that serves both m[i] and method lookup.
*/
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "osdefs.h"  /* PROT_*, MAP_*, MS_*: the platform's, or ours on Windows */

#include "lbind.h"
#include "lipc.h"
#include "lualib.h"
#include "mapbuf_lua.h"


/* ---------------------------------------------------------------------
** m[i] and m[i] = v, #m
** ------------------------------------------------------------------- */

/* Offset of position i (1-based, negative from the end) in a span of len
** bytes, or -1 when it falls outside. */
static inline ptrdiff_t keyoffset(lua_Integer i, size_t len) {
  if ((lmb_Unsigned)i - 1 < len) return (ptrdiff_t)(i - 1);   /* 1..len */
  if (i < 0) {
    lmb_Unsigned back = 0u - (lmb_Unsigned)i;   /* no overflow at MININTEGER */
    return back <= len ? (ptrdiff_t)(len - back) : -1;
  }
  return -1;
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
** costs the map test (lmb_test), a type test, a bounds check and a load.
** Then integral floats, fractions (no such byte: nil, whatever the map),
** and every other key is a method name (upvalue 1 is the methods table).
*/
static int m_index(lua_State *L) {
  const LMap *m = lmb_self(L);
  lua_Integer i;
  int isint;
  if (lua_isinteger(L, 2)) {
    i = lua_tointeger(L, 2);
    if (!m->isview) {   /* a root, 1 <= i <= #m, no truncation seen */
      const mb_map *c = lmb_core(m);   /* (a closed core has len 0) */
      if ((lmb_Unsigned)i - 1 < c->len && c->valid >= c->len) {
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
    return pushbyte(L, m, i);
  }
  lua_settop(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

/* m[i] = v */
static int m_newindex(lua_State *L) {
  lua_Integer i, v;
  size_t len;
  ptrdiff_t off;
  int isnum;
  const LMap *m = lmb_self(L);
  unsigned char *p = lmb_bytesw(L, m, &len);   /* closed, read-only: first */
  if (lua_isinteger(L, 2)) i = lua_tointeger(L, 2);
  else if (lua_type(L, 2) == LUA_TNUMBER) {
    i = lua_tointegerx(L, 2, &isnum);
    if (!isnum)
      return lmb_argerror(L, 2, "number has no integer representation");
  }
  else
    return lmb_typeerror(L, 2, "position");
  /* numbers and numeral strings; no conversion here allocates, so p stays */
  v = lua_tointegerx(L, 3, &isnum);
  if (!isnum || v < 0 || v > 255)
    return lmb_argerror(L, 3, isnum ? "value out of range (0..255)"
                                    : "byte value expected");
  if ((off = keyoffset(i, len)) < 0)
    return lmb_argerror(L, 2, "out of range");
  lmb_touched(L, m, (size_t)off, 1);
  p[off] = (unsigned char)v;
  lmb_touched(L, m, (size_t)off, 1);
  return 0;
}

/* #m */
static int m_len(lua_State *L) {
  size_t n;
  lmb_bytes(L, lmb_self(L), &n);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}


/* ---------------------------------------------------------------------
** Module functions
** ------------------------------------------------------------------- */

/* Integer field k of the options table at index t, or def; raises with
** the name of the field when it is not a non-negative integer. */
static lua_Integer optfield(lua_State *L, int t, const char *k,
                            lua_Integer def) {
  lua_Integer v;
  int isnum;
  if (lua_getfield(L, t, k) == LUA_TNIL) { lua_pop(L, 1); return def; }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum)
    lmb_argerror(L, t, lua_pushfstring(L, "field '%s' must be an integer", k));
  if (v < 0)
    lmb_argerror(L, t, lua_pushfstring(L, "field '%s' must not be negative", k));
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

/* mapbuf.open(path [, mode [, opts]]) */
static int l_open(lua_State *L) {
  static const char *const keys[] = {"size", "offset", "length", "populate",
                                     "grow", NULL};
  const char *path = lmb_checklstring(L, 1, NULL);
  const char *mode = lua_isnoneornil(L, 2) ? "r" : lmb_checklstring(L, 2, NULL);
  int t = lmb_opttable(L, 3, keys), md = mb_parsemode(mode), rc;
  mb_openopts o = MB_OPENOPTS_INIT;
  LMap *m;
  mb_map *core = NULL;
  lmb_argcheck(L, md >= 0, 2, "invalid mode");
  if (t) {
    o.size = (uint64_t)optfield(L, t, "size", 0);
    o.offset = (uint64_t)optfield(L, t, "offset", 0);
    o.length = (uint64_t)optfield(L, t, "length", 0);
    o.populate = optbool(L, t, "populate", 0);
    o.grow = optbool(L, t, "grow", 0);
  }
  /* truncating to nothing is never meant, unless to write it anew */
  if (md == MB_MODE_CREATE && !o.grow) {
    if (t) lua_getfield(L, t, "size");
    if (!t || lua_isnil(L, -1)) return lmb_misuse(L, MB_E_NEEDSIZE);
    lua_pop(L, 1);
  }
  m = lmb_newobject(L);
  if ((rc = mb_open(&core, path, md, &o)) != 0) return lmb_result(L, rc, path);
  lmb_setcore(m, core);
  return 1;
}

/* The descriptor behind argument 1: a Lua file handle (flushed, so what
** it buffered is in the file before we map it) or an integer. */
static int checkfd(lua_State *L) {
  FILE *f;
  lua_Integer fd;
  if (lmb_tofile(L, 1, &f)) {
    lmb_argcheck(L, f != NULL, 1, "attempt to use a closed file");
    fflush(f);
    return fileno(f);
  }
  if (!lua_isnumber(L, 1))
    lmb_typeerror(L, 1, "file handle or descriptor");
  fd = lmb_checkint(L, 1);
  lmb_argcheck(L, fd >= -1 && fd <= 0x7fffffff, 1, "invalid file descriptor");
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
      lmb_argerror(L, t, lua_pushfstring(L, "invalid access '%s'", s));
  } else {
    int isnum;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (!isnum || v < MB_ACCESS_DEFAULT || v > MB_ACCESS_COPY)
      lmb_argerror(L, t, "invalid access");
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
    lmb_argerror(L, t, lua_pushfstring(L, "invalid field '%s'", k));
  lua_pop(L, 1);
  return (int)v;
}

/* mapbuf.map(file, length [, opts]): Python's mmap.mmap */
static int l_map(lua_State *L) {
  static const char *const keys[] = {"access", "flags", "prot", "offset",
                                     "trackfd", "populate", "tagname", NULL};
  int fd = checkfd(L), t, rc;
  lua_Integer length = lmb_checkint(L, 2);
  mb_mapopts o = MB_MAPOPTS_INIT;
  LMap *m;
  mb_map *core = NULL;
  lmb_argcheck(L, length >= 0, 2, "length must not be negative");
  if ((t = lmb_opttable(L, 3, keys)) != 0) {
    o.access = checkaccess(L, t);
    o.flags = flagfield(L, t, "flags");
    o.prot = flagfield(L, t, "prot");
    /* to the core, 0 is "not given"; here it was given: PROT_NONE, or
    ** flags of no kind, neither of which can be a map */
    if (o.flags == 0) return lmb_argerror(L, 3, mb_strerror(MB_E_FLAGS));
    if (o.prot == 0) return lmb_argerror(L, 3, mb_strerror(MB_E_PROT));
    o.offset = (uint64_t)optfield(L, t, "offset", 0);
    o.untracked = !optbool(L, t, "trackfd", 1);
    o.populate = optbool(L, t, "populate", 0);
    if (lua_getfield(L, t, "tagname") != LUA_TNIL) {
      size_t n;
      /* stays on the stack (anchored) until mb_mapfd copied it */
      o.tagname = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
      if (o.tagname == NULL || strlen(o.tagname) != n || n == 0)
        return lmb_argerror(L, 3, "invalid field 'tagname'");
    }
  }
  m = lmb_newobject(L);
  rc = mb_mapfd(&core, fd, (uint64_t)length, &o);
  if (rc == MB_E_FLAGS || rc == MB_E_PROT)   /* the options' fault */
    return lmb_argerror(L, 3, mb_strerror(rc));
  if (rc != 0) return lmb_result(L, rc, NULL);
  lmb_setcore(m, core);
  return 1;
}

/* mapbuf.anon(size [, opts]) */
static int l_anon(lua_State *L) {
  static const char *const keys[] = {"private", NULL};
  lua_Integer size = lmb_checkint(L, 1);
  int t = lmb_opttable(L, 2, keys), priv = 0, rc;
  LMap *m;
  mb_map *core = NULL;
  lmb_argcheck(L, size >= 0, 1, "size must not be negative");
  if (t) priv = optbool(L, t, "private", 0);
  m = lmb_newobject(L);
  if ((uint64_t)size > (uint64_t)PTRDIFF_MAX) return lmb_result(L, ENOMEM, NULL);
  if ((rc = mb_anon(&core, (size_t)size, priv)) != 0)
    return lmb_result(L, rc, NULL);
  lmb_setcore(m, core);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"open", l_open},
  {"map", l_map},
  {"anon", l_anon},
  {NULL, NULL}
};


/* ---------------------------------------------------------------------
** The metatable and new objects
** ------------------------------------------------------------------- */

/* Every method file's table, merged into one methods table. */
static const luaL_Reg *const methodfiles[] = {
  lmb_map_methods, lmb_stream_methods, lmb_search_methods,
  lmb_pack_methods, lmb_ipc_methods, lmb_array_methods, lmb_xform_methods
};

static const luaL_Reg metamethods[] = {
  {"__newindex", m_newindex}, {"__len", m_len}, {NULL, NULL}
};

/* Set the functions of l into the table at -1 (no upvalues), and record
** each one's name in the names table at index names. */
static void setnamed(lua_State *L, const luaL_Reg *l, int names) {
  for (; l->name != NULL; l++) {
    lua_pushcfunction(L, l->func);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, l->name);
    lua_pushstring(L, l->name);
    lua_rawset(L, names);
    lmb_namefunc(L, names, l->func, l->name);   /* the same entry from 5.2 on */
  }
}

/* Copy field k of the table at from into the table at to. */
static void copyfield(lua_State *L, int from, int to, const char *k) {
  lua_getfield(L, from, k);
  lua_setfield(L, to, k);
}

/*
** Build the metatable and push it.  Everything is made first and
** registered last, by one store into the registry: a memory error on the
** way (a host that caps a script's memory) leaves the registry as it was,
** never a half-built metatable that later objects would get.
**
** getmetatable(m) gives the "face" (the metatable's __metatable): the same
** __index, __newindex, __len, __tostring and __name, but no __gc and no
** __close, so a script cannot take a map's finalizer and call it at a time
** of its choosing.  (Through the debug library it can; that is safe too: a
** hand-called __gc or __close is close, lmb_release.)
*/
static void buildmeta(lua_State *L) {
  size_t k;
  int mt, methods, names, face;
#if LUA_VERSION_NUM < 503
  lmbc_openscratch(L);   /* every state that holds a map has its block */
#endif
  lua_createtable(L, 0, 10);  mt = lua_gettop(L);
  lua_createtable(L, 0, 64);  methods = lua_gettop(L);
  lua_createtable(L, 0, 96);  names = lua_gettop(L);
  for (k = 0; k < sizeof methodfiles / sizeof methodfiles[0]; k++) {
    lua_pushvalue(L, methods);
    setnamed(L, methodfiles[k], names);
    lua_pop(L, 1);
  }
  /* the module's own functions, for their error messages */
  lua_createtable(L, 0, 8);
  setnamed(L, funcs, names);
  setnamed(L, lmb_ipc_funcs, names);
  setnamed(L, lmb_safe_funcs, names);
  setnamed(L, lmb_stream_hidden, names);
  setnamed(L, lmb_search_hidden, names);
  lua_pop(L, 1);
  lua_pushvalue(L, mt);
  setnamed(L, metamethods, names);
  setnamed(L, lmb_map_metamethods, names);
  lua_pushvalue(L, methods);
  lua_pushcclosure(L, m_index, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, mt, "__index");
  lua_pushliteral(L, "__index");
  lua_rawset(L, names);
  lua_pushliteral(L, LMB_MAP);
  lua_setfield(L, mt, "__name");
  lua_pop(L, 1);
  lua_createtable(L, 0, 6);  face = lua_gettop(L);
  copyfield(L, mt, face, "__index");
  copyfield(L, mt, face, "__newindex");
  copyfield(L, mt, face, "__len");
  copyfield(L, mt, face, "__tostring");
  copyfield(L, mt, face, "__name");
  lua_setfield(L, mt, "__metatable");
  lua_createtable(L, 0, 8);   /* the arrays' metatable, kept in the maps' */
  lmb_buildarraymeta(L, names);
  lua_rawsetp(L, mt, &lmb_arraykey);
  lua_pushvalue(L, names);
  lua_rawsetp(L, mt, &lmb_namekey);
  lua_settop(L, mt);
  lua_pushvalue(L, mt);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lmb_metakey);   /* the one store */
}

/* Push the metatable, building it the first time (a host may push maps
** before anyone has required the module). */
void lmb_pushmeta(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lmb_metakey) == LUA_TTABLE) return;
  lua_pop(L, 1);
  buildmeta(L);
}

mb_map lmb_deadcore = {.closed = 1, .fd = -1};

LMap *lmb_newobject(lua_State *L) {
  LMap *m = (LMap *)lua_newuserdatauv(L, sizeof(LMap), 1);
  memset(m, 0, sizeof *m);
  m->tag = LMB_TAG;
  m->self = m;
  m->core = &lmb_deadcore;
  lmb_pushmeta(L);
  lua_setmetatable(L, -2);
  return m;
}

void lmb_setcore(LMap *m, mb_map *core) {
  m->core = core != NULL ? core : &lmb_deadcore;
}

LMap *lmb_newmap(lua_State *L, mb_map *core) {
  LMap *m = lmb_newobject(L);
  lmb_setcore(m, core);
  return m;
}

void lmb_release(LMap *m) {
  mb_map *c = m->core;
  if (m->isview) m->closed = 1;
  if (c == &lmb_deadcore) return;
  m->core = &lmb_deadcore;   /* first: nothing below can find c again */
  if (!m->isview) mb_close(c);
  mb_release(c);
}


/* ---------------------------------------------------------------------
** Constants
** ------------------------------------------------------------------- */

#define K(name) {#name, name}
static const struct { const char *name; lua_Integer value; } consts[] = {
  {"ACCESS_DEFAULT", MB_ACCESS_DEFAULT}, {"ACCESS_READ", MB_ACCESS_READ},
  {"ACCESS_WRITE", MB_ACCESS_WRITE}, {"ACCESS_COPY", MB_ACCESS_COPY},
  K(PROT_READ), K(PROT_WRITE), K(PROT_EXEC), K(PROT_NONE),
#ifdef MAP_ANONYMOUS
  K(MAP_ANONYMOUS), {"MAP_ANON", MAP_ANONYMOUS},
#endif
  K(MS_SYNC), K(MS_ASYNC), K(MS_INVALIDATE),
};
#undef K

/* "populate_read" -> "MADV_POPULATE_READ" */
static void setadvice(lua_State *L, const char *name) {
  char buf[64] = "MADV_";
  size_t n = 5;
  const char *s;
  for (s = name; *s && n < sizeof buf - 1; s++)
    buf[n++] = (char)toupper((unsigned char)*s);
  buf[n] = '\0';
  lua_pushinteger(L, mb_advice(name));
  lua_setfield(L, -2, buf);
}

static void setconsts(lua_State *L) {
  const char *name;
  size_t i;
  int k, v;
  for (i = 0; i < sizeof consts / sizeof consts[0]; i++) {
    lua_pushinteger(L, consts[i].value);
    lua_setfield(L, -2, consts[i].name);
  }
  /* MAP_* and MADV_*: exactly what the core accepts, so every constant
  ** the module offers is one that mapbuf.map and m:madvise take */
  for (k = 0; (name = mb_mapflag(k, &v)) != NULL; k++) {
    lua_pushinteger(L, v);
    lua_setfield(L, -2, name);
  }
  for (k = 0; (name = mb_advicename(k)) != NULL; k++) setadvice(L, name);
  lua_pushinteger(L, (lua_Integer)mb_pagesize());
  lua_setfield(L, -2, "PAGESIZE");
  lua_pushinteger(L, (lua_Integer)mb_granularity());
  lua_setfield(L, -2, "ALLOCATIONGRANULARITY");
  lua_pushliteral(L, "mapbuf " MAPBUF_VERSION);
  lua_setfield(L, -2, "_VERSION");
}


int luaopen_mapbuf(lua_State *L) {
  lmb_pushmeta(L);
  lua_pop(L, 1);
  luaL_newlibtable(L, funcs);
  luaL_setfuncs(L, funcs, 0);
  luaL_setfuncs(L, lmb_ipc_funcs, 0);
  luaL_setfuncs(L, lmb_safe_funcs, 0);
  setconsts(L);
  return 1;
}

int luaopen_mapbuf_ring(lua_State *L) {
  lmb_pushmeta(L);
  lua_pop(L, 1);
  return lmb_ringlib(L);
}

/* For untrusted scripts: no function that opens, maps or makes anything;
** the maps the host hands over are all a script can touch. */
int luaopen_mapbuf_maps(lua_State *L) {
  lmb_pushmeta(L);
  lua_pop(L, 1);
  lua_createtable(L, 0, 64);
  luaL_setfuncs(L, lmb_safe_funcs, 0);
  setconsts(L);
  return 1;
}
