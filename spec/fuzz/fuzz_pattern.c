/*
** fuzz_pattern.c - a differential fuzzer for the core's Lua patterns:
** every answer of mb_pfind and mb_pmatchat is compared with Lua 5.4's own
** string.find on the same subject, pattern and start (results, captures,
** and the exact error message), and any difference aborts.
**
** Input layout:
**   byte 0   mode: bit 0 set = mb_pmatchat, else mb_pfind
**   byte 1   start position selector (taken modulo #subject + 2)
**   byte 2   pattern length (clipped to what is left)
**   ...      the pattern, then the subject (the rest)
**
** Backtracking is exponential in the number of quantifiers, in Lua as
** here, so the subject is clipped to a length whose worst case stays
** small; otherwise every long input would be reported as a timeout.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "mapbuf.h"
#include "budget.h"

#define MAXSUBJECT 4096
#define BUDGET 2e6     /* worst-case match steps allowed per input */

static lua_State *L;



int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  L = luaL_newstate();
  luaL_openlibs(L);
  lua_getglobal(L, "string");
  lua_getfield(L, -1, "find");
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.find");
  lua_pop(L, 1);
  return 0;
}

static void fail(const char *what, const unsigned char *s, size_t ls,
                 const char *p, size_t lp, size_t init) {
  fprintf(stderr, "fuzz_pattern: %s\n  pattern (%zu) = \"", what, lp);
  fwrite(p, 1, lp, stderr);
  fprintf(stderr, "\"\n  subject (%zu) = \"", ls);
  fwrite(s, 1, ls, stderr);
  fprintf(stderr, "\"\n  init (0-based) = %zu\n", init);
  abort();
}

static size_t maxsubject(const char *p, size_t lp) {
  return fuzz_maxsubject(p, lp, MAXSUBJECT, BUDGET);
}

/* Compare mb's answer (rc, mt) with Lua's string.find(s, lp, init + 1),
** where lpat is the pattern Lua is given. */
static void compare(int rc, const mb_match *mt, const unsigned char *s,
                    size_t ls, const char *lpat, size_t llp, size_t init,
                    const char *p, size_t lp) {
  int top = lua_gettop(L), ok, n, i, unfinished = 0;
  char buf[160];
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.find");
  lua_pushlstring(L, (const char *)s, ls);
  lua_pushlstring(L, lpat, llp);
  lua_pushinteger(L, (lua_Integer)init + 1);
  ok = lua_pcall(L, 3, LUA_MULTRET, 0) == LUA_OK;
  n = lua_gettop(L) - top;
  /* a finished match with an unfinished capture is Lua's error too */
  if (rc == 1)
    for (i = 0; i < mt->level; i++)
      if (mt->capture[i].len == MB_CAP_UNFINISHED) {
        rc = MB_E_PATTERN;
        unfinished = 1;
        break;
      }
  if (!ok) {
    const char *msg = lua_tostring(L, -1);
    if (rc != MB_E_PATTERN) {
      snprintf(buf, sizeof buf, "Lua raised \"%s\", mb returned %d", msg, rc);
      fail(buf, s, ls, p, lp, init);
    }
    if (strcmp(msg, unfinished ? "unfinished capture" : mt->err) != 0) {
      snprintf(buf, sizeof buf, "messages differ: Lua \"%s\", mb \"%s\"", msg,
               unfinished ? "(unfinished capture in a match)" : mt->err);
      fail(buf, s, ls, p, lp, init);
    }
  } else if (lua_isnil(L, top + 1)) {
    if (rc != 0) {
      snprintf(buf, sizeof buf, "Lua found nothing, mb returned %d (%s)", rc,
               rc == MB_E_PATTERN ? mt->err : "");
      fail(buf, s, ls, p, lp, init);
    }
  } else {
    lua_Integer a = lua_tointeger(L, top + 1), b = lua_tointeger(L, top + 2);
    if (rc != 1) {
      snprintf(buf, sizeof buf, "Lua found %lld..%lld, mb returned %d (%s)",
               (long long)a, (long long)b, rc,
               rc == MB_E_PATTERN ? mt->err : "");
      fail(buf, s, ls, p, lp, init);
    }
    if ((lua_Integer)mt->start + 1 != a || (lua_Integer)mt->end != b) {
      snprintf(buf, sizeof buf, "Lua found %lld..%lld, mb %zu..%zu",
               (long long)a, (long long)b, mt->start + 1, mt->end);
      fail(buf, s, ls, p, lp, init);
    }
    if (n - 2 != mt->level) {
      snprintf(buf, sizeof buf, "Lua gave %d captures, mb %d", n - 2,
               mt->level);
      fail(buf, s, ls, p, lp, init);
    }
    for (i = 0; i < mt->level; i++) {
      const mb_capture *c = &mt->capture[i];
      int idx = top + 3 + i;
      if (c->len == MB_CAP_POSITION) {
        if (!lua_isinteger(L, idx) ||
            lua_tointeger(L, idx) != (lua_Integer)c->init + 1) {
          snprintf(buf, sizeof buf, "capture %d: position %zu, Lua %s", i + 1,
                   c->init + 1, luaL_tolstring(L, idx, NULL));
          fail(buf, s, ls, p, lp, init);
        }
      } else {
        size_t l;
        const char *v = lua_tolstring(L, idx, &l);
        if (v == NULL || c->len < 0 || (size_t)c->len != l ||
            c->init > ls || l > ls - c->init ||
            memcmp(v, s + c->init, l) != 0) {
          snprintf(buf, sizeof buf, "capture %d differs (mb %zu+%td)", i + 1,
                   c->init, c->len);
          fail(buf, s, ls, p, lp, init);
        }
      }
    }
  }
  lua_settop(L, top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t lp, ls, init;
  char *p, *lpat;
  unsigned char *s;
  int mode, rc;
  mb_match mt;
  if (size < 3) return 0;
  mode = data[0] & 1;
  lp = data[2];
  if (lp > size - 3) lp = size - 3;
  /* copies of exactly the right size, so ASan sees any read past them */
  p = malloc(lp + 1);
  memcpy(p, data + 3, lp);
  ls = size - 3 - lp;
  if (ls > maxsubject(p, lp)) ls = maxsubject(p, lp);
  s = malloc(ls + 1);
  memcpy(s, data + 3 + lp, ls);
  s = realloc(s, ls ? ls : 1);
  p = realloc(p, lp ? lp : 1);
  init = data[1] % (ls + 2);
  memset(&mt, 0xAB, sizeof mt);
  if (mode == 0) {
    rc = mb_pfind(s, ls, p, lp, init, &mt);
    compare(rc, &mt, s, ls, p, lp, init, p, lp);
  } else {
    /* one attempt at init is string.find with the pattern anchored:
    ** "^" .. p, in which p's own '^' is an ordinary byte */
    rc = mb_pmatchat(s, ls, p, lp, init, &mt);
    lpat = malloc(lp + 1);
    lpat[0] = '^';
    memcpy(lpat + 1, p, lp);
    compare(rc, &mt, s, ls, lpat, lp + 1, init, p, lp);
    free(lpat);
  }
  if (lua_gc(L, LUA_GCCOUNT, 0) > 1 << 14) lua_gc(L, LUA_GCCOLLECT, 0);
  free(p);
  free(s);
  return 0;
}
