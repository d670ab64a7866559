/*
** lcompat.c - the functions lcompat.h promises to Luas that lack them
** (nothing is compiled here for Lua 5.4).
*/
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "lcompat.h"

#if LUA_VERSION_NUM < 504

int lmbc_setuservalue(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
#if LUA_VERSION_NUM == 503
  lua_setuservalue(L, idx);
#else
  lua_createtable(L, 1, 0);   /* {value} */
  lua_insert(L, -2);
  lua_rawseti(L, -2, 1);
#if LUA_VERSION_NUM == 502
  lua_setuservalue(L, idx);
#else
  lua_setfenv(L, idx);
#endif
#endif
  return 1;
}

int lmbc_getuservalue(lua_State *L, int idx) {
#if LUA_VERSION_NUM == 503
  return lua_getuservalue(L, idx);
#else
  idx = lua_absindex(L, idx);
#if LUA_VERSION_NUM == 502
  lua_getuservalue(L, idx);
#else
  lua_getfenv(L, idx);
#endif
  if (lua_type(L, -1) != LUA_TTABLE) {   /* never set: nothing there */
    lua_pop(L, 1);
    lua_pushnil(L);
    return LUA_TNIL;
  }
  lua_rawgeti(L, -1, 1);
  lua_remove(L, -2);
  return lua_type(L, -1);
#endif
}

#endif


#if LUA_VERSION_NUM < 503

/* Is x integral and inside lua_Integer's range?  The range comes first:
** the cast has no defined result outside it (aarch64 saturates). */
static int integral(lua_Number x) {
  return x == x && x >= (lua_Number)PTRDIFF_MIN && x < -(lua_Number)PTRDIFF_MIN &&
         (lua_Number)(lua_Integer)x == x;
}

/* An integral number in lua_Integer's range, or a numeral string of one. */
lua_Integer lmbc_tointegerx(lua_State *L, int idx, int *isnum) {
  lua_Number x;
  int ok = lua_isnumber(L, idx);
  x = ok ? lua_tonumber(L, idx) : 0;
  ok = ok && integral(x);
  if (isnum != NULL) *isnum = ok;
  return ok ? (lua_Integer)x : 0;
}

int lmbc_isinteger(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TNUMBER && integral(lua_tonumber(L, idx));
}

/* As lua_stringtonumber: the conversion of that Lua's own lua_tonumber. */
size_t lmbc_stringtonumber(lua_State *L, const char *s) {
  lua_pushstring(L, s);
  if (!lua_isnumber(L, -1) || *s == '\0') {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushnumber(L, lua_tonumber(L, -1));
  lua_remove(L, -2);
  return strlen(s) + 1;
}

void lmbc_rotate(lua_State *L, int idx, int n) {
  idx = lua_absindex(L, idx);
  for (; n > 0; n--) lua_insert(L, idx);   /* the top goes down to idx */
  for (; n < 0; n++) {                     /* idx goes up to the top */
    lua_pushvalue(L, idx);
    lua_remove(L, idx);
  }
}

#undef luaL_getmetafield
int lmbc_getmetafield(lua_State *L, int obj, const char *e) {
  if (!luaL_getmetafield(L, obj, e)) return LUA_TNIL;
  return lua_type(L, -1);
}

#endif


#if LUA_VERSION_NUM < 502

int lmbc_absindex(lua_State *L, int idx) {
  return (idx > 0 || idx <= LUA_REGISTRYINDEX) ? idx : lua_gettop(L) + idx + 1;
}

int lmbc_rawgetp(lua_State *L, int idx, const void *p) {
  idx = lua_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)p);
  lua_rawget(L, idx);
  return lua_type(L, -1);
}

void lmbc_rawsetp(lua_State *L, int idx, const void *p) {
  idx = lua_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)p);
  lua_insert(L, -2);
  lua_rawset(L, idx);
}

/* #v, with __len for userdata (5.1's lua_objlen gives their size) */
void lmbc_len(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (!luaL_callmeta(L, idx, "__len"))
    lua_pushinteger(L, (lua_Integer)lua_objlen(L, idx));
}

