/*
** lbind.h - private to module.c, lmap.c and lembed.c: how map objects are
** made and how a freed core is replaced (the shared header lmapbuf.h
** keeps what every method file needs; this keeps the rest).
*/
#ifndef LBIND_H
#define LBIND_H

#include "lmapbuf.h"

/* A core that is always closed: objects whose core has been freed point
** here, so every later check sees "closed" and nothing dangles. */
extern mb_map lmb_deadcore;

/* Push a new map object in the closed state (core = &lmb_deadcore), with
** its metatable; the caller then hands it a core.  Making the userdata
** first means an allocation error can never leak a core. */
LMap *lmb_newobject(lua_State *L);

/* The truncation guard: after (and before) touching bytes off .. off+n-1
** of m (offsets inside m), raise "file was truncated under the map" when
** the file shrank under them; the touch itself read zeros harmlessly. */
static inline void lmb_touched(lua_State *L, const LMap *m, size_t off,
                               size_t n) {
  if (!mb_intact(m->core, (m->isview ? m->start : 0) + off, n))
    lmb_misuse(L, MB_E_TRUNCATED);
}

/* __close, __gc, __tostring (lmap.c). */
extern const luaL_Reg lmb_map_metamethods[];

#endif
