/*
** lcompat.h - one binding for Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT 2.1: the
** parts of the 5.4 C API the binding uses, for the versions that lack them
** or give them another meaning.  Our own, written from the reference
** manuals of each version; included by lmapbuf.h after lua.h and
** lauxlib.h, so the binding is written against 5.4 and this file says how
** an older Lua does the same thing.
**
** Where the versions differ in what a script can see, the binding follows
** the Lua it runs in (docs/portability.md has the table): numbers are
** doubles in 5.1, 5.2 and LuaJIT, so integers beyond 2^53 lose precision
** there; numerals read by read("n") convert as that Lua converts them.
*/
#ifndef LCOMPAT_H
#define LCOMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"   /* LUA_FILEHANDLE, there in 5.1 */

/* LuaJIT: the 5.1 API with some of 5.2's functions (luaL_setfuncs,
** luaL_testudata, luaL_traceback, luaL_loadbufferx, lua_copy,
** lua_tonumberx; its lua_tointegerx truncates).  Its lauxlib.h defines
** luaL_newlib, which 5.1's does not. */
#if LUA_VERSION_NUM == 501 && defined(luaL_newlib)
#define LMB_LUAJIT 1
#else
#define LMB_LUAJIT 0
#endif

/* An unsigned type as wide as lua_Integer (5.2's lua_Unsigned is not). */
#if LUA_VERSION_NUM >= 503
typedef lua_Unsigned lmb_Unsigned;
#else
typedef size_t lmb_Unsigned;   /* lua_Integer is ptrdiff_t there */
#endif

/* Formatting a lua_Integer with lua_pushfstring: %I from 5.3 on; before,
** through a lua_Number (%f prints integral values without a point). */
#if LUA_VERSION_NUM >= 503
#define LMB_I "%I"
#define LMB_IARG(v) ((LUAI_UACINT)(v))
#else
#define LMB_I "%f"
#define LMB_IARG(v) ((lua_Number)(v))
#endif

#ifndef LUA_OK
#define LUA_OK 0
#endif

#if LUA_VERSION_NUM < 503
/* lua_Integer's range, as far as a position or a count may reach */
#define LUA_MAXINTEGER PTRDIFF_MAX
#define LUA_MININTEGER PTRDIFF_MIN
#endif

#if LUA_VERSION_NUM < 504
#define luaL_pushfail(L) lua_pushnil(L)
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
/* One "user value" per object (the binding uses slot 1 only): 5.3 has it;
** 5.2 takes only a table there, 5.1 an environment table: the value goes
** into a table of one. */
int lmbc_setuservalue(lua_State *L, int idx);   /* pops the value */
int lmbc_getuservalue(lua_State *L, int idx);   /* pushes it, its type */
#define lua_setiuservalue(L, idx, n) lmbc_setuservalue((L), (idx))
#define lua_getiuservalue(L, idx, n) lmbc_getuservalue((L), (idx))
#endif

#if LUA_VERSION_NUM < 503
/* Integers are integral numbers here: convert only those, exactly. */
lua_Integer lmbc_tointegerx(lua_State *L, int idx, int *isnum);
int lmbc_isinteger(lua_State *L, int idx);
#define lua_tointegerx lmbc_tointegerx
#define lua_isinteger lmbc_isinteger
size_t lmbc_stringtonumber(lua_State *L, const char *s);
#define lua_stringtonumber lmbc_stringtonumber
void lmbc_rotate(lua_State *L, int idx, int n);
#define lua_rotate lmbc_rotate
/* getters that return the type, as from 5.3 on */
#define lua_getfield(L, i, k) (lua_getfield((L), (i), (k)), lua_type((L), -1))
#define lua_rawget(L, i) (lua_rawget((L), (i)), lua_type((L), -1))
#define lua_rawgeti(L, i, n) (lua_rawgeti((L), (i), (n)), lua_type((L), -1))
#if LUA_VERSION_NUM == 501
#undef lua_getglobal
#define lua_getglobal(L, k) (lua_getfield((L), LUA_GLOBALSINDEX, (k)), lua_type((L), -1))
#else
#define lua_getglobal(L, k) (lua_getglobal((L), (k)), lua_type((L), -1))
#endif
int lmbc_getmetafield(lua_State *L, int obj, const char *e);
#define luaL_getmetafield lmbc_getmetafield
#endif

