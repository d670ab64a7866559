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

/* Argument arg must be a map object (raises otherwise; any state). */
LMap *lmb_tomap(lua_State *L, int arg);
/* A live map: raises "mapbuf: map is closed" or, for a view that no longer
** fits in its resized map, "mapbuf: view is out of range of its map". */
unsigned char *lmb_check(lua_State *L, int arg, LMap **m, size_t *len);
/* As lmb_check, and also raises unless the map is writable. */
unsigned char *lmb_checkw(lua_State *L, int arg, LMap **m, size_t *len);

/* Turn a core result into Lua: 0 -> returns 0 (push your results);
** errno -> pushes nil, "what: strerror", errno and returns 3;
** misuse -> raises naming the function.  what may be NULL. */
int lmb_result(lua_State *L, int rc, const char *what);
/* Raise for a misuse code (never returns). */
int lmb_misuse(lua_State *L, int rc);

/* Lua positions, normalised as lstrlib's posrelatI / getendpos: both
** results are 1-based (subtract 1 for an offset). */
size_t lmb_posrelat(lua_Integer pos, size_t len);   /* start: 1.. */
size_t lmb_endpos(lua_Integer pos, size_t len);     /* end: ..len */
/* An integer argument that may be given as an integral float; raises on
** NaN, infinities and fractions. */
lua_Integer lmb_checkint(lua_State *L, int arg);
lua_Integer lmb_optint(lua_State *L, int arg, lua_Integer def);

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
