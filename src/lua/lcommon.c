/*
** lcommon.c - helpers every method file of the binding shares: checking
** map arguments and turning core results into Lua results or errors
** (lmapbuf.h has the inline fast paths of both).
*/
#include <stdio.h>
#include <string.h>

#include "lmapbuf.h"


/* The registry key of the metatable (its address is the key; module.c
** stores the metatable there when it makes it). */
const char lmb_mtkey = 0;

/* luaL_checkudata would look the metatable up by name, a string lookup on
** every call; the light userdata key is one hash probe. */
LMap *lmb_tomap(lua_State *L, int arg) {
  void *p = lua_touserdata(L, arg);
  if (p != NULL && lua_getmetatable(L, arg)) {
    int same;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lmb_mtkey);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (same) return (LMap *)p;
  }
  return (LMap *)luaL_checkudata(L, arg, LMB_MAP);   /* raises */
}


/* The name of the running C function, as luaL_argerror finds it; a
** metamethod gets its "__" back, so errors read "__newindex", not "newindex". */
static const char *fname(lua_State *L, char *buf, size_t sz) {
  lua_Debug ar;
  if (!lua_getstack(L, 0, &ar) || !lua_getinfo(L, "n", &ar) || ar.name == NULL)
    return "?";
  if (ar.namewhat != NULL && strcmp(ar.namewhat, "metamethod") == 0) {
    snprintf(buf, sz, "__%s", ar.name);
    return buf;
  }
  return ar.name;
}

int lmb_misuse(lua_State *L, int rc) {
  char buf[64];
  if (rc == MB_E_CLOSED) return luaL_error(L, "mapbuf: map is closed");
  return luaL_error(L, "mapbuf: %s: %s", fname(L, buf, sizeof buf),
                    mb_strerror(rc));
}

int lmb_result(lua_State *L, int rc, const char *what) {
  if (rc == 0) return 0;
  if (rc < 0) return lmb_misuse(L, rc);
  luaL_pushfail(L);
  if (what != NULL)
    lua_pushfstring(L, "%s: %s", what, mb_strerror(rc));
  else
    lua_pushstring(L, mb_strerror(rc));
  lua_pushinteger(L, rc);
  return 3;
}


unsigned char *lmb_dead(lua_State *L, const LMap *m, int writable) {
  size_t n;
  if (m->core->closed || m->closed)
    luaL_error(L, "mapbuf: map is closed");
  else if (lmb_span(m, &n) == NULL)
    luaL_error(L, "mapbuf: view is out of range of its map");
  else if (writable && !mb_writable(m->core))
    lmb_misuse(L, MB_E_READONLY);
  return NULL;   /* only when called for a map that was fine after all */
}

unsigned char *lmb_check(lua_State *L, int arg, LMap **pm, size_t *len) {
  LMap *m = lmb_tomap(L, arg);
  size_t n = 0;
  unsigned char *p = lmb_bytes(L, m, &n);
  if (pm != NULL) *pm = m;
  if (len != NULL) *len = n;
  return p;
}

