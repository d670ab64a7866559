/*
** lmap.c - the map object's random access (byte, sub, set, fill, move),
** the mapping itself (size, resize, flush, madvise, close), views, and
** the metamethods __close, __gc and __tostring (module.c has __index,
** __newindex and __len).
**
** Every method first checks that the map is alive (so a closed map raises
** "map is closed" before any argument is looked at), then reads its
** arguments, then checks again and takes the bytes and length afresh:
** turning a number into a string allocates, an allocation may run a
** finalizer, and a finalizer may close or resize the map.
*/
#include <errno.h>
#include <string.h>
#include "osdefs.h"  /* PROT_*, MAP_*, MS_*: the platform's, or ours on Windows */

#include "lbind.h"


/* Offset of a strict position: i in 1 .. len+1 or -len .. -1 (the end
** itself is a valid place for zero bytes); -1 when outside. */
static ptrdiff_t strictpos(lua_Integer i, size_t len) {
  if (i > 0) return (lmb_Unsigned)i - 1 <= len ? (ptrdiff_t)(i - 1) : -1;
  if (i < 0) {
    lmb_Unsigned back = 0u - (lmb_Unsigned)i;
    return back <= len ? (ptrdiff_t)(len - back) : -1;
  }
  return -1;
}

/* ---------------------------------------------------------------------
** Random access
** ------------------------------------------------------------------- */

/* m:byte([i [, j]]), as string.byte */
static int m_byte(lua_State *L) {
  LMap *m;
  lua_Integer i, j;
  size_t len, pi, pe, n, k;
  const unsigned char *p;
  lmb_checkself(L, &m, &len);
  i = lmb_optint(L, 2, 1);
  j = lmb_optint(L, 3, i);
  lmb_bytes(L, m, &len);
  pi = lmb_posrelat(i, len);
  pe = lmb_endpos(j, len);
  if (pi > pe) return 0;
  n = pe - pi + 1;
  if (n >= (size_t)0x7fffffff || !lua_checkstack(L, (int)n))
    return luaL_error(L, "string slice too long");
  p = lmb_bytes(L, m, &len);   /* growing the stack may collect */
  if (pe > len) return 0;
  lmb_touched(L, m, pi - 1, n);
  for (k = 0; k < n; k++) lua_pushinteger(L, p[pi - 1 + k]);
  lmb_touched(L, m, pi - 1, n);
  return (int)n;
}

/* m:sub(i [, j]), as string.sub: one copy of the bytes */
static int m_sub(lua_State *L) {
  LMap *m;
  lua_Integer i, j;
  size_t len, pi, pe;
  const unsigned char *p;
  lmb_checkself(L, &m, &len);
  i = lmb_checkint(L, 2);
  j = lmb_optint(L, 3, -1);
  p = lmb_bytes(L, m, &len);
  pi = lmb_posrelat(i, len);
  pe = lmb_endpos(j, len);
  if (pi > pe) lua_pushliteral(L, "");
  else {
    lmb_touched(L, m, pi - 1, pe - pi + 1);
    lua_pushlstring(L, (const char *)p + pi - 1, pe - pi + 1);
    lmb_touched(L, m, pi - 1, pe - pi + 1);
  }
  return 1;
}

/* The bytes m:set copies from argument 3: a string, or the bytes of a map,
** a view or an array, straight from their memory (no Lua string is made).
** *core and *start say where they lie, for the guard (NULL: a string). */
static const unsigned char *source(lua_State *L, size_t *sl, mb_map **core,
                                   size_t *start) {
  const LMap *src = lmb_test(L, 3);
  const unsigned char *q;
  if (src != NULL) {
    q = lmb_bytes(L, src, sl);
    *core = lmb_core(src);
    *start = lmb_base(src);
    return q;
  }
  if ((q = lmb_arraybytes(L, 3, sl, core, start)) != NULL) return q;
  if (lua_type(L, 3) != LUA_TSTRING && lua_type(L, 3) != LUA_TNUMBER)
    lmb_typeerror(L, 3, "string, map or array");
  *core = NULL;
  return (const unsigned char *)lua_tolstring(L, 3, sl);
}

