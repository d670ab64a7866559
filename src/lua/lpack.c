/* lpack.c - (placeholder, filled in by its issue) */
#include "lmapbuf.h"

const luaL_Reg lmb_pack_methods[] = {
  {NULL, NULL}
};
