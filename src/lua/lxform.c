/*
** lxform.c - bulk byte work over a map, in C at memory speed:
** m:translate(t [, i [, j]]) (bytes.translate, in place),
** m:count(s [, i [, j]]) (bytes.count), m:crc32([i [, j [, crc]]]) and
** m:adler32([i [, j [, a]]]) (exactly zlib's values, chainable).  The
** loops are the core's (src/core/bytes.c, checksum.c); this file reads the
** arguments, takes the bytes afresh after them and checks the truncation
** guard after the work.
*/
#include <string.h>

#include "lmapbuf.h"

/* The range i..j of the map (clipped as string.sub): its offset and
** length (0 when empty). */
static void range(lua_State *L, const LMap *m, lua_Integer i, lua_Integer j,
                  size_t *off, size_t *n) {
  size_t len, pi, pe;
  lmb_bytes(L, m, &len);
  pi = lmb_posrelat(i, len);
  pe = lmb_endpos(j, len);
  if (pi > pe) { *off = pi - 1 < len ? pi - 1 : len; *n = 0; }
  else { *off = pi - 1; *n = pe - pi + 1; }
}

/* m:translate(t [, i [, j]]): byte b becomes byte b + 1 of t */
static int m_translate(lua_State *L) {
  LMap *m;
  size_t len, tl, off, n;
  const char *t;
  unsigned char *p;
  lua_Integer i, j;
  lmb_checkselfw(L, &m, &len);
  t = lmb_checklstring(L, 2, &tl);
  lmb_argcheck(L, tl == 256, 2, "translation table must be 256 bytes");
  i = lmb_optint(L, 3, 1);
  j = lmb_optint(L, 4, -1);
  range(L, m, i, j, &off, &n);
  p = lmb_bytesw(L, m, &len);
  lmb_touched(L, m, off, n);
  mb_translate(p + off, n, (const unsigned char *)t);
  lmb_touched(L, m, off, n);
  lua_settop(L, 1);
  return 1;
}

/* m:count(s [, i [, j]]): non-overlapping occurrences inside i..j, with
** Python's rule for "": one at every position of the range and one after
** it, none when the range starts past the end (i > #m + 1) or runs
** backwards (i > j + 1). */
static int m_count(lua_State *L) {
  LMap *m;
  size_t len, nl, pi, pe;
  const char *s;
  const unsigned char *p;
  lua_Integer i, j;
  lmb_checkself(L, &m, &len);
  s = lmb_checklstring(L, 2, &nl);
  i = lmb_optint(L, 3, 1);
  j = lmb_optint(L, 4, -1);
  p = lmb_bytes(L, m, &len);
  pi = lmb_posrelat(i, len);
  pe = lmb_endpos(j, len);
  if (pi > len + 1 || pi > pe + 1) {   /* past the end, or backwards */
    lua_pushinteger(L, 0);
    return 1;
  }
  if (nl == 0) {
    lua_pushinteger(L, (lua_Integer)(pe - pi + 2));
    return 1;
  }
  {
    size_t n = pe + 1 - pi, c = mb_count(p + pi - 1, n, s, nl);
    lmb_touched(L, m, pi - 1, n);
    lua_pushinteger(L, (lua_Integer)c);
  }
  return 1;
}

/* A 32-bit running value: 0 .. 2^32-1. */
static uint32_t optword(lua_State *L, int arg, uint32_t def) {
  lua_Integer v = lmb_optint(L, arg, (lua_Integer)def);
  lmb_argcheck(L, v >= 0 && v <= (lua_Integer)UINT32_MAX, arg,
               "value out of range (0..2^32-1)");
  return (uint32_t)v;
}

typedef uint32_t (*sumfn)(uint32_t, const void *, size_t);

static int checksum(lua_State *L, sumfn f, uint32_t start) {
  LMap *m;
  size_t len, off, n;
  const unsigned char *p;
  lua_Integer i, j;
  uint32_t v;
  lmb_checkself(L, &m, &len);
  i = lmb_optint(L, 2, 1);
  j = lmb_optint(L, 3, -1);
  v = optword(L, 4, start);
  range(L, m, i, j, &off, &n);
  p = lmb_bytes(L, m, &len);
  v = f(v, p + off, n);
  lmb_touched(L, m, off, n);
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

static int m_crc32(lua_State *L) { return checksum(L, mb_crc32, 0); }
static int m_adler32(lua_State *L) { return checksum(L, mb_adler32, 1); }

const luaL_Reg lmb_xform_methods[] = {
  {"translate", m_translate},
  {"count", m_count},
  {"crc32", m_crc32},
  {"adler32", m_adler32},
  {NULL, NULL}
};
