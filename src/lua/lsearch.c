/*
** lsearch.c - find, match, gmatch and rfind over a map's bytes, with the
** results and errors of string.find / string.match / string.gmatch.  The
** bytes are never copied into a Lua string: only captures are pushed.
*/
#include <string.h>

#include "lmapbuf.h"


/* The map's bytes again, right before reading them: a __gc metamethod run
** by an allocation could have closed or resized the map meanwhile.  Raises
** unless bytes 0 .. need-1 are still there. */
static const unsigned char *again(lua_State *L, LMap *m, size_t need) {
  size_t len;
  const unsigned char *s = lmb_bytes(L, m, &len);
  if (need > len) luaL_error(L, "mapbuf: map changed size during the search");
  return s;
}

/*
** Push the captures of a match (the whole match when the pattern has none
** and whole is set).  Every capture lies inside the match, so one check
** after the copies covers them all: a file cut short while they were
** copied gave zeros, which must not be passed on.
*/
static int pushcaptures(lua_State *L, LMap *m, const mb_match *mt,
                        int whole) {
  int i, n = (mt->level == 0 && whole) ? 1 : mt->level;
  luaL_checkstack(L, n, "too many captures");
  for (i = 0; i < n; i++) {
    if (i >= mt->level) {   /* the whole match */
      const unsigned char *s = again(L, m, mt->end);
      lua_pushlstring(L, (const char *)s + mt->start, mt->end - mt->start);
    }
    else {
      const mb_capture *c = &mt->capture[i];
      if (c->len == MB_CAP_UNFINISHED)
        luaL_error(L, "unfinished capture");
      else if (c->len == MB_CAP_POSITION)
        lua_pushinteger(L, (lua_Integer)c->init + 1);
      else {
        const unsigned char *s = again(L, m, c->init + (size_t)c->len);
        lua_pushlstring(L, (const char *)s + c->init, (size_t)c->len);
      }
    }
  }
  lmb_touched(L, m, mt->start, mt->end - mt->start);
  return n;
}

/* Would string.find take p as plain text?  (')' is plain for find.) */
static int nospecials(const char *p, size_t lp) {
  size_t i;
  for (i = 0; i < lp; i++)
    if (memchr("^$*+?.([%-", p[i], 10) != NULL) return 0;
  return 1;
}

static int patternerror(lua_State *L, const mb_match *mt) {
  return luaL_error(L, "%s", mt->err);
}


/*
** Compiled patterns.  A pattern is compiled once into a box (a userdata
** holding the core's mb_pattern, freed by the box's __gc) and run many
** times: gmatch keeps its box as an upvalue; find and match keep the boxes
** of recent patterns in a cache, a table from pattern to box in the
** registry, so a loop calling m:find(p) compiles p once.  The cache is
** bounded: at CACHEMAX entries it is dropped for a new, empty one (the old
** boxes are collected).  Patterns longer than CACHELONG are compiled for
** the call and freed right after it, so the cache never holds more than
** CACHEMAX short programs.
**
** The boxes' metatable hides itself (__metatable), but the debug library
** can still reach a box and call its __gc: a freed box holds NULL, which
** gmatch reports as a broken iterator and the cache replaces.
*/
#define CACHEMAX 64
#define CACHELONG 1024

typedef struct PBox { mb_pattern *pp; } PBox;

static const char boxkey = 0, cachekey = 0;

static int box_gc(lua_State *L) {
  PBox *b = (PBox *)lua_touserdata(L, 1);
  if (b != NULL && lua_rawlen(L, 1) == sizeof(PBox)) {
    mb_pfree(b->pp);
    b->pp = NULL;
  }
  return 0;
}

static const luaL_Reg box_metas[] = {{"__gc", box_gc}, {NULL, NULL}};

/* The box at idx, or NULL when idx holds something else. */
static PBox *tobox(lua_State *L, int idx) {
  PBox *b = (PBox *)lua_touserdata(L, idx);
  int ours;
  if (b == NULL || !lua_getmetatable(L, idx)) return NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &boxkey);
  ours = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return ours && lua_rawlen(L, idx) == sizeof(PBox) ? b : NULL;
}

/* Push a new box holding the compiled p; raises when memory runs out.
** The box exists before the program, so an error cannot leak it. */
static PBox *newbox(lua_State *L, const char *p, size_t lp) {
  PBox *b = (PBox *)lua_newuserdatauv(L, sizeof(PBox), 0);
  b->pp = NULL;
  lmb_pushclass(L, &boxkey, NULL, NULL, box_metas);
  lua_setmetatable(L, -2);
  if (mb_pcompile(&b->pp, p, lp) != 0)
    luaL_error(L, "not enough memory to compile the pattern");
  return b;
}

