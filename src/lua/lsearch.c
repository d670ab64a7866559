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

/*
** mb_pfind takes a pattern with none of the specials as plain text, as
** string.find does; but such a pattern may hold a ')', which for match and
** gmatch closes a capture never opened.  The matcher meets that ')' only
** where the plain bytes before it match: so raise "invalid pattern
** capture" if they occur at or after init, else there is no match.
** Returns 0 when p is not such a pattern.
*/
static int strayparen(lua_State *L, LMap *m, const unsigned char *s,
                      size_t ls, const char *p, size_t lp, size_t init) {
  const char *q;
  size_t at;
  if (!nospecials(p, lp) || (q = memchr(p, ')', lp)) == NULL) return 0;
  at = mb_memfind(s + init, ls - init, p, (size_t)(q - p));
  lmb_touched(L, m, init, at == MB_NPOS ? ls - init : at + (size_t)(q - p));
  if (at != MB_NPOS) luaL_error(L, "invalid pattern capture");
  return 1;
}

static int patternerror(lua_State *L, const mb_match *mt) {
  return luaL_error(L, "%s", mt->err);
}

static int find_aux(lua_State *L, int find) {
  size_t ls, lp, init;
  LMap *m;
  const unsigned char *s = lmb_checkself(L, &m, &ls);
  const char *p = lmb_checklstring(L, 2, &lp);
  lua_Integer i = lmb_optint(L, 3, 1);
  int plain = find && lua_toboolean(L, 4);
  s = lmb_bytes(L, m, &ls);   /* the arguments may have run code */
  init = lmb_posrelat(i, ls) - 1;
  if (init > ls) { luaL_pushfail(L); return 1; }
  if (find && (plain || nospecials(p, lp))) {
    size_t at = mb_memfind(s + init, ls - init, p, lp);
    lmb_touched(L, m, init, at == MB_NPOS ? ls - init : at + lp);
    if (at == MB_NPOS) { luaL_pushfail(L); return 1; }
    lua_pushinteger(L, (lua_Integer)(init + at) + 1);
    lua_pushinteger(L, (lua_Integer)(init + at + lp));
    return 2;
  }
  else {
    mb_match mt;
    int rc;
    if (!find && strayparen(L, m, s, ls, p, lp, init)) {
      luaL_pushfail(L); return 1;
    }
    rc = mb_pfind(s, ls, p, lp, init, &mt);
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
}

/* m:find(p [, init [, plain]]) */
static int m_find(lua_State *L) { return find_aux(L, 1); }

/* m:match(p [, init]) */
static int m_match(lua_State *L) { return find_aux(L, 0); }


/*
** gmatch: the iterator's upvalues are the map (1, so it stays alive), the
** pattern (2) and its state as integers: where the next search starts (3)
** and where the last match ended (4; -1 before the first match).  Offsets,
** never pointers: the map may be resized or moved between two calls, so
** its bytes are fetched anew at every call; and every upvalue is checked
** at every call, since debug.setupvalue can put anything there.
*/
static int gmatch_step(lua_State *L) {
  size_t ls, lp, src, last;
  LMap *m = lmb_test(L, lua_upvalueindex(1));
  const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
  int okp, okl, haslast;
  lua_Integer isrc = lua_tointegerx(L, lua_upvalueindex(3), &okp);
  lua_Integer ilast = lua_tointegerx(L, lua_upvalueindex(4), &okl);
  const unsigned char *s;
  mb_match mt;
  int rc;
  if (m == NULL || p == NULL || lua_type(L, lua_upvalueindex(2)) != LUA_TSTRING
      || !okp || !okl || isrc < 0 || ilast < -1)
    return luaL_error(L, "mapbuf: gmatch: broken iterator");
  s = lmb_bytes(L, m, &ls);
  src = (lmb_Unsigned)isrc > (lmb_Unsigned)ls + 1 ? ls + 1 : (size_t)isrc;
  haslast = ilast >= 0;
  last = haslast ? (size_t)ilast : 0;
  if (lp > 0 && p[0] == '^') {
    /* '^' is an ordinary byte here, which mb_pfind would take as an
    ** anchor: try each position the slow way. */
    size_t at;
    for (at = src; at <= ls; at++) {
      rc = mb_pmatchat(s, ls, p, lp, at, &mt);
      if (rc == MB_E_PATTERN) return patternerror(L, &mt);
      if (rc == 1 && !(haslast && mt.end == last)) goto found;
    }
    if (src <= ls) lmb_touched(L, m, src, ls - src);
    return 0;
  }
  if (src <= ls && strayparen(L, m, s, ls, p, lp, src)) return 0;
  while (src <= ls) {
    rc = mb_pfind(s, ls, p, lp, src, &mt);
    if (rc == MB_E_PATTERN) return patternerror(L, &mt);
    if (rc == 0) { lmb_touched(L, m, src, ls - src); return 0; }
    /* an empty match where the last one ended: go on one byte further
    ** (only an empty match at src can end there) */
    if (!(haslast && mt.end == last)) goto found;
    src = mt.start + 1;
  }
  return 0;
found:
  lmb_touched(L, m, src, mt.end - src);
  lua_pushinteger(L, (lua_Integer)mt.end);
  lua_copy(L, -1, lua_upvalueindex(3));
  lua_replace(L, lua_upvalueindex(4));
  return pushcaptures(L, m, &mt, 1);
}

/* m:gmatch(p [, init]) */
static int m_gmatch(lua_State *L) {
  size_t ls, init;
  lua_Integer i;
  LMap *m;
  lmb_checkself(L, &m, &ls);
  lmb_checklstring(L, 2, NULL);
  i = lmb_optint(L, 3, 1);
  lmb_bytes(L, m, &ls);
  init = lmb_posrelat(i, ls) - 1;
  if (init > ls) init = ls + 1;   /* start after the end: no matches */
  lua_settop(L, 2);
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
