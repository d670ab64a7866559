/* lipc.c - (placeholder, filled in by its issue) */
#include "lmapbuf.h"

const luaL_Reg lmb_ipc_methods[] = {
  {NULL, NULL}
};

const luaL_Reg lmb_ipc_funcs[] = {
  {NULL, NULL}
};