/*
** Push the box of the pattern at arg (a string) and return its program:
** from the cache, or compiled now (and cached if short).  Allocates and
** may run a finalizer: callers fetch the map's bytes after this.
*/
static const mb_pattern *compiled(lua_State *L, int arg) {
  size_t lp;
  const char *p = lua_tolstring(L, arg, &lp);
  PBox *b;
  int cache;
  if (lp > CACHELONG) return newbox(L, p, lp)->pp;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cachekey) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 0, CACHEMAX);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cachekey);
  }
  cache = lua_gettop(L);
  lua_pushvalue(L, arg);
  lua_rawget(L, cache);
  if ((b = tobox(L, -1)) != NULL && b->pp != NULL) {
    lua_remove(L, cache);
    return b->pp;
  }
  lua_pop(L, 1);
  lua_rawgeti(L, cache, 0);                 /* how many it holds */
  if (lua_tointeger(L, -1) >= CACHEMAX) {   /* full: start a new one */
    lua_createtable(L, 0, CACHEMAX);
    lua_replace(L, cache);
    lua_pushvalue(L, cache);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cachekey);
    lua_pushinteger(L, 0);
    lua_replace(L, -2);
  }
  lua_pushinteger(L, lua_tointeger(L, -1) + 1);
  lua_rawseti(L, cache, 0);
  lua_pop(L, 1);
  b = newbox(L, p, lp);
  lua_pushvalue(L, arg);
  lua_pushvalue(L, -2);
  lua_rawset(L, cache);
  lua_remove(L, cache);
  return b->pp;
}

/* After a run: a pattern too long for the cache is freed now, not when
** the collector gets to its box (the box at idx). */
static void donewith(lua_State *L, int idx, size_t lp) {
  if (lp > CACHELONG) {
    PBox *b = tobox(L, idx);
    if (b != NULL) { mb_pfree(b->pp); b->pp = NULL; }
  }
}

static int find_aux(lua_State *L, int find) {
  size_t ls, lp, init;
  LMap *m;
  const unsigned char *s = lmb_checkself(L, &m, &ls);
  const char *p = lmb_checklstring(L, 2, &lp);
  lua_Integer i = lmb_optint(L, 3, 1);
  int plain = find && lua_toboolean(L, 4);
  lua_settop(L, 4);
  if (!plain && !(find && nospecials(p, lp))) {
    const mb_pattern *pp = compiled(L, 2);     /* its box at 5 */
    mb_match mt;
    int rc;
    s = lmb_bytes(L, m, &ls);   /* after everything that can run code */
    init = lmb_posrelat(i, ls) - 1;
    if (init > ls) { luaL_pushfail(L); return 1; }
    rc = mb_pexec(pp, s, ls, init, MB_PEXEC_FIND, &mt);
    donewith(L, 5, lp);
    if (rc == MB_E_PATTERN) return patternerror(L, &mt);
    lmb_touched(L, m, init, (rc == 0 ? ls : mt.end) - init);
    if (rc == 0) { luaL_pushfail(L); return 1; }
    if (find) {
      lua_pushinteger(L, (lua_Integer)mt.start + 1);
      lua_pushinteger(L, (lua_Integer)mt.end);
      return 2 + pushcaptures(L, m, &mt, 0);
    }
    return pushcaptures(L, m, &mt, 1);
  }
  else {
    size_t at;
    s = lmb_bytes(L, m, &ls);   /* the arguments may have run code */
    init = lmb_posrelat(i, ls) - 1;
    if (init > ls) { luaL_pushfail(L); return 1; }
    at = mb_memfind(s + init, ls - init, p, lp);
    lmb_touched(L, m, init, at == MB_NPOS ? ls - init : at + lp);
    if (at == MB_NPOS) { luaL_pushfail(L); return 1; }
    lua_pushinteger(L, (lua_Integer)(init + at) + 1);
    lua_pushinteger(L, (lua_Integer)(init + at + lp));
    return 2;
  }
}

/* m:find(p [, init [, plain]]) */
static int m_find(lua_State *L) { return find_aux(L, 1); }

/* m:match(p [, init]) */
static int m_match(lua_State *L) { return find_aux(L, 0); }


