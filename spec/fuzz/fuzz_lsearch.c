/*
** fuzz_lsearch.c - a differential fuzzer for the binding's search methods:
** m:find, m:match and m:gmatch over a map object must answer exactly as
** string.find, string.match and string.gmatch answer on the same bytes
** (values, captures, and error messages), for any pattern and any start,
** negative ones included.  The map is the harness's own heap buffer of
** exactly the subject's size, lent with mapbuf_pushmemory, so ASan sees
** any read past the subject.
**
** Input layout:
**   byte 0   which call: 0 find, 1 find plain, 2 match, 3 gmatch
**   byte 1   start (a signed byte, so negative starts too)
**   byte 2   pattern length (clipped to what is left)
**   ...      the pattern, then the subject
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "mapbuf.h"
#include "mapbuf_lua.h"
#include "budget.h"

#define MAXSUBJECT 2048
#define BUDGET 1e6

static lua_State *L;

/* The comparison is Lua: it reads best there.  It returns nil when both
** sides agree, or a description of the difference. */
static const char compare_lua[] =
  "local function pack(...) return table.pack(...) end\n"
  "local function show(t)\n"
  "  local o = {}\n"
  "  for i = 1, t.n do o[i] = type(t[i]) == 'string' and ('%q'):format(t[i])\n"
  "                        or tostring(t[i]) end\n"
  "  return table.concat(o, ', ')\n"
  "end\n"
  "local function gm(it, max)\n"
  "  local r = {n = 0}\n"
  "  for _ = 1, max do\n"
  "    local v = pack(it())\n"
  "    r.n = r.n + 1; r[r.n] = show(v)\n"
  "    if v[1] == nil then break end\n"
  "  end\n"
  "  return table.concat(r, ' | ')\n"
  "end\n"
  "return function(m, s, p, init, which)\n"
  "  local a, b\n"
  "  if which == 0 then\n"
  "    a = pack(pcall(string.find, s, p, init)); b = pack(pcall(m.find, m, p, init))\n"
  "  elseif which == 1 then\n"
  "    a = pack(pcall(string.find, s, p, init, true))\n"
  "    b = pack(pcall(m.find, m, p, init, true))\n"
  "  elseif which == 2 then\n"
  "    a = pack(pcall(string.match, s, p, init)); b = pack(pcall(m.match, m, p, init))\n"
  "  else\n"
  "    a = pack(pcall(function() return gm(string.gmatch(s, p, init), 200) end))\n"
  "    b = pack(pcall(function() return gm(m:gmatch(p, init), 200) end))\n"
  "  end\n"
  "  if a[1] == false and b[1] == false then\n"
  "    -- the same problem, whichever function reports it\n"
  "    local ma = tostring(a[2]):gsub(\"^bad argument #%d+ to '[^']*' \", '')\n"
  "    local mb = tostring(b[2]):gsub(\"^bad argument #%d+ to '[^']*' \", '')\n"
  "    ma = ma:gsub('^[^:]*:%d+: ', ''); mb = mb:gsub('^[^:]*:%d+: ', '')\n"
  "    if ma == mb then return nil end\n"
  "  end\n"
  "  local sa, sb = show(a), show(b)\n"
  "  if sa ~= sb then return 'string: ' .. sa .. '\\n  mapbuf: ' .. sb end\n"
  "end\n";

static void noop(void *ud, void *base, size_t len) {
  (void)ud; (void)base; (void)len;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "mapbuf", luaopen_mapbuf, 0);
  lua_pop(L, 1);
  if (luaL_loadstring(L, compare_lua) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_lsearch: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.compare");
  return 0;
}

static size_t maxsubject(const char *p, size_t lp) {
  return fuzz_maxsubject(p, lp, MAXSUBJECT, BUDGET);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t lp, ls;
  int which, top = lua_gettop(L);
  lua_Integer init;
  unsigned char *s;
  if (size < 3) return 0;
  which = data[0] & 3;
  init = (int8_t)data[1];
  lp = data[2];
  if (lp > size - 3) lp = size - 3;
  ls = size - 3 - lp;
  if (which != 1 && ls > maxsubject((const char *)data + 3, lp))
    ls = maxsubject((const char *)data + 3, lp);
  s = malloc(ls ? ls : 1);
  memcpy(s, data + 3 + lp, ls);
  if (mapbuf_pushmemory(L, ls ? s : NULL, ls, 0, noop, NULL) != 0) abort();
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.compare");
  lua_pushvalue(L, top + 1);
  lua_pushlstring(L, (const char *)s, ls);
  lua_pushlstring(L, (const char *)data + 3, lp);
  lua_pushinteger(L, init);
  lua_pushinteger(L, which);
  if (lua_pcall(L, 5, 1, 0) != LUA_OK || !lua_isnil(L, -1)) {
    static const char *names[] = {"find", "find plain", "match", "gmatch"};
    fprintf(stderr, "fuzz_lsearch: %s, init %lld, pattern \"", names[which],
            (long long)init);
    fwrite(data + 3, 1, lp, stderr);
    fprintf(stderr, "\", subject \"");
    fwrite(s, 1, ls, stderr);
    fprintf(stderr, "\"\n  %s\n", lua_tostring(L, -1));
    abort();
  }
  /* the map must not outlive the buffer it reads: close it */
  lua_getfield(L, top + 1, "close");
  lua_pushvalue(L, top + 1);
  lua_call(L, 1, 0);
  lua_settop(L, top);
  if (lua_gc(L, LUA_GCCOUNT, 0) > 1 << 14) lua_gc(L, LUA_GCCOLLECT, 0);
  free(s);
  return 0;
}
