/*
** lcommon.c - what every method file of the binding shares: checking
** arguments, naming the running function in errors, turning core results
** into Lua results or errors (lmapbuf.h has the inline fast paths).
*/
#include <string.h>

#include "lbind.h"


const char lmb_metakey = 0, lmb_namekey = 0, lmb_arraykey = 0;


/* ---------------------------------------------------------------------
** Errors that name the binding's function
** ------------------------------------------------------------------- */

/* The binding's own name for the running function, looked up by the
** function itself in the table the metatable keeps (module.c fills it);
** for anything else, the name Lua found for the call, or "?". */
const char *lmb_fname(lua_State *L) {
  lua_Debug ar;
  const char *name = NULL;
  if (!lua_getstack(L, 0, &ar) || !lua_getinfo(L, "nf", &ar)) return "?";
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lmb_metakey) == LUA_TTABLE &&
      lua_rawgetp(L, -1, &lmb_namekey) == LUA_TTABLE) {
    lua_CFunction f = lua_tocfunction(L, -3);
    lua_pushvalue(L, -3);   /* the running function */
    if (lua_rawget(L, -2) != LUA_TSTRING && f != NULL) {
      /* a closure made by a call (an iterator): known by its C function */
      lua_pop(L, 1);
      lmb_pushfkey(L, f);
      lua_rawget(L, -2);
    }
    if (lua_type(L, -1) == LUA_TSTRING)
      name = lua_tostring(L, -1);   /* kept alive by the names table */
    lua_pop(L, 1);
  }
  lua_pop(L, 3);   /* function, metatable (or nil), names (or nil) */
  if (name != NULL) return name;
  return ar.name != NULL ? ar.name : "?";
}

int lmb_argerror(lua_State *L, int arg, const char *msg) {
  lua_Debug ar;
  const char *name = lmb_fname(L);
  /* as Lua counts: in m:f(x), x is argument #1 */
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) &&
      ar.namewhat != NULL && strcmp(ar.namewhat, "method") == 0 && --arg == 0)
    return luaL_error(L, "calling '%s' on bad self (%s)", name, msg);
  return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, name, msg);
}

/* "T expected, got X", X by __name where the value has one, as Lua says */
int lmb_typeerror(lua_State *L, int arg, const char *tname) {
  const char *got;
  if (luaL_getmetafield(L, arg, "__name") == LUA_TSTRING)
    got = lua_tostring(L, -1);
#if LUA_VERSION_NUM < 503
  /* before 5.3 metatables have no __name: a file still says FILE* */
  else if (luaL_testudata(L, arg, LUA_FILEHANDLE) != NULL)
    got = LUA_FILEHANDLE;
#endif
  else if (lua_type(L, arg) == LUA_TLIGHTUSERDATA)
    got = "light userdata";
  else
    got = luaL_typename(L, arg);
  return lmb_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s",
                                              tname, got));
}

#if LUA_VERSION_NUM == 502
static int inext(lua_State *L) {
  lua_Integer i = luaL_checkinteger(L, 2) + 1;
  lua_pushinteger(L, i);
  lua_gettable(L, 1);
  if (lua_isnil(L, -1)) return 1;
  lua_pushinteger(L, i);
  lua_insert(L, -2);
  return 2;
}

int lmb_ipairs(lua_State *L) {
  luaL_checkany(L, 1);
  lua_pushcfunction(L, inext);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}
#endif

int lmb_misusein(lua_State *L, const char *kind, const char *fname, int rc) {
  if (rc == MB_E_CLOSED) return luaL_error(L, "mapbuf: map is closed");
  return luaL_error(L, "%s: %s: %s", kind, fname, mb_strerror(rc));
}

void lmb_pushclass(lua_State *L, const void *key, const char *name,
                   const luaL_Reg *methods, const luaL_Reg *metas) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 8);
  if (methods != NULL) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  luaL_setfuncs(L, metas, 0);
  if (name != NULL) {
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushstring(L, name);
  } else {
    lua_pushboolean(L, 0);
  }
  lua_setfield(L, -2, "__metatable");
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

