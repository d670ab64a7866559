/*
** mapbuf_lua.h - the Lua glue: open the module, hand maps and host memory
** to a lua_State and get them back.  Include after lua.h.
*/
#ifndef MAPBUF_LUA_H
#define MAPBUF_LUA_H

#include "lua.h"
#include "mapbuf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The module table, as require "mapbuf" returns it. */
int luaopen_mapbuf(lua_State *L);

/* Push a core map as a map object; Lua owns it from the call on (mb_free
** on collection), even if the push raises a memory error.  A NULL m pushes
** a closed map. */
void mapbuf_pushmap(lua_State *L, mb_map *m);

/* Push host memory as a map object with every method; resize is refused,
** and close or collection calls release(ud, p, len) once.  Returns 0, or an
** error code (then nothing is pushed and release is not called); it may
** raise a memory error, and then, too, release is not called. */
int mapbuf_pushmemory(lua_State *L, void *p, size_t len, int writable,
                      mb_release_fn release, void *ud);

/* The live map (or view) at idx: its bytes now, their length and whether
** they may be written.  checkmap raises (not a map, closed, stale view);
** testmap returns NULL instead. */
void *mapbuf_checkmap(lua_State *L, int idx, size_t *len, int *writable);
void *mapbuf_testmap(lua_State *L, int idx, size_t *len, int *writable);

/* The core map behind the map object (or view) at idx, to call the core
** on it (mb_flush, mb_lock, ...); NULL if idx holds no map object or one
** that has let go of its map (collected, or __gc called by hand).  The
** pointer is borrowed: valid until the next call into Lua on this state,
** which may run a finalizer that frees it. */
mb_map *mapbuf_tocore(lua_State *L, int idx);

#ifdef __cplusplus
}
#endif

#endif