/*
** gmatch: the iterator's upvalues are the map (1, so it stays alive), the
** compiled pattern's box (2) and the state as integers: where the next
** search starts (3) and where the last match ended (4; -1 before the
** first match).  Offsets, never pointers: the map may be resized or moved
** between two calls, so its bytes are fetched anew at every call; and
** every upvalue is checked at every call, since debug.setupvalue can put
** anything there.
*/
static int gmatch_step(lua_State *L) {
  size_t ls, src, last;
  LMap *m = lmb_test(L, lua_upvalueindex(1));
  PBox *b = tobox(L, lua_upvalueindex(2));
  int okp, okl, haslast;
  lua_Integer isrc = lua_tointegerx(L, lua_upvalueindex(3), &okp);
  lua_Integer ilast = lua_tointegerx(L, lua_upvalueindex(4), &okl);
  const unsigned char *s;
  mb_match mt;
  int rc;
  if (m == NULL || b == NULL || b->pp == NULL || !okp || !okl || isrc < 0
      || ilast < -1)
    return luaL_error(L, "mapbuf: gmatch: broken iterator");
  s = lmb_bytes(L, m, &ls);
  src = (lmb_Unsigned)isrc > (lmb_Unsigned)ls + 1 ? ls + 1 : (size_t)isrc;
  haslast = ilast >= 0;
  last = haslast ? (size_t)ilast : 0;
  while (src <= ls) {
    rc = mb_pexec(b->pp, s, ls, src, MB_PEXEC_NEXT, &mt);
    if (rc == MB_E_PATTERN) return patternerror(L, &mt);
    if (rc == 0) { lmb_touched(L, m, src, ls - src); return 0; }
    /* an empty match where the last one ended: go on one byte further
    ** (only an empty match at src can end there) */
    if (!(haslast && mt.end == last)) {
      lmb_touched(L, m, src, mt.end - src);
      lua_pushinteger(L, (lua_Integer)mt.end);
      lua_copy(L, -1, lua_upvalueindex(3));
      lua_replace(L, lua_upvalueindex(4));
      return pushcaptures(L, m, &mt, 1);
    }
    src = mt.start + 1;
  }
  return 0;
}

/* m:gmatch(p [, init]) */
static int m_gmatch(lua_State *L) {
  size_t ls, lp, init;
  lua_Integer i;
  LMap *m;
  const char *p;
  lmb_checkself(L, &m, &ls);
  p = lmb_checklstring(L, 2, &lp);
  i = lmb_optint(L, 3, 1);
  lua_settop(L, 3);
  newbox(L, p, lp);   /* the iterator's own program, however long */
  lua_replace(L, 2);  /* the pattern string is no longer needed */
  lua_settop(L, 2);
  lmb_bytes(L, m, &ls);
  init = lmb_posrelat(i, ls) - 1;
  if (init > ls) init = ls + 1;   /* start after the end: no matches */
  lua_pushinteger(L, (lua_Integer)init);
  lua_pushinteger(L, -1);
  lua_pushcclosure(L, gmatch_step, 4);
  return 1;
}


/*
** m:rfind(s [, i [, j]]): the last occurrence of s lying entirely inside
** bytes i .. j (clipped as string.sub); start, end or nil.  An empty s is
** found just after the range: j + 1, j.
*/
static int m_rfind(lua_State *L) {
  size_t len, ln, from, to, at;
  LMap *m;
  const unsigned char *s = lmb_checkself(L, &m, &len);
  const char *needle = lmb_checklstring(L, 2, &ln);
  lua_Integer i = lmb_optint(L, 3, 1);
  lua_Integer j = lmb_optint(L, 4, -1);
  s = lmb_bytes(L, m, &len);
  from = lmb_posrelat(i, len) - 1;     /* offsets from .. to-1 */
  to = lmb_endpos(j, len);
  if (from > to) { luaL_pushfail(L); return 1; }
  at = mb_memrfind(s + from, to - from, needle, ln);
  {   /* the scan went from the end of the range back to the hit */
    size_t first = (at == MB_NPOS) ? from : from + at;
    lmb_touched(L, m, first, to - first);
  }
  if (at == MB_NPOS) { luaL_pushfail(L); return 1; }
  lua_pushinteger(L, (lua_Integer)(from + at) + 1);
  lua_pushinteger(L, (lua_Integer)(from + at + ln));
  return 2;
}


const luaL_Reg lmb_search_methods[] = {
  {"find", m_find},
  {"match", m_match},
  {"gmatch", m_gmatch},
  {"rfind", m_rfind},
  {NULL, NULL}
};

const luaL_Reg lmb_search_hidden[] = {
  {"gmatch", gmatch_step},
  {NULL, NULL}
};