/* m:set(i, src): slice assignment from a string, or a map, view or array
** (memmove: they may share the map's memory); src must fit, unless m is
** growable, which then grows to hold it */
static int m_set(lua_State *L) {
  LMap *m;
  lua_Integer i;
  size_t len, sl, start = 0;
  ptrdiff_t off;
  const unsigned char *q;
  mb_map *score;
  unsigned char *p;
  lmb_checkselfw(L, &m, &len);
  i = lmb_checkint(L, 2);
  /* a number is made a string now, as string arguments are: that
  ** allocates, so before any bytes are taken */
  if (lua_type(L, 3) == LUA_TNUMBER) lua_tolstring(L, 3, NULL);
  p = lmb_bytesw(L, m, &len);
  off = strictpos(i, len);
  lmb_argcheck(L, off >= 0, 2, "out of range");
  source(L, &sl, &score, &start);
  p = lmb_room(L, m, (size_t)off, sl, &len);
  q = source(L, &sl, &score, &start);   /* again: growing may move memory */
  lmb_argcheck(L, sl <= len - (size_t)off, 3, "string does not fit");
  lmb_touched(L, m, (size_t)off, sl);
  memmove(p + off, q, sl);
  lmb_touched(L, m, (size_t)off, sl);
  if (score != NULL && !mb_intact(score, start, sl))
    lmb_misuse(L, MB_E_TRUNCATED);
  lua_settop(L, 1);
  return 1;
}

/* m:fill(v [, i [, j]]): bytes i..j (clipped as string.sub) set to the
** byte v, or to the string v repeated from i */
static int m_fill(lua_State *L) {
  LMap *m;
  lua_Integer i, j, b = 0;
  size_t len, sl = 1, pi, pe, n, done;
  const char *s = NULL;
  unsigned char *p, *d;
  lmb_checkselfw(L, &m, &len);
  if (lua_type(L, 2) == LUA_TSTRING) {
    s = lua_tolstring(L, 2, &sl);
    lmb_argcheck(L, sl > 0, 2, "empty string");
  } else if (lua_type(L, 2) == LUA_TNUMBER) {
    b = lmb_checkint(L, 2);
    lmb_argcheck(L, b >= 0 && b <= 255, 2, "value out of range (0..255)");
  } else {
    return lmb_typeerror(L, 2, "byte or string");
  }
  i = lmb_optint(L, 3, 1);
  j = lmb_optint(L, 4, -1);
  p = lmb_bytesw(L, m, &len);
  pi = lmb_posrelat(i, len);
  pe = lmb_endpos(j, len);
  lua_settop(L, 2);
  lua_pushvalue(L, 1);
  if (pi > pe) return 1;
  d = p + pi - 1;
  n = pe - pi + 1;
  lmb_touched(L, m, pi - 1, n);
  if (s == NULL || sl == 1) {
    memset(d, s ? (unsigned char)s[0] : (int)b, n);
    lmb_touched(L, m, pi - 1, n);
    return 1;
  }
  /* one copy of s, then double what is already there */
  done = sl < n ? sl : n;
  memcpy(d, s, done);
  while (done < n) {
    size_t k = done < n - done ? done : n - done;
    memcpy(d + done, d, k);
    done += k;
  }
  lmb_touched(L, m, pi - 1, n);
  return 1;
}

/* m:move(dst, src, n): memmove of n bytes, 1-based; both ranges must lie
** inside the map */
static int m_move(lua_State *L) {
  LMap *m;
  lua_Integer dst, src, n;
  size_t len;
  ptrdiff_t doff, soff;
  unsigned char *p;
  lmb_checkselfw(L, &m, &len);
  dst = lmb_checkint(L, 2);
  src = lmb_checkint(L, 3);
  n = lmb_checkint(L, 4);
  p = lmb_bytesw(L, m, &len);
  lmb_argcheck(L, n >= 0, 4, "count must not be negative");
  doff = strictpos(dst, len);
  soff = strictpos(src, len);
  lmb_argcheck(L, doff >= 0, 2, "out of range");
  lmb_argcheck(L, soff >= 0, 3, "out of range");
  /* a count larger than the map is to blame itself; otherwise the end
  ** whose range leaves the map is */
  lmb_argcheck(L, (lmb_Unsigned)n <= len, 4, "out of range");
  lmb_argcheck(L, (lmb_Unsigned)n <= len - (size_t)doff, 2, "out of range");
  lmb_argcheck(L, (lmb_Unsigned)n <= len - (size_t)soff, 3, "out of range");
  if (n > 0) {
    lmb_touched(L, m, (size_t)soff, (size_t)n);
    lmb_touched(L, m, (size_t)doff, (size_t)n);
    memmove(p + doff, p + soff, (size_t)n);
    lmb_touched(L, m, (size_t)soff, (size_t)n);
    lmb_touched(L, m, (size_t)doff, (size_t)n);
  }
  lua_settop(L, 1);
  return 1;
}


