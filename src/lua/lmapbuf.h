/*
** lmapbuf.h - private to the binding: the map object's userdata and the
** helpers every method file shares.
*/
#ifndef LMAPBUF_H
#define LMAPBUF_H

#include "lua.h"
#include "lauxlib.h"
#include "mapbuf.h"

#define LMB_MAP "mapbuf.map"      /* metatable in the registry */

/*
** A map object, or a view.  A root owns its core map; a view borrows the
** root's core map and keeps the root's userdata alive as its uservalue.
** A view is (core, start, len): its pointer is computed at every access, so
** mremap moving the memory, a shrink or a close never leaves it stale.
*/
typedef struct LMap {
  mb_map *core;          /* the mapping (a view: its root's) */
  size_t start;          /* a view's first byte in core; 0 for a root */
  size_t len;            /* a view's length; a root reads core->len */
  size_t pos;            /* stream cursor, 0-based */
  unsigned char isview;
  unsigned char closed;  /* a view closed by itself (roots: core->closed) */
} LMap;

/* The bytes of a live map or view now.  NULL when closed or a stale view. */
static inline unsigned char *lmb_span(const LMap *m, size_t *len) {
  const mb_map *c = m->core;
  if (c->closed || m->closed) return NULL;
  if (!m->isview) { *len = c->len; return c->base ? c->base : (unsigned char *)""; }
  if (m->start > c->len || m->len > c->len - m->start) return NULL;
  *len = m->len;
  return c->base ? c->base + m->start : (unsigned char *)"";
}

/*
** Checking a map argument.  A map object is a full userdata whose
** metatable is the one pushmeta (module.c) made: identity, never the name.
**
** Every function of the metatable (methods and metamethods) is a closure
** whose upvalue 2 is that metatable (upvalue 1 is the methods table), so
** inside them lmb_self recognises argument 1 with one pointer compare and
** no table lookup.  Anywhere else (a host's C function, an iterator) use
** lmb_tomap / lmb_check: the metatable is then fetched from the registry
** under a light userdata key (there, upvalue 2 could be anything, even a
** host's own metatable, which would let its objects pass for maps).  All
** of them raise luaL_checkudata's own "bad argument #1 to 'f' (mapbuf.map
** expected, got ...)" for anything else.  The metatable's own __index,
** __newindex and __len test nothing at all: see module.c.
*/
#define LMB_UPMT lua_upvalueindex(2)
/* The metatable's key in the registry: &lmb_mtkey (lcommon.c). */
extern const char lmb_mtkey;

/* Argument arg must be a map object (raises otherwise; any state). */
LMap *lmb_tomap(lua_State *L, int arg);
/* A live map: raises "mapbuf: map is closed" or, for a view that no longer
** fits in its resized map, "mapbuf: view is out of range of its map". */
unsigned char *lmb_check(lua_State *L, int arg, LMap **m, size_t *len);
/* Raise the error of a map whose bytes lmb_span refused (or, writable
** set, that cannot be written); never returns. */
unsigned char *lmb_dead(lua_State *L, const LMap *m, int writable);

/* Argument 1 of a function of the metatable (see above) if it is a map
** object, with the metatable left pushed on the stack; NULL (and the stack
** as it was) if not.  A function that returns its results from the top
** can leave the metatable there and save the pop. */
static inline LMap *lmb_isself(lua_State *L) {
  LMap *m = (LMap *)lua_touserdata(L, 1);
  if (m == NULL || !lua_getmetatable(L, 1)) return NULL;
  if (lua_rawequal(L, -1, LMB_UPMT)) return m;
  lua_pop(L, 1);
  return NULL;
}

/* Argument 1 of a function of the metatable: a map object, or raise. */
static inline LMap *lmb_self(lua_State *L) {
  LMap *m = lmb_isself(L);
  if (m == NULL) return lmb_tomap(L, 1);   /* the registry's way, or raise */
  lua_pop(L, 1);
  return m;
}

