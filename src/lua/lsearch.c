/* lsearch.c - (placeholder, filled in by its issue) */
#include "lmapbuf.h"

const luaL_Reg lmb_search_methods[] = {
  {NULL, NULL}
};