/* ---------------------------------------------------------------------
** The mapping
** ------------------------------------------------------------------- */

/* m:size(): the file's size; the length of anonymous memory and views */
static int m_size(lua_State *L) {
  LMap *m;
  size_t len;
  uint64_t sz;
  int rc;
  lmb_checkself(L, &m, &len);
  if (m->isview) {
    lua_pushinteger(L, (lua_Integer)len);
    return 1;
  }
  if ((rc = lmb_result(L, mb_filesize(lmb_core(m), &sz), NULL)) != 0) return rc;
  lua_pushinteger(L, (lua_Integer)sz);
  return 1;
}

/* m:resize(n): the cursor stays where it was, as in Python */
static int m_resize(lua_State *L) {
  LMap *m;
  size_t len;
  lua_Integer n;
  int rc;
  lmb_checkself(L, &m, &len);
  if (m->isview) return luaL_error(L, "mapbuf: resize: cannot resize a view");
  n = lmb_checkint(L, 2);
  lmb_argcheck(L, n >= 0, 2, "size must not be negative");
  lmb_bytes(L, m, &len);
  if ((uint64_t)n > (uint64_t)PTRDIFF_MAX) return lmb_result(L, ENOMEM, NULL);
  if ((rc = lmb_result(L, mb_resize(lmb_core(m), (size_t)n), NULL)) != 0)
    return rc;
  lua_settop(L, 1);
  return 1;
}

/* m:flush([i [, n [, flags]]]): the bytes must lie inside the map; the
** core widens them to whole pages */
static int m_flush(lua_State *L) {
  LMap *m;
  size_t len;
  lua_Integer i, n, flags;
  ptrdiff_t off;
  int rc;
  lmb_checkself(L, &m, &len);
  i = lmb_optint(L, 2, 1);
  n = lmb_optint(L, 3, -1);   /* not given: to the end */
  lmb_argcheck(L, n >= 0 || lua_isnoneornil(L, 3), 3, "out of range");
  flags = lmb_optint(L, 4, MS_SYNC);
  lmb_argcheck(L, flags >= 0 && flags <= 0x7fffffff, 4, "invalid flags");
  lmb_bytes(L, m, &len);
  off = strictpos(i, len);
  lmb_argcheck(L, off >= 0, 2, "out of range");
  if (n < 0) n = (lua_Integer)(len - (size_t)off);
  lmb_argcheck(L, (lmb_Unsigned)n <= len - (size_t)off, 3, "out of range");
  rc = mb_flush(lmb_core(m), lmb_base(m) + (size_t)off, (size_t)n, (int)flags);
  if ((rc = lmb_result(L, rc, NULL)) != 0) return rc;
  lua_pushboolean(L, 1);
  return 1;
}

/* m:madvise(advice [, i [, n]]): i inside the map, n clipped at the end */
static int m_madvise(lua_State *L) {
  LMap *m;
  size_t len;
  lua_Integer i, n, adv;
  ptrdiff_t off;
  int rc;
  lmb_checkself(L, &m, &len);
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char *name = lua_tostring(L, 2);
    lmb_argcheck(L, (adv = mb_advice(name)) >= 0, 2,
                  lua_pushfstring(L, "invalid advice '%s'", name));
  } else if (lua_type(L, 2) == LUA_TNUMBER) {
    adv = lmb_checkint(L, 2);
    lmb_argcheck(L, adv >= 0 && adv <= 0x7fffffff, 2, "invalid advice");
  } else {
    return lmb_typeerror(L, 2, "advice name or MADV_* constant");
  }
  i = lmb_optint(L, 3, 1);
  n = lmb_optint(L, 4, LUA_MAXINTEGER);
  lmb_argcheck(L, n >= 0, 4, "length must not be negative");
  lmb_bytes(L, m, &len);
  off = strictpos(i, len);
  lmb_argcheck(L, off >= 0 && (size_t)off < len, 3, "out of range");
  if ((lmb_Unsigned)n > len - (size_t)off) n = (lua_Integer)(len - (size_t)off);
  rc = mb_advise(lmb_core(m), lmb_base(m) + (size_t)off, (size_t)n, (int)adv);
  if (rc == MB_E_ADVICE) return lmb_argerror(L, 2, "invalid advice");
  if ((rc = lmb_result(L, rc, NULL)) != 0) return rc;
  lua_pushboolean(L, 1);
  return 1;
}

