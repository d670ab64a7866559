/*
** lembed.c - the glue of mapbuf_lua.h: a host hands core maps or its own
** memory to a lua_State and gets the bytes of map objects back.
*/
#include "lbind.h"
#include <errno.h>

#include "mapbuf_lua.h"


static int newobject(lua_State *L) {
  lmb_newobject(L);
  return 1;
}

/* The object for m is made under a protected call, so that a memory
** error frees m before it goes on (mapbuf_pushmap below): Lua owns m from
** the call on, even when the call raises.  On failure the error object is
** on top instead, and m is untouched.  NULL pushes a closed map. */
#if LUA_VERSION_NUM == 501
/* 5.1 and LuaJIT have no light C functions: pushing one allocates a
** closure, which could fail outside the protected call.  lua_cpcall makes
** the closure inside it, and the object comes back through the registry
** (neither rawget nor storing nil allocates). */
static const char pushkey = 0;
static int newobject51(lua_State *L) {
  lua_pushlightuserdata(L, (void *)&pushkey);
  lmb_newobject(L);
  lua_rawset(L, LUA_REGISTRYINDEX);
  return 0;
}
static int pushcore(lua_State *L, mb_map *m) {
  (void)newobject;
  if (lua_cpcall(L, newobject51, NULL) != LUA_OK) return 0;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &pushkey);
  lua_pushlightuserdata(L, (void *)&pushkey);
  lua_pushnil(L);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lmb_setcore((LMap *)lua_touserdata(L, -1), m);
  return 1;
}
#else
/* a light C function costs no allocation to push */
static int pushcore(lua_State *L, mb_map *m) {
  lua_pushcfunction(L, newobject);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) return 0;
  lmb_setcore((LMap *)lua_touserdata(L, -1), m);
  return 1;
}
#endif

/* (Raised again with lua_error: a memory error stays one on 5.4, which
** knows its message; 5.1 .. 5.3 raise it as a runtime error with the
** message "not enough memory", having no way to raise a memory error
** from C.) */
void mapbuf_pushmap(lua_State *L, mb_map *m) {
  if (!pushcore(L, m)) {
    mb_free(m);
    lua_error(L);
  }
}

int mapbuf_trypushmap(lua_State *L, mb_map *m) {
  if (pushcore(L, m)) return 0;
  lua_pop(L, 1);
  return ENOMEM;
}

int mapbuf_pushmemory(lua_State *L, void *p, size_t len, int writable,
                      mb_release_fn release, void *ud) {
  mb_map *core = NULL;
  LMap *m = lmb_newobject(L);   /* first: if this raises, nothing is owed */
  int rc = mb_wrap(&core, p, len, writable, release, ud);
  if (rc != 0) {
    lua_pop(L, 1);
    return rc;
  }
  lmb_setcore(m, core);
  return 0;
}

void *mapbuf_checkmap(lua_State *L, int idx, size_t *len, int *writable) {
  LMap *m = lmb_tomap(L, lua_absindex(L, idx));
  size_t n = 0;
  void *p = lmb_bytes(L, m, &n);
  if (len != NULL) *len = n;
  if (writable != NULL) *writable = mb_writable(lmb_core(m));
  return p;
}

void *mapbuf_testmap(lua_State *L, int idx, size_t *len, int *writable) {
  LMap *m = lmb_test(L, idx);
  size_t n;
  void *p;
  if (m == NULL || (p = lmb_span(m, &n)) == NULL) return NULL;
  if (len != NULL) *len = n;
  if (writable != NULL) *writable = mb_writable(lmb_core(m));
  return p;
}

int mapbuf_closemap(lua_State *L, int idx) {
  LMap *m = lmb_test(L, idx);
  if (m == NULL) return MB_E_RANGE;
  if (m->isview) {
    m->closed = 1;
    return 0;
  }
  return mb_close(lmb_core(m));
}

int mapbuf_version(void) { return MAPBUF_VERSION_NUMBER; }
int mapbuf_luaversion(void) { return LUA_VERSION_NUM; }

mb_map *mapbuf_tocore(lua_State *L, int idx) {
  LMap *m = lmb_test(L, idx);
  if (m == NULL || lmb_core(m) == &lmb_deadcore) return NULL;
  return lmb_core(m);
}