const char *lmbc_tolstring(lua_State *L, int idx, size_t *len) {
  idx = lua_absindex(L, idx);
  if (!luaL_callmeta(L, idx, "__tostring")) {
    switch (lua_type(L, idx)) {
      case LUA_TNUMBER: case LUA_TSTRING:
        lua_pushvalue(L, idx);
        break;
      case LUA_TBOOLEAN:
        lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
        break;
      case LUA_TNIL:
        lua_pushliteral(L, "nil");
        break;
      default:
        lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
    }
  }
  return lua_tolstring(L, -1, len);
}

int lmbc_getsubtable(lua_State *L, int idx, const char *fname) {
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, fname);
  if (lua_type(L, -1) == LUA_TTABLE) return 1;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, idx, fname);
  return 0;
}

void lmbc_requiref(lua_State *L, const char *name, lua_CFunction f, int glb) {
  lua_pushcfunction(L, f);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  if (glb) {
    lua_pushvalue(L, -1);
    lua_setglobal(L, name);
  }
}

#if !LMB_LUAJIT

void lmbc_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup, "too many upvalues");
  for (; l->name != NULL; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}

void *lmbc_testudata(lua_State *L, int idx, const char *tname) {
  void *p = lua_touserdata(L, idx);
  int same;
  if (p == NULL || !lua_getmetatable(L, idx)) return NULL;
  lua_getfield(L, LUA_REGISTRYINDEX, tname);
  same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? p : NULL;
}

void lmbc_copy(lua_State *L, int from, int to) {
  to = lua_absindex(L, to);
  lua_pushvalue(L, from);
  lua_replace(L, to);
}

lua_Number lmbc_tonumberx(lua_State *L, int idx, int *isnum) {
  int ok = lua_isnumber(L, idx);
  if (isnum != NULL) *isnum = ok;
  return ok ? lua_tonumber(L, idx) : 0;
}

/* debug.traceback, as the debug library has it (kept in package.loaded
** even where a sandbox took the global away) */
void lmbc_traceback(lua_State *L, lua_State *L1, const char *msg, int level) {
  (void)L1;
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_getfield(L, -1, "debug");
  lua_remove(L, -2);
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_getfield(L, -1, "traceback");
    lua_remove(L, -2);
    lua_pushstring(L, msg);
    lua_pushinteger(L, level + 1);
    if (lua_pcall(L, 2, 1, 0) == 0 && lua_type(L, -1) == LUA_TSTRING) return;
  }
  lua_pop(L, 1);
  lua_pushstring(L, msg);
}

/* 5.1 loads any chunk: refuse a binary one (ESC 'Lua') when mode says so. */
static int refused(lua_State *L, const char *b, size_t n, const char *mode) {
  if (mode == NULL || strchr(mode, 'b') != NULL || n == 0 || b[0] != '\033')
    return 0;
  lua_pushfstring(L, "attempt to load a binary chunk (mode is '%s')", mode);
  return 1;
}

int lmbc_loadbufferx(lua_State *L, const char *b, size_t n, const char *name,
                     const char *mode) {
  if (refused(L, b, n, mode)) return LUA_ERRSYNTAX;
  return luaL_loadbuffer(L, b, n, name);
}

int lmbc_loadfilex(lua_State *L, const char *path, const char *mode) {
  FILE *f;
  int c;
  if (path == NULL || mode == NULL || strchr(mode, 'b') != NULL)
    return luaL_loadfile(L, path);
  /* peek at the first byte after a '#' line, as the loader does */
  if ((f = fopen(path, "rb")) == NULL) return luaL_loadfile(L, path);
  c = getc(f);
  if (c == '#') {
    while ((c = getc(f)) != EOF && c != '\n') {}
    if (c == '\n') c = getc(f);
  }
  fclose(f);
  if (c == '\033') {
    lua_pushfstring(L, "attempt to load a binary chunk (mode is '%s')", mode);
    return LUA_ERRSYNTAX;
  }
  return luaL_loadfile(L, path);
}

#endif
#endif