/* m:close(): unmap a map (its views with it); a view closes only itself */
static int m_close(lua_State *L) {
  LMap *m = lmb_self(L);
  int rc;
  if (m->isview) m->closed = 1;
  else if ((rc = lmb_result(L, mb_close(lmb_core(m)), NULL)) != 0) return rc;
  lua_pushboolean(L, 1);
  return 1;
}

static int m_closed(lua_State *L) {
  LMap *m = lmb_self(L);
  lua_pushboolean(L, m->closed || lmb_core(m)->closed);
  return 1;
}


/* ---------------------------------------------------------------------
** Views
** ------------------------------------------------------------------- */

/* m:view([i [, j]]): bytes i..j, clipped as string.sub, without a copy.
** Views of views flatten to the root's core, with summed starts. */
static int m_view(lua_State *L) {
  LMap *m, *v;
  size_t len, pi, pe, start, vlen;
  lua_Integer i, j;
  lmb_checkself(L, &m, &len);
  i = lmb_optint(L, 2, 1);
  j = lmb_optint(L, 3, -1);
  lmb_bytes(L, m, &len);
  pi = lmb_posrelat(i, len);
  pe = lmb_endpos(j, len);
  if (pi > pe) { start = pi - 1 < len ? pi - 1 : len; vlen = 0; }
  else { start = pi - 1; vlen = pe - pi + 1; }
  lua_settop(L, 1);
  if (m->isview) lua_getiuservalue(L, 1, 1);   /* the root's object */
  else lua_pushvalue(L, 1);
  v = lmb_newobject(L);
  v->isview = 1;
  v->start = lmb_base(m) + start;
  v->len = vlen;
  lua_rotate(L, -2, 1);
  lua_setiuservalue(L, -2, 1);   /* the view keeps its root alive */
  /* the core only now, after every allocation: one of them may have run
  ** a finalizer that closed or freed the root's (then m holds the dead
  ** core, and the view starts closed) */
  if (lmb_core(m) != &lmb_deadcore) {
    mb_retain(lmb_core(m));
    lmb_setcore(v, lmb_core(m));
  } else {
    v->closed = 1;
  }
  return 1;
}


/* ---------------------------------------------------------------------
** Metamethods
** ------------------------------------------------------------------- */

static const char *accessname(int a) {
  switch (a) {
    case MB_ACCESS_READ: return "read";
    case MB_ACCESS_WRITE: return "write";
    case MB_ACCESS_COPY: return "copy";
    default: return "default";
  }
}

static int m_tostring(lua_State *L) {
  LMap *m = lmb_self(L);
  const mb_map *c = lmb_core(m);
  if (m->closed || c->closed) {
    lua_pushliteral(L, "mapbuf.map(closed)");
    return 1;
  }
  lua_pushfstring(L, "mapbuf.map(length=" LMB_I ", access=%s, pos=" LMB_I
                  ", offset=" LMB_I ")",
                  LMB_IARG(m->isview ? m->len : c->len), accessname(c->access),
                  LMB_IARG(m->pos), LMB_IARG(c->offset + lmb_base(m)));
  return 1;
}

/* __gc and __close, called by Lua or by hand: let go of the core (a root
** closes it; its views, which hold references of their own, then see a
** closed map).  Twice is harmless. */
static int m_gc(lua_State *L) {
  lmb_release(lmb_self(L));
  return 0;
}

const luaL_Reg lmb_map_metamethods[] = {
  LMB_IPAIRS_META
  {"__tostring", m_tostring},
  {"__gc", m_gc},
  {"__close", m_gc},
  {NULL, NULL}
};

const luaL_Reg lmb_map_methods[] = {
  {"byte", m_byte},
  {"sub", m_sub},
  {"set", m_set},
  {"fill", m_fill},
  {"move", m_move},
  {"size", m_size},
  {"resize", m_resize},
  {"flush", m_flush},
  {"madvise", m_madvise},
  {"close", m_close},
  {"closed", m_closed},
  {"view", m_view},
  {NULL, NULL}
};
