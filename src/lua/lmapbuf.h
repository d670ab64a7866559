/*
** lmapbuf.h - private to the binding: the map object's userdata and the
** helpers every method file shares (checking arguments, raising errors
** that name the method, turning core results into Lua results).
*/
#ifndef LMAPBUF_H
#define LMAPBUF_H

#include <stdint.h>

#include "lua.h"
#include "lauxlib.h"
#include "lcompat.h"
#include "mapbuf.h"

#define LMB_MAP "mapbuf.map"      /* the type's name, as errors show it */

/* The word every map object carries, with its own address beside it: the
** one-compare test that argument 1 really is a map object (lmb_test). */
#define LMB_TAG 0x6d617062756631ULL   /* "mapbuf1" */

/*
** A map object, or a view.
**
** Both hold a counted reference to their core map (mb_retain): a root's
** own, a view its root's.  A view is (core, start, len): its pointer is
** computed at every access, so mremap moving the memory, a shrink or a
** close never leaves it stale.  A view's uservalue keeps its root's object
** alive (the contract: a view keeps its map alive), but nothing depends on
** that for safety: if the root goes (collected, or its __gc called by
** hand), it closes the core, and the views, still holding their reference,
** see a closed map.  An object that has let go of its reference points at
** lmb_deadcore, which is always closed.
*/
typedef struct LMap {
  uint64_t tag;          /* LMB_TAG */
  const struct LMap *self;   /* this object's own address */
  mb_map *core;          /* the mapping (counted), or &lmb_deadcore */
  size_t start;          /* a view's first byte in core; 0 for a root */
  size_t len;            /* a view's length; a root reads core->len */
  size_t pos;            /* stream cursor, 0-based */
  unsigned char isview;
  unsigned char closed;  /* a view closed by itself (roots: core->closed) */
} LMap;

/* A core that is always closed (module.c). */
extern mb_map lmb_deadcore;

/* The core map behind m, as it is now: read it again after anything that
** may allocate or call Lua, never keep it across such a call. */
#define lmb_core(m) ((m)->core)

/* Offset of a map's or view's first byte in its core. */
#define lmb_base(m) ((m)->start)

/* The bytes of a live map or view now.  NULL when closed or a stale view. */
static inline unsigned char *lmb_span(const LMap *m, size_t *len) {
  const mb_map *c = lmb_core(m);
  if (c->closed || m->closed) return NULL;
  if (!m->isview) { *len = c->len; return c->base ? c->base : (unsigned char *)""; }
  if (m->start > c->len || m->len > c->len - m->start) return NULL;
  *len = m->len;
  return c->base ? c->base + m->start : (unsigned char *)"";
}

/*
** Is the value at idx a map object?  A full userdata of exactly our size
** whose first words are our tag and its own address: nothing but
** lmb_newobject makes that, and a light userdata has no length.  Cheap
** enough for m[i] (two API calls, two compares), so every function of the
** binding checks its map argument, the metatable's own __index included,
** and nothing trusts what the debug library could hand it.
*/
static inline LMap *lmb_test(lua_State *L, int idx) {
  LMap *m = (LMap *)lua_touserdata(L, idx);
  if (m != NULL && lua_rawlen(L, idx) == sizeof(LMap) && m->tag == LMB_TAG &&
      m->self == m)
    return m;
  return NULL;
}

/* ---- errors that name the method ----
** Lua's own luaL_argerror names a function by how it was called, so
** pcall(m.set, m, ...) says '?' and an alias says its own name.  These
** always name the binding's function ("set", "__index", "open"), looked up
** by the running function itself, and count arguments as Lua does (self
** is not counted in a method call). */
const char *lmb_fname(lua_State *L);
int lmb_argerror(lua_State *L, int arg, const char *msg);
int lmb_typeerror(lua_State *L, int arg, const char *tname);
#if LUA_VERSION_NUM == 502
/* __ipairs: 5.2's ipairs asks for it (5.3 on, ipairs indexes through
** __index): i, v for i = 1, 2, ... until v is nil, by the object's own
** indexing, for maps and arrays alike */
int lmb_ipairs(lua_State *L);
#define LMB_IPAIRS_META {"__ipairs", lmb_ipairs},
#else
#define LMB_IPAIRS_META
#endif
#define lmb_argcheck(L, cond, arg, msg) \
  ((void)((cond) || lmb_argerror(L, (arg), (msg))))

/* Raise "mapbuf: NAME: message" for a misuse code ("mapbuf: map is
** closed" for MB_E_CLOSED); never returns. */
int lmb_misuse(lua_State *L, int rc);
/* The same for another kind of object ("mapbuf.ring", "mapbuf.mutex") and
** a named method: "KIND: FNAME: message" (a closed map is always "mapbuf:
** map is closed"). */
int lmb_misusein(lua_State *L, const char *kind, const char *fname, int rc);

/* Push the metatable of a kind of userdata, made at its first use and kept
** in the registry under key: __index a table of methods (NULL: none), the
** metamethods metas, __name name and a __metatable that hides it (name,
** or false when name is NULL). */
void lmb_pushclass(lua_State *L, const void *key, const char *name,
                   const luaL_Reg *methods, const luaL_Reg *metas);

