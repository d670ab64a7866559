/*
** mapbuf_lua.h - the Lua glue: open the module, hand maps and host memory
** to a lua_State, get their bytes back, take them away again.
**
** Ownership, in one line per function below; and for all of them:
**   - a lua_State is driven by one thread at a time, as always with Lua;
**     a map object belongs to the state that made it (never lua_xmove it
**     into another state).  Different states in different threads are
**     independent, the core's process-wide parts being thread-safe.
**   - functions that push may raise a Lua memory error, like any lua_push*
**     (call them under lua_pcall to catch it), except the ones that say
**     they do not.
**   - pointers into a map's bytes stay valid until the next call into Lua
**     on that state (which may run a finalizer that closes or resizes the
**     map); memory lent with mapbuf_pushmemory never moves.
**
** ABI: the functions here are exported from libmapbuf-lua (MAPBUF_LUA_API);
** everything else of the binding is hidden.
*/
#ifndef MAPBUF_LUA_H
#define MAPBUF_LUA_H

#include "mapbuf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lua's headers declare C functions without extern "C" of their own
** (Debian's add it, upstream's do not): inside ours, a C++ host links. */
#include "lua.h"

#if defined(_WIN32) && defined(MAPBUF_LUA_SHARED_BUILD)
#  define MAPBUF_LUA_API __declspec(dllexport)
#elif defined(_WIN32) && defined(MAPBUF_LUA_SHARED)
#  define MAPBUF_LUA_API __declspec(dllimport)
#elif defined(_WIN32)
#  define MAPBUF_LUA_API
#elif defined(__GNUC__) || defined(__clang__)
#  define MAPBUF_LUA_API __attribute__((visibility("default")))
#else
#  define MAPBUF_LUA_API
#endif

/*
** The module table, as require "mapbuf" returns it: everything, including
** the functions that open files by path (open), map descriptors (map),
** anonymous memory (anon) and named shared memory (shm, shm_unlink).
** Register it with luaL_requiref(L, "mapbuf", luaopen_mapbuf, 0) or in
** package.preload, so that scripts get the copy linked into the host.
*/
MAPBUF_LUA_API int luaopen_mapbuf(lua_State *L);

/*
** The module table for untrusted scripts: the constants, _VERSION and
** monotime, and nothing that opens a file, maps a descriptor, makes
** memory or names shared memory.  A script can then touch only the maps
** the host hands it (with their views and arrays).  The host's --sandbox
** registers this one as "mapbuf".
*/
MAPBUF_LUA_API int luaopen_mapbuf_maps(lua_State *L);

/*
** The message ring, as require "mapbuf.ring" returns it (create, attach,
** open, size, fit, methods, SLOT, PEERS, VERSION; docs/ipc.md).  A host
** registers it in package.preload["mapbuf.ring"] beside "mapbuf"; stock
** Lua finds it in mapbuf.so by itself (the all-in-one loader looks for
** luaopen_mapbuf_ring there), or through lua/mapbuf/ring.lua.
*/
MAPBUF_LUA_API int luaopen_mapbuf_ring(lua_State *L);

/*
** Push a core map as a map object; Lua owns m from the call on: the object
** frees it (mb_free) when it is collected, m:close() unmaps it.  If the
** push raises a memory error, m has been freed already.  NULL pushes a
** closed map.  Do not use or free m yourself afterwards.
*/
MAPBUF_LUA_API void mapbuf_pushmap(lua_State *L, mb_map *m);

/*
** As mapbuf_pushmap, but never raises: returns 0 with the object pushed
** (Lua owns m), or an error code (ENOMEM) with nothing pushed, and m is
** still the caller's.
*/
MAPBUF_LUA_API int mapbuf_trypushmap(lua_State *L, mb_map *m);

/*
** Lend len bytes at p to Lua as a map object with every method; writes
** raise unless writable; resize is refused.  release(ud, p, len) is called
** exactly once, when the object is closed or collected (or by
** mapbuf_closemap), in the thread driving the state, and must not call
** into Lua.  Returns 0 with the object pushed; or an error code with
** nothing pushed and release never to be called: MB_E_RANGE for p == NULL
** with len > 0, MB_E_TOOBIG for len > PTRDIFF_MAX, ENOMEM.  It may raise
** a memory error; then too nothing is owed.
*/
MAPBUF_LUA_API int mapbuf_pushmemory(lua_State *L, void *p, size_t len,
                                     int writable, mb_release_fn release,
                                     void *ud);

/*
** Close the map object (or view) at idx, as m:close() does, without
** calling into Lua: a lent buffer's release runs before this returns, and
** every later use by a script raises "map is closed".  Returns 0, an errno
** from unmapping, or MB_E_RANGE if idx holds no map object.  Never raises.
*/
MAPBUF_LUA_API int mapbuf_closemap(lua_State *L, int idx);

/*
** The live map (or view) at idx: its bytes now, their length and whether
** they may be written (len and writable may be NULL).  checkmap raises
** (not a map, closed, a view past its map's end); testmap returns NULL
** instead and never raises.
*/
MAPBUF_LUA_API void *mapbuf_checkmap(lua_State *L, int idx, size_t *len,
                                     int *writable);
MAPBUF_LUA_API void *mapbuf_testmap(lua_State *L, int idx, size_t *len,
                                    int *writable);

/*
** The core map behind the map object (or view) at idx, to call the core
** on it (mb_flush, mb_lock, ...); NULL if idx holds no map object or one
** that has let go of its map (collected, or __gc called by hand).
** Borrowed: valid until the next call into Lua on this state.  Never
** raises.
*/
MAPBUF_LUA_API mb_map *mapbuf_tocore(lua_State *L, int idx);

/*
** MAPBUF_VERSION_NUMBER of the glue the program runs with, and the
** LUA_VERSION_NUM it was built for (a host built against other Lua
** headers than the library's must not use it).
*/
MAPBUF_LUA_API int mapbuf_version(void);
MAPBUF_LUA_API int mapbuf_luaversion(void);

#ifdef __cplusplus
}
#endif

#endif