/* The bytes of map m now, or raise as lmb_check.  Methods take them again
** after converting their arguments: a conversion may allocate, so run a
** finalizer, which may close or resize the map. */
static inline unsigned char *lmb_bytes(lua_State *L, const LMap *m,
                                       size_t *len) {
  unsigned char *p = lmb_span(m, len);
  if (p != NULL) return p;
  *len = 0;   /* not reached: lmb_dead raises */
  return lmb_dead(L, m, 0);
}

/* As lmb_bytes, and the map must be writable. */
static inline unsigned char *lmb_bytesw(lua_State *L, const LMap *m,
                                        size_t *len) {
  unsigned char *p = lmb_span(m, len);
  if (p != NULL && mb_writable(m->core)) return p;
  *len = 0;   /* not reached: lmb_dead raises */
  return lmb_dead(L, m, 1);
}

/* Turn a core result into Lua: 0 -> returns 0 (push your results);
** errno -> pushes nil, "what: strerror", errno and returns 3;
** misuse -> raises naming the function.  what may be NULL. */
int lmb_result(lua_State *L, int rc, const char *what);
/* Raise for a misuse code (never returns). */
int lmb_misuse(lua_State *L, int rc);

/*
** Lua positions, normalised as lstrlib's posrelatI / getendpos: both
** results are 1-based.  lmb_posrelat gives a start in 1 .. (may exceed
** len: an empty range); lmb_endpos an end in 0 .. len.  The offset of the
** first byte of the range is then start - 1, and its length
** end - start + 1 when start <= end.
*/
static inline size_t lmb_posrelat(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos;
  if (pos == 0) return 1;
  if (pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static inline size_t lmb_endpos(lua_Integer pos, size_t len) {
  if (pos > (lua_Integer)len) return len;
  if (pos >= 0) return (size_t)pos;
  if (pos < -(lua_Integer)len) return 0;
  return len + (size_t)pos + 1;
}
/* The usual first line of a method: argument 1 is a live map (lmb_self,
** then lmb_bytes); *pm gets it, the result is its bytes. */
static inline unsigned char *lmb_checkself(lua_State *L, LMap **pm,
                                           size_t *len) {
  *pm = lmb_self(L);
  return lmb_bytes(L, *pm, len);
}

/* As lmb_checkself, and the map must be writable. */
static inline unsigned char *lmb_checkselfw(lua_State *L, LMap **pm,
                                            size_t *len) {
  *pm = lmb_self(L);
  return lmb_bytesw(L, *pm, len);
}

/* An integer argument that may be given as an integral float (or a
** numeral string); raises on NaN, infinities and fractions, as
** luaL_checkinteger.  The common case costs one API call. */
static inline lua_Integer lmb_checkint(lua_State *L, int arg) {
  int isnum;
  lua_Integer i = lua_tointegerx(L, arg, &isnum);
  return isnum ? i : luaL_checkinteger(L, arg);   /* raises */
}

static inline lua_Integer lmb_optint(lua_State *L, int arg, lua_Integer def) {
  int isnum;
  lua_Integer i = lua_tointegerx(L, arg, &isnum);
  if (isnum) return i;
  return lua_isnoneornil(L, arg) ? def : luaL_checkinteger(L, arg);
}

/* Push a new map object owning core (mb_free at collection). */
LMap *lmb_newmap(lua_State *L, mb_map *core);

/* Method tables, one per file, merged into the metatable's methods. */
extern const luaL_Reg lmb_map_methods[];     /* lmap.c */
extern const luaL_Reg lmb_stream_methods[];  /* lstream.c */
extern const luaL_Reg lmb_search_methods[];  /* lsearch.c */
extern const luaL_Reg lmb_pack_methods[];    /* lpack.c */
extern const luaL_Reg lmb_ipc_methods[];     /* lipc.c */
extern const luaL_Reg lmb_ipc_funcs[];       /* lipc.c: module functions */

#endif