int lmb_misuse(lua_State *L, int rc) {
  return lmb_misusein(L, "mapbuf", lmb_fname(L), rc);
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


/* ---------------------------------------------------------------------
** Arguments
** ------------------------------------------------------------------- */

int lmb_interror(lua_State *L, int arg) {
  if (lua_isnumber(L, arg))
    return lmb_argerror(L, arg, "number has no integer representation");
  return lmb_typeerror(L, arg, "number");
}

lua_Number lmb_checknumber(lua_State *L, int arg) {
  int isnum;
  lua_Number x = lua_tonumberx(L, arg, &isnum);
  if (!isnum) lmb_typeerror(L, arg, "number");
  return x;
}

const char *lmb_checklstring(lua_State *L, int arg, size_t *len) {
  const char *s = lua_tolstring(L, arg, len);
  if (s == NULL) lmb_typeerror(L, arg, "string");
  return s;
}

int lmb_checkoption(lua_State *L, int arg, const char *def,
                    const char *const list[]) {
  const char *name;
  int i;
  if (def != NULL && lua_isnoneornil(L, arg)) name = def;
  else name = lmb_checklstring(L, arg, NULL);
  for (i = 0; list[i] != NULL; i++)
    if (strcmp(list[i], name) == 0) return i;
  return lmb_argerror(L, arg, lua_pushfstring(L, "invalid option '%s'", name));
}

/* Keys are compared with their length, so "size\0x" is no "size". */
static int known(const char *k, size_t n, const char *const list[]) {
  int i;
  for (i = 0; list[i] != NULL; i++)
    if (strlen(list[i]) == n && memcmp(list[i], k, n) == 0) return 1;
  return 0;
}

int lmb_opttable(lua_State *L, int arg, const char *const list[]) {
  if (lua_isnoneornil(L, arg)) return 0;
  if (lua_type(L, arg) != LUA_TTABLE) return lmb_typeerror(L, arg, "table");
  arg = lua_absindex(L, arg);
  lua_pushnil(L);
  while (lua_next(L, arg)) {   /* raw: no metamethod runs */
    size_t n;
    const char *k;
    if (lua_type(L, -2) != LUA_TSTRING)
      return lmb_argerror(L, arg, lua_pushfstring(L, "unknown option (a %s key)",
                                                 luaL_typename(L, -2)));
    k = lua_tolstring(L, -2, &n);
    if (!known(k, n, list))
      return lmb_argerror(L, arg, lua_pushfstring(L, "unknown option '%s'", k));
    lua_pop(L, 1);
  }
  return arg;
}


/* ---------------------------------------------------------------------
** Map arguments
** ------------------------------------------------------------------- */

LMap *lmb_tomap(lua_State *L, int arg) {
  LMap *m = lmb_test(L, arg);
  if (m == NULL) lmb_typeerror(L, arg, LMB_MAP);
  return m;
}

unsigned char *lmb_dead(lua_State *L, const LMap *m, int writable) {
  size_t n;
  if (lmb_core(m)->closed || m->closed)
    luaL_error(L, "mapbuf: map is closed");
  else if (lmb_span(m, &n) == NULL)
    luaL_error(L, "mapbuf: view is out of range of its map");
  else if (writable && !mb_writable(lmb_core(m)))
    lmb_misuse(L, MB_E_READONLY);
  return NULL;   /* only when called for a map that was fine after all */
}

unsigned char *lmb_room(lua_State *L, LMap *m, size_t off, size_t n,
                        size_t *len) {
  unsigned char *p = lmb_bytesw(L, m, len);
  mb_map *c = lmb_core(m);
  int rc;
  if ((off <= *len && n <= *len - off) || m->isview || !c->grow ||
      off > *len || n > (size_t)-1 - off)
    return p;
  if ((rc = mb_grow(c, off + n)) != 0) {
    if (rc < 0) lmb_misuse(L, rc);
    luaL_error(L, "mapbuf: %s: %s", lmb_fname(L), mb_strerror(rc));
  }
  return lmb_bytesw(L, m, len);
}
