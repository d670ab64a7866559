/*
** lbind.h - private to module.c, lmap.c, lcommon.c and lembed.c: how map
** objects are made and registered (the shared header lmapbuf.h keeps what
** every method file needs; this keeps the rest).
*/
#ifndef LBIND_H
#define LBIND_H

#include "lmapbuf.h"

/* Registry keys (their addresses are the keys): the metatable of map
** objects, and the table from each function of the binding to its name
** (lmb_fname), kept in the metatable under lmb_namekey. */
extern const char lmb_metakey, lmb_namekey, lmb_arraykey;

/* Record in the names table (at index names) the name of C function f,
** under the key lmb_fname looks it up by when the running function is not
** itself in the table: f as a value from 5.2 on (a C function without
** upvalues is one value however often it is pushed); on 5.1 and LuaJIT
** each lua_pushcfunction makes a new closure, so there f's address. */
#if LUA_VERSION_NUM == 501
#define lmb_pushfkey(L, f) lua_pushlightuserdata((L), (void *)(f))
#else
#define lmb_pushfkey(L, f) lua_pushcfunction((L), (f))
#endif
static inline void lmb_namefunc(lua_State *L, int names, lua_CFunction f,
                                const char *name) {
  lmb_pushfkey(L, f);
  lua_pushstring(L, name);
  lua_rawset(L, names);
}

/* Push the metatable of map objects, building it (and the arrays' one,
** kept in it under lmb_arraykey) the first time. */
void lmb_pushmeta(lua_State *L);

/* larray.c: fill the arrays' metatable (the table at -1), recording the
** functions' names in the table at index names. */
void lmb_buildarraymeta(lua_State *L, int names);
/* The bytes of the array at arg (its pointer now, byte length, core and
** offset in it), or NULL if arg holds no array; raises for a closed or
** stale one. */
const unsigned char *lmb_arraybytes(lua_State *L, int arg, size_t *len,
                                    mb_map **core, size_t *start);

/* Push a new map object in the closed state (core = &lmb_deadcore), with
** its metatable; the caller then hands it a core.  Making the userdata
** first means an allocation error can never leak a core. */
LMap *lmb_newobject(lua_State *L);

/* Hand core (one reference, now the object's) to the object m. */
void lmb_setcore(LMap *m, mb_map *core);

/* Let go of m's core: a root closes it first; m then points at the dead
** core.  A hand-called __gc or __close does just this, and so does the
** real one: calling it twice is harmless. */
void lmb_release(LMap *m);

/* __close, __gc, __tostring (lmap.c). */
extern const luaL_Reg lmb_map_metamethods[];

#endif