#if LUA_VERSION_NUM < 503
/* ---- bytes pushed through a block of C memory (lcompat.h) ---- */

#undef lua_pushlstring

typedef struct Scratch {
  void *self;    /* the block itself: a userdata of ours, not another */
  char *p;
  size_t size;
  int busy;      /* a push is copying out of p */
  int closed;    /* its __gc ran: pushes take blocks of their own */
} Scratch;

static const char scratchkey = 0;   /* registry: the Scratch */
static const char pushkey = 0;      /* registry: pushcopy, made once */
#define SCRATCH_KEEP ((size_t)1 << 20)   /* larger blocks go after use */

/* The Scratch at idx, or NULL when the value there is not ours (the
** registry can be reached and changed from Lua through the debug library). */
static Scratch *toscratch(lua_State *L, int idx) {
  Scratch *s = (Scratch *)lua_touserdata(L, idx);
  if (s == NULL || lua_rawlen(L, idx) != sizeof *s || s->self != s) return NULL;
  return s;
}

static void scratch_free(Scratch *s) {
  free(s->p);
  s->p = NULL;
  s->size = 0;
}

/* Called by Lua, or by hand: during a push the block stays until the
** push is done with it. */
static int scratch_gc(lua_State *L) {
  Scratch *s = toscratch(L, 1);
  if (s == NULL) return 0;
  s->closed = 1;
  if (!s->busy) scratch_free(s);
  return 0;
}

typedef struct Copy {
  const char *p;
  size_t n;
} Copy;

static int pushcopy(lua_State *L) {
  const Copy *c = (const Copy *)lua_touserdata(L, 1);
  lua_pushlstring(L, c->p, c->n);
  return 1;
}

void lmbc_openscratch(lua_State *L) {
  Scratch *s;
  int t = lua_rawgetp(L, LUA_REGISTRYINDEX, &scratchkey);
  lua_pop(L, 1);
  if (t != LUA_TNIL) return;
  lua_pushcfunction(L, pushcopy);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &pushkey);
  s = (Scratch *)lua_newuserdata(L, sizeof *s);
  memset(s, 0, sizeof *s);
  s->self = s;
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, scratch_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &scratchkey);
}

/* Nothing may allocate through Lua before the bytes are copied: the block
** is a raw get, growing it is realloc.  The push itself runs protected,
** so that whatever it raises (a memory error, a finalizer's error) the
** block is let go of and a block of its own freed, and is raised again. */
void lmbc_pushlstring(lua_State *L, const char *src, size_t n) {
  Scratch *s;
  char *own = NULL;
  Copy c;
  int status;
  if (n == 0) {
    lua_pushlstring(L, "", 0);
    return;
  }
  luaL_checkstack(L, 4, "no room to push a string");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &scratchkey);   /* kept while in use */
  s = toscratch(L, -1);
  if (s == NULL || s->busy || s->closed) {
    /* a finalizer pushing while another push copies out of the block, a
    ** block collected at lua_close, or one that is not ours: a block of
    ** this push's own */
    s = NULL;
    if ((own = (char *)malloc(n)) == NULL) luaL_error(L, "not enough memory");
    memcpy(own, src, n);
    c.p = own;
  } else {
    if (s->size < n) {
      char *q = (char *)realloc(s->p, n);
      if (q == NULL) luaL_error(L, "not enough memory");
      s->p = q;
      s->size = n;
    }
    memcpy(s->p, src, n);
    s->busy = 1;
    c.p = s->p;
  }
  c.n = n;
  /* from here on Lua may allocate: the bytes are in C memory */
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &pushkey) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    lua_pushcfunction(L, pushcopy);
  }
  lua_pushlightuserdata(L, &c);
  status = lua_pcall(L, 1, 1, 0);
  if (s != NULL) {
    s->busy = 0;
    if (s->closed || s->size > SCRATCH_KEEP) scratch_free(s);
  }
  free(own);
  lua_remove(L, -2);   /* the block; the string, or the error, stays */
  if (status != LUA_OK) lua_error(L);
}
#endif