#if LUA_VERSION_NUM == 502
#define lua_rawgetp(L, i, p) (lua_rawgetp((L), (i), (p)), lua_type((L), -1))
#endif

#if LUA_VERSION_NUM < 503
/* 5.1, 5.2 and LuaJIT run the collector inside lua_pushlstring before
** they copy the bytes, and a finalizer run there may close or resize the
** map the bytes are in.  So the binding's pushes copy them into a block of
** C memory first (one per state, kept in the registry: no finalizer
** touches it), and push from there.  lmbc_openscratch makes the block;
** module.c's buildmeta calls it, so every state that holds a map has one. */
void lmbc_openscratch(lua_State *L);
void lmbc_pushlstring(lua_State *L, const char *s, size_t len);
#define lua_pushlstring lmbc_pushlstring
#endif

#ifndef lua_getlocaledecpoint   /* 5.3's; the C library's before */
#include <locale.h>
#define lua_getlocaledecpoint() (localeconv()->decimal_point[0])
#endif

#if LUA_VERSION_NUM < 502
#define lua_rawlen(L, i) lua_objlen((L), (i))
#define luaL_checkversion(L) ((void)(L))
int lmbc_absindex(lua_State *L, int idx);
#define lua_absindex lmbc_absindex
int lmbc_rawgetp(lua_State *L, int idx, const void *p);
void lmbc_rawsetp(lua_State *L, int idx, const void *p);
#define lua_rawgetp lmbc_rawgetp
#define lua_rawsetp lmbc_rawsetp
void lmbc_len(lua_State *L, int idx);
#define lua_len lmbc_len
const char *lmbc_tolstring(lua_State *L, int idx, size_t *len);
#define luaL_tolstring lmbc_tolstring
int lmbc_getsubtable(lua_State *L, int idx, const char *fname);
#define luaL_getsubtable lmbc_getsubtable
void lmbc_requiref(lua_State *L, const char *name, lua_CFunction f, int glb);
#define luaL_requiref lmbc_requiref
#if !LMB_LUAJIT
#define luaL_newlibtable(L, l) lua_createtable((L), 0, sizeof(l) / sizeof((l)[0]) - 1)
#define luaL_newlib(L, l) (luaL_newlibtable((L), (l)), luaL_setfuncs((L), (l), 0))
void lmbc_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
#define luaL_setfuncs lmbc_setfuncs
void *lmbc_testudata(lua_State *L, int idx, const char *tname);
#define luaL_testudata lmbc_testudata
void lmbc_copy(lua_State *L, int from, int to);
#define lua_copy lmbc_copy
lua_Number lmbc_tonumberx(lua_State *L, int idx, int *isnum);
#define lua_tonumberx lmbc_tonumberx
void lmbc_traceback(lua_State *L, lua_State *L1, const char *msg, int level);
#define luaL_traceback lmbc_traceback
int lmbc_loadbufferx(lua_State *L, const char *b, size_t n, const char *name,
                     const char *mode);
int lmbc_loadfilex(lua_State *L, const char *path, const char *mode);
#define luaL_loadbufferx lmbc_loadbufferx
#define luaL_loadfilex lmbc_loadfilex
#endif
#endif

/* Is the value at arg a Lua file handle?  Then *fp is its FILE, or NULL
** when it was closed (5.1 keeps a FILE **, 5.2 on a luaL_Stream). */
static inline int lmb_tofile(lua_State *L, int arg, FILE **fp) {
#if LUA_VERSION_NUM >= 502
  luaL_Stream *s = (luaL_Stream *)luaL_testudata(L, arg, LUA_FILEHANDLE);
  if (s == NULL) return 0;
  *fp = s->closef == NULL ? NULL : s->f;
#else
  FILE **f = (FILE **)luaL_testudata(L, arg, LUA_FILEHANDLE);
  if (f == NULL) return 0;
  *fp = *f;
#endif
  return 1;
}

/* A number as file:write writes it: integers with LUA_INTEGER_FMT from 5.3
** on; before, every number as a lua_Number (LUA_NUMBER_FMT). */
static inline int lmb_fmtnumber(lua_State *L, int idx, char *buf, size_t sz) {
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx))
    return snprintf(buf, sz, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
  return snprintf(buf, sz, LUA_NUMBER_FMT, (LUAI_UACNUMBER)lua_tonumber(L, idx));
#else
  return snprintf(buf, sz, LUA_NUMBER_FMT, (double)lua_tonumber(L, idx));
#endif
}

#endif