/* Turn a core result into Lua: 0 -> returns 0 (push your results);
** errno -> pushes nil, "what: strerror", errno and returns 3;
** misuse -> raises naming the function.  what may be NULL. */
int lmb_result(lua_State *L, int rc, const char *what);

/* ---- arguments ----
** As luaL_check* (same rules, same messages), but raising through
** lmb_argerror.  An integer may be an integral float or a numeral string;
** NaN, infinities and fractions raise.  No conversion here allocates. */
int lmb_interror(lua_State *L, int arg);   /* raises: not an integer */
static inline lua_Integer lmb_checkint(lua_State *L, int arg) {
  int isnum;
  lua_Integer i = lua_tointegerx(L, arg, &isnum);
  return isnum ? i : lmb_interror(L, arg);
}
static inline lua_Integer lmb_optint(lua_State *L, int arg, lua_Integer def) {
  int isnum;
  lua_Integer i = lua_tointegerx(L, arg, &isnum);
  if (isnum) return i;
  return lua_isnoneornil(L, arg) ? def : lmb_interror(L, arg);
}
lua_Number lmb_checknumber(lua_State *L, int arg);
/* Strings may allocate (a number made a string): take the map's bytes
** afterwards. */
const char *lmb_checklstring(lua_State *L, int arg, size_t *len);
int lmb_checkoption(lua_State *L, int arg, const char *def,
                    const char *const list[]);

/* Argument arg must be nil/none (0 returned) or a table (arg returned)
** whose keys are all among known (else "unknown option 'k'"). */
int lmb_opttable(lua_State *L, int arg, const char *const known[]);

/* ---- map arguments ---- */
/* Argument arg must be a map object (raises "mapbuf.map expected"). */
LMap *lmb_tomap(lua_State *L, int arg);
/* Raise the error of a map whose bytes lmb_span refused (or, writable
** set, that cannot be written); never returns. */
unsigned char *lmb_dead(lua_State *L, const LMap *m, int writable);

/* Argument 1 of a method: a map object, or raise. */
static inline LMap *lmb_self(lua_State *L) {
  LMap *m = lmb_test(L, 1);
  return m != NULL ? m : lmb_tomap(L, 1);
}

/* The bytes of map m now, or raise "map is closed" / "view is out of
** range".  Methods take them again after converting their arguments: a
** conversion may allocate, an allocation may run a finalizer, and a
** finalizer may close, resize or free the map. */
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
  if (p != NULL && mb_writable(lmb_core(m))) return p;
  *len = 0;   /* not reached: lmb_dead raises */
  return lmb_dead(L, m, 1);
}

/* Room to write n bytes at offset off of m: the map's bytes now (writable),
** a growable map grown first to cover them (mb_grow: the memory may move).
** Any other map is left as it is, and the caller's range check raises. */
unsigned char *lmb_room(lua_State *L, LMap *m, size_t off, size_t n,
                        size_t *len);

/* The usual first line of a method: argument 1 is a live map; *pm gets
** it, the result is its bytes. */
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

/* The truncation check, the one spelling of it: after touching bytes
** off .. off+n-1 of m (offsets inside m), raise "file was truncated under
** the map" if the file shrank under them (the touch read zeros, or its
** writes went nowhere).  Read paths call it after their bytes were copied
** into Lua, and may call it before, to refuse early. */
static inline void lmb_touched(lua_State *L, const LMap *m, size_t off,
                               size_t n) {
  if (!mb_intact(lmb_core(m), lmb_base(m) + off, n))
    lmb_misuse(L, MB_E_TRUNCATED);
}

/*
** Lua positions, normalised as string.sub reads them: both results are
** 1-based.  lmb_posrelat gives a start in 1 .. len + 2 (beyond len: an
** empty range; anything past len + 1 is len + 2, so a huge position never
** wraps a 32-bit size_t yet stays "past the end"); lmb_endpos an end
** in 0 .. len.  The offset of the first byte of the range is then
** start - 1, and its length end - start + 1 when start <= end.
*/
static inline size_t lmb_posrelat(lua_Integer pos, size_t len) {
  if (pos > 0)
    return (lmb_Unsigned)pos > (lmb_Unsigned)len + 1 ? len + 2 : (size_t)pos;
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

/* Push a new map object owning core (mb_free at collection). */
LMap *lmb_newmap(lua_State *L, mb_map *core);

/* Method tables, one per file, merged into the metatable's methods. */
extern const luaL_Reg lmb_map_methods[];     /* lmap.c */
extern const luaL_Reg lmb_stream_methods[];  /* lstream.c */
extern const luaL_Reg lmb_search_methods[];  /* lsearch.c */
extern const luaL_Reg lmb_pack_methods[];    /* lpack.c */
extern const luaL_Reg lmb_ipc_methods[];     /* lipc.c */
extern const luaL_Reg lmb_array_methods[];   /* larray.c: m:array */
extern const luaL_Reg lmb_xform_methods[];   /* lxform.c */
extern const luaL_Reg lmb_ipc_funcs[];       /* lipc.c: module functions */
extern const luaL_Reg lmb_safe_funcs[];      /* lipc.c: harmless ones */
/* Functions that are neither methods nor module functions (iterators):
** listed only so that their errors name them. */
extern const luaL_Reg lmb_stream_hidden[];   /* lstream.c */
extern const luaL_Reg lmb_search_hidden[];   /* lsearch.c */

#endif
